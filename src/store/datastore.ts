import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { StorageOpenError } from '../errors.js'

/**
 * Opens the node's metadata store: LevelDB in `<dataDir>/datastore`. It holds
 * the node's key, the peer store and the DHT's records, so they survive
 * restarts.
 */
export async function openDatastore (dataDir: string): Promise<LevelDatastore> {
  const location = join(resolve(dataDir), 'datastore')
  try {
    await mkdir(location, { recursive: true })
    const store = new LevelDatastore(location)
    await store.open()
    return store
  } catch (err: any) {
    const why = err.cause?.code === 'LEVEL_LOCKED' || err.code === 'LEVEL_LOCKED'
      ? 'it is locked: is another weft node running on this data directory?'
      : (err.cause?.message ?? err.message)
    throw new StorageOpenError(`cannot open datastore at ${location}: ${why}`, location, { cause: err })
  }
}
