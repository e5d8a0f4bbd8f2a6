import { LevelDatastore } from 'datastore-level'
import { StorageOpenError } from '../errors.js'
import type { openDatastore as NodeOpenDatastore } from './datastore.js'

/**
 * Opens the node's metadata store in the page: IndexedDB (via browser-level),
 * in a database named after `dataDir`, so the PeerId survives a reload.
 */
export const openDatastore: typeof NodeOpenDatastore = async (dataDir) => {
  const location = `${dataDir}/datastore`
  try {
    const store = new LevelDatastore(location)
    await store.open()
    return store
  } catch (err: any) {
    throw new StorageOpenError(`cannot open IndexedDB database ${location}: ${err.message}`, location, { cause: err })
  }
}
