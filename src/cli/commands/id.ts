import { parseCommandLine } from '../args.js'
import { loadConfig } from '../../config/load.js'
import { storedPeerId } from '../../node/stored-peer-id.js'
import type { Command } from '../io.js'

/** `weft id`: prints the PeerId kept in a data directory, without starting a node. */
export const id: Command = {
  name: 'id',
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
