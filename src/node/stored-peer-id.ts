// Node.js only (it reads the data directory), so not exported from
// src/index.ts, which the page's bundle shares.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Key } from 'interface-datastore'
import { ConfigError, StorageOpenError } from '../errors.js'
import { openDatastore } from '../store/datastore.js'

/**
 * The PeerId of the node whose data directory is `dataDir`, without
 * starting it: read from its key in the datastore, or, while the node runs
 * and holds the datastore's lock, from the `peer-id` file it wrote beside it.
 * Throws ConfigError naming `dataDir` when no node has run there.
 */
export async function storedPeerId (dataDir: string): Promise<string> {
  if (!existsSync(join(dataDir, 'datastore'))) {
    throw new ConfigError(`no weft node has run in ${resolve(dataDir)}: run "weft start --data ${dataDir}" first`, 'dataDir', dataDir)
  }
  let datastore
  try {
    datastore = await openDatastore(dataDir)
  } catch (err) {
    // a running node holds the lock; it wrote its id beside the store
    if (err instanceof StorageOpenError) {
      const written = await readFile(join(dataDir, 'peer-id'), 'utf8').catch(() => undefined)
      if (written != null) return written.trim()
    }
    throw err
  }
  try {
    if (!await datastore.has(new Key('/pkcs8/self'))) {
      throw new ConfigError(`no node key is stored in ${resolve(dataDir)}: run "weft start --data ${dataDir}" first`, 'dataDir', dataDir)
    }
    return peerIdFromPrivateKey(await loadOrCreateSelfKey(datastore)).toString()
  } finally {
    await datastore.close()
  }
}
