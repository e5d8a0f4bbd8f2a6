import { IDBBlockstore } from 'blockstore-idb'
import { StorageOpenError } from '../errors.js'
import type { openBlockBytes as NodeOpenBlockBytes } from './block-bytes.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * The most bytes of a block's buffer outside the block that are stored with
 * it rather than copied away: a fetched block is a view of the message it came
 * in, a few dozen bytes longer.
 */
export const STORED_SLACK_BYTES = 1024

/**
 * Whether storing `bytes` as they are would store much more than the block:
 * IndexedDB stores the whole buffer behind a view, and blocks often are
 * views. The importer's chunker cuts them out of the caller's input, so a
 * page's `put` of N MiB of bytes wrote N MiB per block (seen: a 32 MiB put
 * failing on the quota at 1.1 GB); those are copied. A fetched block, a view
 * of its message, is stored as it is: copying each (a megabyte) cost a get
 * 0.8 ms of the page's thread per MiB (docs/performance.md, "The page's get:
 * where its time goes").
 */
export function wastesBuffer (bytes: Uint8Array): boolean {
  return bytes.buffer.byteLength - bytes.byteLength > STORED_SLACK_BYTES
}

/** blockstore-idb, storing each block's own bytes (and at most STORED_SLACK_BYTES more). */
class OwnBytesBlockstore extends IDBBlockstore {
  override async put (key: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    const own = val instanceof Uint8Array && wastesBuffer(val) ? val.slice() : val
    return super.put(key, own, options)
  }
}

/**
 * Opens the store for block bytes in a page: an IndexedDB database named
 * `<dataDir>-blocks` (blockstore-idb), the only durable store a page has.
 */
export const openBlockBytes: typeof NodeOpenBlockBytes = async (dataDir) => {
  const location = `${dataDir}-blocks`
  const store = new OwnBytesBlockstore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new StorageOpenError(`cannot open IndexedDB database ${location}: ${err.message}`, location, { cause: err })
  }
  return store
}
