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

  it('of a provisional replica keeps when its lease began, and whether the block links to others', () => {
    const written = record({ replica: true, provisionalSince: Date.parse('2026-12-01T12:00:00Z'), links: true })
    const bytes = encodeRecord(written)
    assert.equal(bytes.byteLength, 17)
    assert.deepEqual(decodeRecord('bkey', bytes, 0), written)
    const settled = decodeRecord('bkey', encodeRecord(record({ replica: true, links: false })), 0)
    assert.equal(settled?.provisionalSince, undefined)
    assert.equal(settled?.links, false)
  })

  it('written before the codec was kept reads back with links unknown', () => {
    // version 1, replica flag only: what weft wrote before leases
    const old = Uint8Array.from([0x11, 0x80, 0x80, 0x40, 0x00, 0x01])
    const read = decodeRecord('bkey', old, 0)
    assert.equal(read?.links, undefined)
    assert.equal(read?.replica, true)
    assert.equal(read?.size, MiB)
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
