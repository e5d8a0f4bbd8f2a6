import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { STORED_SLACK_BYTES, wastesBuffer } from '../../src/store/block-bytes.browser.js'

// IndexedDB stores the whole buffer behind a view: which blocks a page copies before storing them
describe('a page\'s block bytes in IndexedDB', () => {
  it('stores a block that is its own buffer as it is', () => {
    assert.equal(wastesBuffer(new Uint8Array(1_048_576)), false)
  })

  it('stores a fetched block, a view of its message a few dozen bytes longer, as it is', () => {
    const message = new Uint8Array(1_048_576 + 45)
    assert.equal(wastesBuffer(message.subarray(45)), false)
  })

  it(`copies a block cut out of a larger buffer (more than ${STORED_SLACK_BYTES} bytes beside it), as the importer's chunks are`, () => {
    const input = new Uint8Array(3 * 1_048_576 + 5)
    assert.equal(wastesBuffer(input.subarray(1_048_576, 2 * 1_048_576)), true)
    assert.equal(wastesBuffer(input.subarray(3 * 1_048_576)), true)
    const buffer = new Uint8Array(2 * STORED_SLACK_BYTES + 2)
    assert.equal(wastesBuffer(buffer.subarray(STORED_SLACK_BYTES)), false)
    assert.equal(wastesBuffer(buffer.subarray(STORED_SLACK_BYTES + 1)), true)
  })
})
