import { IDBBlockstore } from 'blockstore-idb'
import { StorageOpenError } from '../errors.js'
import type { openBlockBytes as NodeOpenBlockBytes } from './block-bytes.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * blockstore-idb, storing each block's own bytes. IndexedDB stores the whole
 * buffer behind a view, and blocks often are views: the importer's chunker
 * cuts them out of the caller's input, so a page's `put` of N MiB of bytes
 * wrote N MiB per block (seen: a 32 MiB put failing on the quota at 1.1 GB).
 */
class OwnBytesBlockstore extends IDBBlockstore {
  override async put (key: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    const own = val instanceof Uint8Array && (val.byteOffset !== 0 || val.byteLength !== val.buffer.byteLength) ? val.slice() : val
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
