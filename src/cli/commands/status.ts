import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseCommandLine } from '../args.js'
import { formatBytes } from '../../format-bytes.js'
import { formatCount, formatDuration } from '../progress.js'
import { loadConfig } from '../../config/load.js'
import { UsageError } from '../../errors.js'
import { listeningInfo } from '../find-server.js'
import type { Command } from '../io.js'
import type { WeftConfig } from '../../config/config.js'
import type { AuditAnswerStats, AuditStats, IntegrityStats, NodeStatus, RepairStats, ServingStats } from '../../index.js'
import type { GuardStats } from '../../services/store-guard.js'

/** How long a server may take to answer. */
export const STATUS_TIMEOUT_MS = 5_000

/**
 * `weft status`: asks a running server (its HTTP `/weft/status.json`, at the
 * host and port of the config, or `--url`) for its peers and storage.
 */
export const status: Command = {
  name: 'status',
  usage: 'weft status [--url http://HOST:PORT] [--json] [--config FILE] [--data DIR] [--<setting> VALUE]...',
  async run (args, io) {
    const cli = parseCommandLine(args, io.env, { url: { type: 'string' }, json: { type: 'boolean' } })
    if (cli.help) {
      io.stdout.write(`${status.usage}\n`)
      return 0
    }
    const config = await loadConfig(cli.sources)
    // a server running on the data directory says where its HTTP is (http.port 0 included)
    const local = cli.extra.url == null ? (await listeningInfo(config.dataDir))?.http : undefined
    const base = cli.extra.url != null ? parseUrl(String(cli.extra.url)) : local != null ? new URL(local) : urlFromConfig(config)
    const node = await fetchStatus(base, io.signal)
    // the data dir names a node; say so when another one answered
    const expected = await peerIdOfDataDir(config.dataDir)
    if (expected != null && expected !== node.peerId) {
      io.stderr.write(`weft: note: the server at ${base.href} is ${node.peerId}, not the node of ${resolve(config.dataDir)} (${expected})\n`)
    }
    io.stdout.write(cli.extra.json === true ? `${JSON.stringify(node, null, 2)}\n` : formatStatus(node))
    return 0
  }
}

function parseUrl (text: string): URL {
  try {
    const url = new URL(text)
    if (url.protocol === 'http:' || url.protocol === 'https:') return url
  } catch {}
  throw new UsageError(`--url must be an http:// or https:// URL, got "${text}"`, text)
}

/** The server's own HTTP address from the config it runs with; a wildcard host means this machine. */
function urlFromConfig (config: WeftConfig): URL {
  if (!config.http.enabled) {
    throw new UsageError('HTTP is disabled in this config (http.enabled false), and status is read from a server\'s HTTP: pass --url http://HOST:PORT')
  }
  if (config.http.port === 0) {
    throw new UsageError('the config has http.port 0 (a port picked at start): pass --url with the URL the server printed')
  }
  return new URL(`http://${hostForUrl(config.http.host)}:${config.http.port}/`)
}

/** A listening host as a URL host: a wildcard means this machine, an IPv6 address gets brackets. */
function hostForUrl (host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** The PeerId a server running on `dataDir` wrote at start, if any. */
async function peerIdOfDataDir (dataDir: string): Promise<string | undefined> {
  const text = await readFile(join(dataDir, 'peer-id'), 'utf8').catch(() => undefined)
  return text?.trim()
}

async function fetchStatus (base: URL, signal: AbortSignal): Promise<NodeStatus> {
  const url = new URL('weft/status.json', base.href.endsWith('/') ? base : `${base.href}/`)
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(STATUS_TIMEOUT_MS)]) })
  } catch (err: any) {
    signal.throwIfAborted()
    const reason = err?.name === 'TimeoutError' ? `no answer in ${STATUS_TIMEOUT_MS / 1000} s` : err?.cause?.code ?? err?.cause?.message ?? err?.message
    throw new Error(`no weft server answers at ${base.href}: ${reason} (is "weft start" running with HTTP on?)`, { cause: err })
  }
  const body = await response.text()
  if (!response.ok) {
    throw new Error(`${url.href} answered HTTP ${response.status}: is ${base.href} a weft server?`)
  }
  let parsed: any
  try {
    parsed = JSON.parse(body)
  } catch {}
  if (typeof parsed?.peerId !== 'string') {
    throw new Error(`${url.href} did not answer with a weft status: is ${base.href} a weft server?`)
  }
  return parsed as NodeStatus
}

