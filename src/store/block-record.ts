import type { BlockRole } from './local-blocks.js'

/**
 * What the block store knows of one block. `size`, `pins`, `replica` and
 * `added` are persisted (`encodeRecord`); the rest lives only in memory.
 */
export interface BlockRecord {
  /** base32 of the multihash: CIDv0 and CIDv1 of the same bytes are one block. */
  readonly key: string
  readonly size: number
  /** How many pinned roots reach this block. */
  pins: number
  /** Pushed to us as one of its replicas. */
  replica: boolean
  /**
   * When a put stored it as a replica not yet part of a finished put (ms
   * since the epoch), until the put's end settles it: past the lease
   * (`storage.putLeaseMs`) it is released to cache (docs/storage.md,
   * "Unfinished puts"). Undefined once settled, or never provisional.
   */
  provisionalSince?: number
  /** Whether the block links to others (dag-pb), from its CID when stored; undefined for records written before this was kept. */
  links?: boolean
  /** Put with role `pinned` and no pin covers it yet: kept from eviction until one does or the store restarts. */
  held: boolean
  /** When it was stored, ms since the epoch; eviction takes the oldest first. */
  readonly added: number
  /** Breaks ties between records added in the same millisecond. */
  readonly seq: number
  /** In the eviction queue (possibly stale: a record taken from it is checked again). */
  queued: boolean
}

const RECORD_VERSION = 1
const REPLICA_FLAG = 1
/** A fourth varint follows: `provisionalSince`. */
const PROVISIONAL_FLAG = 2
/** The record says whether the block links to others (bit 3); without it, nobody knows. */
const CODEC_KNOWN_FLAG = 4
const LINKS_FLAG = 8

/**
 * Why a block is kept, from its record: pins (or a hold) beat the replica
 * flag, so a pinned block put as a replica is a replica again once unpinned.
 */
export function roleOf (record: BlockRecord): BlockRole {
  if (record.pins > 0 || record.held) return 'pinned'
  return record.replica ? 'replica' : 'cache'
}

/**
 * A block record as the datastore keeps it (`docs/storage.md`): a byte
 * `version << 4 | flags` (bit 0: replica, 1: provisional, 2: codec known,
 * 3: links), then unsigned LEB128 varints of the size, the pin count and the
 * time added in ms, and for a provisional block the time it became one; 11
 * bytes for a settled 1 MiB block. Binary rather than JSON (~50 bytes) because there is one per block,
 * all read at every start; the version nibble leaves room to change it.
 */
export function encodeRecord (record: BlockRecord): Uint8Array {
  const provisional = record.provisionalSince != null
  const flags = (record.replica ? REPLICA_FLAG : 0) | (provisional ? PROVISIONAL_FLAG : 0) |
    (record.links != null ? CODEC_KNOWN_FLAG : 0) | (record.links === true ? LINKS_FLAG : 0)
  const out: number[] = [RECORD_VERSION << 4 | flags]
  const numbers = [record.size, record.pins, record.added]
  if (record.provisionalSince != null) numbers.push(record.provisionalSince)
  for (const n of numbers) {
    let v = n
    // Division, not `>>>`: the time in ms needs more than 32 bits.
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    out.push(v)
  }
  return Uint8Array.from(out)
}

/**
 * Reads back what `encodeRecord` wrote for the block `key`: a record neither
 * held nor queued (those are not persisted), with `seq` to order it among
 * records added in the same millisecond. `undefined` for bytes that are not
 * a record of this version (truncated, or a varint longer than 8 bytes), which
 * the store treats as corrupt.
 */
export function decodeRecord (key: string, bytes: Uint8Array, seq: number): BlockRecord | undefined {
  if (bytes.length < 4 || bytes[0] >> 4 !== RECORD_VERSION) return undefined
  const flags = bytes[0] & 0x0f
  const numbers: number[] = []
  let at = 1
  for (let i = 0; i < ((flags & PROVISIONAL_FLAG) !== 0 ? 4 : 3); i++) {
    let n = 0
    for (let scale = 1; ; scale *= 0x80) {
      if (at >= bytes.length || scale > 2 ** 49) return undefined
      const b = bytes[at++]
      n += (b & 0x7f) * scale
      if (b < 0x80) break
    }
    numbers.push(n)
  }
  const [size, pins, added, provisionalSince] = numbers
  const record: BlockRecord = { key, size, pins, replica: (flags & REPLICA_FLAG) !== 0, held: false, added, seq, queued: false }
  if (provisionalSince != null) record.provisionalSince = provisionalSince
  if ((flags & CODEC_KNOWN_FLAG) !== 0) record.links = (flags & LINKS_FLAG) !== 0
  return record
}
