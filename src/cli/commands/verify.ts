import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { formatCount } from '../progress.js'
import { parseGetTarget } from '../target.js'
import { joinNetwork, onePositional, requireBootstrap, TRANSFER_FLAGS } from '../transfer.js'
import { createNode, parseCidString } from '../../index.js'
import type { Command, CommandIO } from '../io.js'
import type { VerifyResult } from '../../index.js'

/**
 * `weft verify CID`: asks the servers how many keep each block of a file.
 * The summary goes to stderr, `--json` writes the whole answer to stdout;
 * exit 0 only when every block has `storage.writeQuorum` holders, 1 when any
 * has fewer.
 */
export const verify: Command = {
  name: 'verify',
  usage: 'weft verify CID|LINK [--json] [--bootstrap MULTIADDR|URL|DIR]... [--config FILE] [--quiet] [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { ...TRANSFER_FLAGS, json: { type: 'boolean' } }, true)
    // a mistyped CID fails here, before any networking; a share link names its server too
    const target = parseGetTarget(onePositional(cli.positionals, 'CID', verify.usage))
    const cid = parseCidString(target.cid)
    const quiet = cli.extra.quiet === true
    const config = await loadCommandConfig(cli.sources, io, { localServer: true, ...(target.server != null ? { server: target.server } : {}) })
    requireBootstrap(config)
    const node = await createNode(config, { transient: true, joinsFirst: true })
    let result: VerifyResult
    try {
      await joinNetwork(node, io.signal)
      result = await node.verify(cid, { signal: io.signal })
    } finally {
      await node.stop()
    }
    if (cli.extra.json === true) io.stdout.write(`${JSON.stringify(verifyJson(result), null, 2)}\n`)
    if (!quiet) writeSummary(io, result)
    return result.ok ? 0 : 1
  }
}

/** The answer for scripts: CIDs as strings. */
export function verifyJson (result: VerifyResult): unknown {
  return {
    cid: result.cid.toString(),
    ok: result.ok,
    writeQuorum: result.writeQuorum,
    minHolders: result.minHolders,
    short: result.short,
    blocks: result.blocks.map(b => ({ ...b, cid: b.cid.toString() }))
  }
}

/**
 * `17 blocks, every one on at least 3 servers (3 on 17)`, or
 * `17 blocks, 4 below the write quorum 3 (3 on 13, 2 on 4)` and a line per
 * block below it naming its holders and the servers that did not answer.
 */
export function summaryLines (result: VerifyResult): string[] {
  const counts = new Map<number, number>()
  for (const b of result.blocks) counts.set(b.holders, (counts.get(b.holders) ?? 0) + 1)
  const spread = [...counts].sort((a, b) => b[0] - a[0]).map(([holders, blocks]) => `${holders} on ${formatCount(blocks)}`).join(', ')
  const n = result.blocks.length
  const head = `${result.cid.toString()}: ${formatCount(n)} block${n === 1 ? '' : 's'}, `
  if (result.ok) return [`${head}every one on at least ${result.minHolders} server${result.minHolders === 1 ? '' : 's'} (${spread}); write quorum ${result.writeQuorum}`]
  const lines = [`${head}${formatCount(result.short)} below the write quorum ${result.writeQuorum} (${spread})`]
  for (const b of result.blocks) {
    if (b.holders >= result.writeQuorum) continue
    const held = b.servers.length > 0 ? `: ${b.servers.join(', ')}` : ''
    const failed = b.failed.length > 0 ? `; no answer from ${b.failed.join('; ')}` : ''
    lines.push(`short block ${b.cid.toString()}: ${b.holders} of ${b.asked} asked keep it${held}${failed}`)
  }
  return lines
}

function writeSummary (io: CommandIO, result: VerifyResult): void {
  for (const line of summaryLines(result)) io.stderr.write(`${line}\n`)
}
