import { IDBBlockstore } from 'blockstore-idb'
import { StorageOpenError } from '../errors.js'
import type { openBlockBytes as NodeOpenBlockBytes } from './block-bytes.js'

/**
 * Opens the store for block bytes in a page: an IndexedDB database named
 * `<dataDir>-blocks` (blockstore-idb), the only durable store a page has.
 */
export const openBlockBytes: typeof NodeOpenBlockBytes = async (dataDir) => {
  const location = `${dataDir}-blocks`
  const store = new IDBBlockstore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new StorageOpenError(`cannot open IndexedDB database ${location}: ${err.message}`, location, { cause: err })
  }
  return store
}
