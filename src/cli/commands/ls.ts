import { parseCommandLine } from '../args.js'
import { loadCommandConfig } from '../command-config.js'
import { controlRequest } from '../control-socket.js'
import { formatCount } from '../progress.js'
import { storageLine } from './status.js'
import { UsageError } from '../../errors.js'
import { formatBytes } from '../../format-bytes.js'
import type { Command } from '../io.js'
import type { BlockCounts, StorageStats, StoreListing } from '../../index.js'

/** Files `weft ls` prints unless told otherwise: a server with 10,000 blocks still fits a screen. */
export const DEFAULT_LS_LIMIT = 20

/**
 * `weft ls`: what the server running on `--data DIR` keeps, by file where it
 * holds the root (largest first, `--limit N`, 0 for all), then the blocks no
 * file it holds reaches, and a total line. `--json` prints the listing
 * (`StoreListing`), every file unless `--limit` is given.
 */
export const ls: Command = {
  name: 'ls',
  usage: 'weft ls [--limit N] [--json] [--data DIR] [--config FILE]',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { json: { type: 'boolean' }, limit: { type: 'string' } })
    const json = cli.extra.json === true
    const limit = parseLimit(cli.extra.limit as string | undefined, json ? 0 : DEFAULT_LS_LIMIT)
    const config = await loadCommandConfig(cli.sources, io)
    const answer = await controlRequest(config.dataDir, { op: 'ls', ...(limit > 0 ? { limit } : {}) }, io.signal)
    const listing = answer.listing
    if (listing == null) throw new Error(`the server on ${config.dataDir} did not answer ls (an older weft?)`)
    io.stdout.write(json ? `${JSON.stringify({ ...listing, storage: answer.storage }, null, 2)}\n` : formatListing(listing, answer.storage))
    return 0
  }
}

function parseLimit (value: string | undefined, fallback: number): number {
  if (value == null) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--limit takes a whole number of files (0 for all), got ${JSON.stringify(value)}`, value)
  return n
}

/**
 * The listing as `weft ls` prints it: one line per file (CID, type, size,
 * role of its root, blocks held of those known, a directory's first
 * entries), a line for the files left out, one for the loose blocks and a
 * total. As many lines as files shown plus four, whatever the store holds.
 */
export function formatListing (listing: StoreListing, storage: StorageStats): string {
  const rows = listing.files.map(file => {
    const held = file.held.blocks === file.blocks ? `${formatCount(file.blocks)}` : `${formatCount(file.held.blocks)}/${formatCount(file.blocks)}`
    const entries = file.entries != null
      ? `  ${file.entries.slice(0, 3).map(e => e.name).join(', ')}${(file.entryCount ?? 0) > 3 ? `, +${formatCount((file.entryCount ?? 0) - 3)}` : ''}`
      : ''
    // the roles are told when they are not all the root's
    const roles = Object.keys(file.held.roles)
    const note = roles.length === 1 && roles[0] === file.role ? '' : roleNote(file.held)
    return [file.cid, file.type, formatBytes(file.size), file.role, `${held} (${formatBytes(file.held.bytes)}${note})${entries}`]
  })
  const header = ['CID', 'TYPE', 'SIZE', 'ROLE', 'BLOCKS HELD']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()
  const out: string[] = []
  if (rows.length > 0) out.push(line(header), ...rows.map(line))
  const left = listing.fileCount - listing.files.length
  if (left > 0) out.push(`… and ${formatCount(left)} more file${left === 1 ? '' : 's'} (weft ls --limit 0 lists all, --json for scripts)`)
  if (listing.fileCount === 0) out.push('no file whose root is held here')
  out.push(`loose: ${counts(listing.loose)} that no file held here reaches`)
  out.push(`total: ${formatCount(listing.fileCount)} file${listing.fileCount === 1 ? '' : 's'}; ${counts(listing.total)}; storage ${storageLine(storage)}`)
  return `${out.join('\n')}\n`
}

/** `2,000 blocks (2.0 GiB; 1,500 replica, 500 cache)`. */
function counts (c: BlockCounts): string {
  return `${formatCount(c.blocks)} block${c.blocks === 1 ? '' : 's'} (${formatBytes(c.bytes)}${roleNote(c)})`
}

/** `; 1,500 replica, 500 cache`, or nothing for no blocks. */
function roleNote (c: BlockCounts): string {
  const roles = Object.entries(c.roles).filter(([, n]) => (n ?? 0) > 0)
  if (roles.length === 0) return ''
  return `; ${roles.map(([role, n]) => `${formatCount(n ?? 0)} ${role}`).join(', ')}`
}
