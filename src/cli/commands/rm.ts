import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { controlRequest } from '../control-socket.js'
import { parseGetTarget } from '../target.js'
import { onePositional } from '../transfer.js'
import { storageLine } from './status.js'
import { formatBytes } from '../../format-bytes.js'
import { parseCidString } from '../../index.js'
import type { Command } from '../io.js'

/**
 * `weft rm CID|LINK`: the server running on `--data DIR` unpins the file,
 * releases its replicas of it and deletes the blocks of it no other pin
 * reaches. On this server only: the other servers keep their copies, and
 * while this one is among a block's closest, repair brings the block back
 * (docs/storage.md, "Removing a file").
 */
export const rm: Command = {
  name: 'rm',
  usage: 'weft rm CID|LINK [--json] [--data DIR] [--config FILE]',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { json: { type: 'boolean' } }, true)
    const cid = parseCidString(parseGetTarget(onePositional(cli.positionals, 'CID', rm.usage)).cid).toString()
    const config = await loadCommandConfig(cli.sources, io)
    const answer = await controlRequest(config.dataDir, { op: 'rm', cid }, io.signal)
    const removed = answer.removed ?? { blocks: 0, bytes: 0, kept: 0 }
    if (cli.extra.json === true) {
      io.stdout.write(`${JSON.stringify({ cid, ...removed, storage: answer.storage }, null, 2)}\n`)
      return 0
    }
    if (removed.blocks === 0 && removed.kept === 0) {
      io.stdout.write(`nothing of ${cid} is held here; storage ${storageLine(answer.storage)}\n`)
      return 0
    }
    const kept = removed.kept > 0 ? `; ${removed.kept} block${removed.kept === 1 ? '' : 's'} of it stay (another pin reaches them)` : ''
    io.stdout.write(`removed ${cid}: ${removed.blocks} block${removed.blocks === 1 ? '' : 's'}, ${formatBytes(removed.bytes)}${kept}; storage ${storageLine(answer.storage)}\n`)
    return 0
  }
}
