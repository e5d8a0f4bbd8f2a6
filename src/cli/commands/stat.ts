import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { parseGetTarget } from '../target.js'
import { joinNetwork, onePositional, requireBootstrap } from '../transfer.js'
import { formatBytes } from '../../format-bytes.js'
import { createNode, parseCidString } from '../../index.js'
import type { Command } from '../io.js'

/**
 * `weft stat CID|LINK`: a file's type, size and blocks below its root, from
 * the root block alone (fetched through a transient node, as `get` does).
 */
export const stat: Command = {
  name: 'stat',
  usage: 'weft stat CID|LINK [--json] [--bootstrap MULTIADDR|URL|DIR]... [--config FILE] [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { json: { type: 'boolean' } }, true)
    const target = parseGetTarget(onePositional(cli.positionals, 'CID', stat.usage))
    const cid = parseCidString(target.cid)
    const config = await loadCommandConfig(cli.sources, io, { localServer: true, ...(target.server != null ? { server: target.server } : {}) })
    requireBootstrap(config)
    const node = await createNode(config, { transient: true, joinsFirst: true })
    try {
      await joinNetwork(node, io.signal)
      const result = await node.stat(cid, { signal: io.signal })
      const facts = { cid: result.cid.toString(), type: result.type, size: result.size, links: result.links }
      if (cli.extra.json === true) {
        io.stdout.write(`${JSON.stringify(facts, null, 2)}\n`)
      } else {
        const size = result.size < 1024 ? `${result.size} B` : `${formatBytes(result.size)} (${result.size} bytes)`
        io.stdout.write(`cid    ${facts.cid}\ntype   ${facts.type}\nsize   ${size}\nlinks  ${facts.links}\n`)
      }
    } finally {
      await node.stop()
    }
    return 0
  }
}
