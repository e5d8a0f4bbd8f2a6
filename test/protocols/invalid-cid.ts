// What the CID specs share: the check that a CID was refused for the right value and reason.
import assert from 'node:assert/strict'
import { InvalidCIDError } from '../../src/errors.js'

/** For `assert.rejects` and `assert.throws`: an `InvalidCIDError` for `value`, its message matching `pattern`. */
export function isInvalidCid (value: string, pattern?: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof InvalidCIDError, `expected an InvalidCIDError, got ${String(err)}`)
    assert.equal(err.value, value)
    if (pattern != null) assert.match(err.message, pattern)
    return true
  }
}
