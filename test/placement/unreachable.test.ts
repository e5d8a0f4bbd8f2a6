import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { unreachable } from '../../src/placement/unreachable.js'

const named = (name: string): Error => Object.assign(new Error(name), { name })

describe('unreachable', () => {
  it('takes a failed dial for a peer that cannot be reached', () => {
    for (const name of ['DialError', 'ConnectionFailedError', 'NoValidAddressesError']) assert.equal(unreachable(named(name)), true, name)
    assert.equal(unreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), true)
  })

  it('does not take a stream that failed on a working connection for one', () => {
    for (const name of ['ProtocolError', 'StreamResetError', 'TimeoutError', 'AbortError', 'Error']) assert.equal(unreachable(named(name)), false, name)
    assert.equal(unreachable(undefined), false)
  })
})
