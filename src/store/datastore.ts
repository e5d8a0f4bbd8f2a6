import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { openLevel } from './open-level.js'
import { StorageOpenError } from '../errors.js'
import type { LevelDatastore } from 'datastore-level'

/**
 * Opens the node's metadata store: LevelDB in `<dataDir>/datastore`. It holds
 * the node's key, the peer store and the DHT's records, so they survive
 * restarts.
 */
export async function openDatastore (dataDir: string): Promise<LevelDatastore> {
  const location = join(resolve(dataDir), 'datastore')
  try {
    await mkdir(location, { recursive: true })
    return await openLevel(location)
  } catch (err: any) {
    const why = causeCode(err) === 'LEVEL_LOCKED'
      ? 'it is locked: is another weft node running on this data directory?'
      : (err.cause?.message ?? err.message)
    throw new StorageOpenError(`cannot open datastore at ${location}: ${why}`, location, { cause: err })
  }
}

function causeCode (err: any): string | undefined {
  for (let e = err; e != null; e = e.cause) {
    if (typeof e.code === 'string' && e.code.startsWith('LEVEL_') && e.code !== 'LEVEL_DATABASE_NOT_OPEN') return e.code
  }
  return undefined
}
