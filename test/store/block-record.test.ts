import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeRecord, encodeRecord, roleOf, type BlockRecord } from '../../src/store/block-record.js'

const MiB = 1_048_576

function record (fields: Partial<BlockRecord> = {}): BlockRecord {
  return { key: 'bkey', size: MiB, pins: 0, replica: false, held: false, added: Date.parse('2025-06-01T12:00:00Z'), seq: 0, queued: false, ...fields }
}

describe('a block record', () => {
  it('is 11 bytes for a 1 MiB block and reads back its persisted fields', () => {
    const written = record({ pins: 2, replica: true, held: true, seq: 7, queued: true })
    const bytes = encodeRecord(written)
    assert.equal(bytes.byteLength, 11)
    // held, seq and queued live only in memory
    assert.deepEqual(decodeRecord('bkey', bytes, 3), { ...written, held: false, seq: 3, queued: false })
  })

  it('is not read from bytes cut short or of another version', () => {
    const bytes = encodeRecord(record())
    assert.equal(decodeRecord('bkey', bytes.subarray(0, bytes.byteLength - 1), 0), undefined)
    assert.equal(decodeRecord('bkey', Uint8Array.from([2 << 4, ...bytes.subarray(1)]), 0), undefined)
  })

  it('gives the strongest role its flags allow: pinned or held, then replica, then cache', () => {
    assert.equal(roleOf(record({ pins: 1, replica: true })), 'pinned')
    assert.equal(roleOf(record({ held: true })), 'pinned')
    assert.equal(roleOf(record({ replica: true })), 'replica')
    assert.equal(roleOf(record()), 'cache')
  })
})
