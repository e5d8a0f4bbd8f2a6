import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { loadOrCreateSelfKey } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Key } from 'interface-datastore'
import { parseCommandLine } from '../args.js'
import { loadConfig } from '../../config/load.js'
import { openDatastore } from '../../store/datastore.js'
import { ConfigError, StorageOpenError } from '../../errors.js'
import type { Command } from '../io.js'

/** `weft id`: prints the PeerId kept in a data directory, without starting a node. */
export const id: Command = {
  name: 'id',
  summary: 'print the PeerId stored in a data directory',
  usage: 'weft id [--data DIR] [--config FILE]',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env)
    if (cli.help) {
      io.stdout.write(`${id.usage}\n`)
      return 0
    }
    const { dataDir } = await loadConfig(cli.sources)
    io.stdout.write(`${await storedPeerId(dataDir)}\n`)
    return 0
  }
}

async function storedPeerId (dataDir: string): Promise<string> {
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
