import { StorageOpenError } from '../errors.js'
import { openLevel } from './open-level.js'
import type { openDatastore as NodeOpenDatastore } from './datastore.js'

/**
 * Opens the node's metadata store in the page: IndexedDB (via browser-level),
 * in a database named after `dataDir`, so the PeerId survives a reload.
 */
export const openDatastore: typeof NodeOpenDatastore = async (dataDir) => {
  const location = `${dataDir}/datastore`
  try {
    return await openLevel(location)
  } catch (err: any) {
    throw new StorageOpenError(`cannot open IndexedDB database ${location}: ${err.cause?.message ?? err.message}`, location, { cause: err })
  }
}
