import { Key } from 'interface-datastore'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'

// The block store's keys: its state in the node's datastore (docs/storage.md,
// "Key layout"), and how a block is named in memory and in the blockstore.

/** One record per block (`block-record.ts`), under `recordKey(blockKey(cid))`. */
export const BLOCKS_PREFIX = '/weft/blocks/'

/** One empty value per pinned root, under `PINS_PREFIX + pinKey(root)`. */
export const PINS_PREFIX = '/weft/pins/'

/** One empty marker per block whose bytes are being written or deleted, for `start()` to finish after a crash. */
export const PENDING_PREFIX = '/weft/pending/'

/**
 * Written when the store starts, deleted when it closes: found at start, it
 * says the last run ended without `close()` (a crash, SIGKILL, power cut), so
 * the records are checked against the block files.
 */
export const OPEN_KEY = new Key('/weft/store-open')

/** A block's key: base32 of its multihash, so CIDv0 and CIDv1 of the same bytes are one block. */
export function blockKey (cid: CID): string {
  return base32.encode(cid.multihash.bytes)
}

/** A CID for the blockstore: blockstore-fs, -idb and MemoryBlockstore key by multihash, so the codec does not matter. */
export function cidOf (key: string): CID {
  return CID.createV1(raw.code, Digest.decode(base32.decode(key)))
}

/** Pins are kept per root CIDv1, so a root pinned as v0 is the same pin as v1; the codec stays (it says how to walk). */
export function pinKey (root: CID): string {
  return root.toV1().toString()
}

/** The datastore key of the record of block `key`. */
export function recordKey (key: string): Key {
  return new Key(BLOCKS_PREFIX + key)
}

/** The datastore key of the pending marker of block `key`. */
export function pendingKey (key: string): Key {
  return new Key(PENDING_PREFIX + key)
}
