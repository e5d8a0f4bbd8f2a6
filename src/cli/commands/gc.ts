import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { controlRequest } from '../control-socket.js'
import { storageLine } from './status.js'
import { formatBytes } from '../../format-bytes.js'
import type { Command } from '../io.js'

/**
 * `weft gc`: the server running on `--data DIR` releases the blocks of
 * puts that never finished once their lease (`storage.putLeaseMs`) ran out
 * (all of them with `--unfinished`), then removes every cached block it
 * keeps for no one (not pinned, not a replica it holds).
 */
export const gc: Command = {
  name: 'gc',
  usage: 'weft gc [--unfinished] [--data DIR] [--config FILE]',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { unfinished: { type: 'boolean' } })
    const config = await loadCommandConfig(cli.sources, io)
    const answer = await controlRequest(config.dataDir, { op: 'gc', unfinished: cli.extra.unfinished === true }, io.signal)
    io.stdout.write(`freed ${formatBytes(answer.freed ?? 0)}; storage ${storageLine(answer.storage)}\n`)
    return 0
  }
}