/** The human table: one `label  value` line per fact, addresses one per line. */
export function formatStatus (node: NodeStatus): string {
  const connections = Object.entries(node.connections ?? {}).filter(([, n]) => n != null && n > 0)
  const connectionCount = connections.reduce((sum, [, n]) => sum + (n ?? 0), 0)
  const rows: Array<[string, string]> = [
    ['PeerId', node.peerId],
    ['role', node.role],
    ...(node.multiaddrs.length === 0
      ? [['listening', 'nothing']] as Array<[string, string]>
      : node.multiaddrs.map((ma, i): [string, string] => [i === 0 ? 'listening' : '', ma])),
    ['connections', connectionCount === 0 ? 'none' : `${connectionCount} (${connections.map(([t, n]) => `${t} ${n}`).join(', ')})`],
    ['peers', formatCount(node.connectedPeers?.length ?? 0)],
    ['routing table', `${formatCount(node.routingTableSize)} peer${node.routingTableSize === 1 ? '' : 's'}`],
    ['storage', node.storage == null ? 'unknown (the server is older than storage)' : storageLine(node.storage)],
    ...(node.storage?.serving != null ? [['served', servingLine(node.storage.serving)]] as Array<[string, string]> : []),
    ...(node.storage?.repair != null ? [['repair', repairLine(node.storage.repair, Date.now())]] as Array<[string, string]> : []),
    ...(node.storage?.audit != null ? auditRows(node.storage.audit) : []),
    ...(node.bootstrap != null && node.bootstrap.length > 0 ? [['bootstrap', bootstrapLine(node.bootstrap)]] as Array<[string, string]> : []),
    ...(node.storage?.integrity != null ? [['integrity', integrityLine(node.storage.integrity)]] as Array<[string, string]> : []),
    ...(node.storage?.guard != null ? [['refused', refusedLine(node.storage.guard)]] as Array<[string, string]> : [])
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('')
}

/** `1.2 GiB of 10.0 GiB (12 %), 1,234 blocks, 3 pins`. */
export function storageLine (storage: NodeStatus['storage']): string {
  const { usedBytes, maxBytes, blocks, pins } = storage
  const percent = maxBytes === 0 ? (usedBytes === 0 ? '0' : '100') : usedBytes > 0 && usedBytes * 100 < maxBytes ? '<1' : String(Math.round(usedBytes * 100 / maxBytes))
  return `${formatBytes(usedBytes)} of ${formatBytes(maxBytes)} (${percent} %), ` +
    `${formatCount(blocks)} block${blocks === 1 ? '' : 's'}, ${formatCount(pins)} pin${pins === 1 ? '' : 's'}`
}

/** `last sweep 2 min 5 s ago (1.3 s); 1,234 blocks checked, 5 pushed, 2 released, 0 failures since start`. */
export function repairLine (repair: RepairStats, now: number): string {
  const totals = `${formatCount(repair.blocksChecked)} block${repair.blocksChecked === 1 ? '' : 's'} checked, ` +
    `${formatCount(repair.pushed)} pushed, ${formatCount(repair.released)} released, ` +
    `${formatCount(repair.failures)} failure${repair.failures === 1 ? '' : 's'}, ` +
    `${formatCount(repair.lookups)} lookup${repair.lookups === 1 ? '' : 's'} since start`
  const running = repair.running ? 'sweeping now; ' : ''
  if (repair.lastSweepAt == null) return `${running}no sweep finished yet`
  return `${running}last sweep ${formatDuration(Math.max(0, now - repair.lastSweepAt))} ago (${formatDuration(repair.lastSweepMs ?? 0)}); ${totals}`
}

/**
 * `audits  12 passed, 1 failed (1 not held), 3 skipped; 26.0 MiB hashed` and
 * one line per recent failure, then what this server answered others' audits.
 */
export function auditRows (audit: AuditStats & { answered: AuditAnswerStats }): Array<[string, string]> {
  const reasons = Object.entries(audit.failures).filter(([, n]) => n > 0).map(([reason, n]) => `${formatCount(n)} ${reason}`)
  const rows: Array<[string, string]> = [[
    'audits',
    `${formatCount(audit.passed)} passed, ${formatCount(audit.failed)} failed${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}, ` +
    `${formatCount(audit.skipped)} skipped; ${formatBytes(audit.bytesHashed)} hashed since start`
  ]]
  for (const failure of [...audit.recent].reverse()) {
    rows.push(['', `${failure.reason}: ${failure.peer} for ${failure.cid}, ${formatDuration(Math.max(0, Date.now() - failure.at))} ago`])
  }
  const { answered } = audit
  rows.push(['audit answers', `${formatCount(answered.proved)} proved, ${formatCount(answered.notHeld)} not held, ${formatCount(answered.busy)} busy; ${formatBytes(answered.bytesHashed)} hashed`])
  return rows
}

/** `12 blocks (12.0 MiB) sent to peers, 36 blocks (36.0 MiB) stored for them since start`: what `weft_*_total` counts too. */
export function servingLine (serving: ServingStats): string {
  const blocks = (n: number): string => `${formatCount(n)} block${n === 1 ? '' : 's'}`
  return `${blocks(serving.blocksServed)} (${formatBytes(serving.bytesServed)}) sent to peers, ${blocks(serving.blocksStored)} (${formatBytes(serving.bytesStored)}) stored for them since start`
}

/** `2 of 3 peers connected`, or a warning when none is: the server is alone and keeps dialling them. */
export function bootstrapLine (bootstrap: NonNullable<NodeStatus['bootstrap']>): string {
  const up = bootstrap.filter(b => b.connected).length
  const n = bootstrap.length
  if (up > 0) return `${up} of ${n} peer${n === 1 ? '' : 's'} connected`
  return `none of ${n} peer${n === 1 ? '' : 's'} connected (dialling again with backoff): ${bootstrap.map(b => b.multiaddr).join(', ')}`
}

/** `no damaged blocks found since start` or `3 corrupt, 1 missing blocks dropped since start; 2 orphan files, 1 temporary file removed at start`. */
export function integrityLine (integrity: IntegrityStats): string {
  const { corruptBlocksDropped: corrupt, missingBlocksDropped: missing, orphanFilesRemoved: orphans, temporaryFilesRemoved: temporaries } = integrity
  const dropped = corrupt + missing === 0
    ? 'no damaged blocks found since start'
    : `${formatCount(corrupt)} corrupt, ${formatCount(missing)} missing block${corrupt + missing === 1 ? '' : 's'} dropped since start`
  if (orphans + temporaries === 0) return dropped
  return `${dropped}; ${formatCount(orphans)} orphan file${orphans === 1 ? '' : 's'}, ` +
    `${formatCount(temporaries)} temporary file${temporaries === 1 ? '' : 's'} removed at start`
}

/** `48 over storage.peerStoreBytesPerHour, 3 not responsible; 2 serves paced since start`, or `nothing since start`. */
export function refusedLine (guard: GuardStats): string {
  const { refusals } = guard
  const parts = [
    ...(refusals.notResponsible > 0 ? [`${formatCount(refusals.notResponsible)} not responsible`] : []),
    ...(refusals.notAllowed > 0 ? [`${formatCount(refusals.notAllowed)} not in storage.allowPeers`] : []),
    ...(['peerStoreBytesPerHour', 'peerStoreBytes', 'peerStreams'] as const)
      .filter(limit => refusals[limit] > 0)
      .map(limit => `${formatCount(refusals[limit])} over storage.${limit}`)
  ]
  const paced = guard.servesPaced > 0 ? `${parts.length > 0 ? '; ' : ''}${formatCount(guard.servesPaced)} serve${guard.servesPaced === 1 ? '' : 's'} paced` : ''
  return parts.length === 0 && paced === '' ? 'nothing since start' : `${parts.join(', ')}${paced} since start`
}
