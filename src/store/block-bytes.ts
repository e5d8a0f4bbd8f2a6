import { join, resolve } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { StorageOpenError } from '../errors.js'
import type { Blockstore } from 'interface-blockstore'

/** Where block bytes live: a blockstore the caller closes when the node stops. */
export type BlockBytes = Blockstore & { close: () => Promise<void> }

/**
 * Opens the store for block bytes in Node.js: one file per block under
 * `<dataDir>/blocks` (blockstore-fs; each write goes to a temporary file that
 * is renamed into place, so a block file is never seen half-written).
 * Accounting and pins live in the datastore (`BlockStore`), not here.
 */
export async function openBlockBytes (dataDir: string): Promise<BlockBytes> {
  const location = join(resolve(dataDir), 'blocks')
  const store = new FsBlockstore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new StorageOpenError(`cannot open block store at ${location}: ${err.message}`, location, { cause: err })
  }
  return store
}
