import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { controlRequest, type ControlAnswer } from '../control-socket.js'
import { getTargetOf } from '../encrypt-flags.js'
import { onePositional } from '../transfer.js'
import { storageLine } from './status.js'
import { parseCidString } from '../../index.js'
import type { Command, CommandIO } from '../io.js'

// `weft pin` and `weft unpin` (like `gc`, `ls` and `rm`) act on the server running on a data
// directory (`--data DIR`, `.weft` by default), through its control socket:
// pins and garbage belong to a server's store, which a transient node has not.

/**
 * `weft pin CID|LINK|CAPABILITY`: the server keeps the whole file (fetching
 * what it lacks) until unpinned. An encrypted file's link or capability pins
 * its ciphertext: only the CID goes to the server, never the key.
 */
export const pin: Command = {
  name: 'pin',
  usage: 'weft pin CID|LINK|CAPABILITY [--data DIR] [--config FILE]',
  async run (args, io) {
    return pinning('pin', args, io)
  }
}

/** `weft unpin CID|LINK`: the server drops its pin; the blocks stay until gc or the quota needs them. */
export const unpin: Command = {
  name: 'unpin',
  usage: 'weft unpin CID|LINK|CAPABILITY [--data DIR] [--config FILE]',
  async run (args, io) {
    return pinning('unpin', args, io)
  }
}

async function pinning (op: 'pin' | 'unpin', args: string[], io: CommandIO): Promise<number> {
  const cli = parseCommandLine(args, io.env, {}, true)
  const usage = op === 'pin' ? pin.usage : unpin.usage
  // a capability's key stays here: the server pins (and serves, and repairs) ciphertext
  const cid = parseCidString(getTargetOf(onePositional(cli.positionals, 'CID', usage)).target.cid).toString()
  const config = await loadCommandConfig(cli.sources, io)
  const answer: ControlAnswer = await controlRequest(config.dataDir, { op, cid }, io.signal)
  io.stdout.write(`${op === 'pin' ? 'pinned' : 'unpinned'} ${cid}; storage ${storageLine(answer.storage)}\n`)
  return 0
}
