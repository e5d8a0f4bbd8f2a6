// Issue 14's benchmark rows: (a) time and bytes to restore full replication
// after a server holding N blocks dies (SIGKILL, its process alone);
// (b) what storage audits cost a server per hour, from a few servers
// auditing fast for a while; (c) a second `weft put` of a file already
// placed, against the first.
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { knownPeers, trueClosest } from '../src/testing/closest.js'
import { seededBlock } from '../src/testing/seeded-blocks.js'
import { startTestnet, type Testnet } from '../src/testing/testnet.js'
import { lastLine, runCli } from './cli-run.js'
import { randomFile } from './random-file.js'
import { REPAIR_BLOCK_BYTES, REPLICATION } from './repair.js'
import { onTestnet, processesFor } from './testnet-row.js'
import type { Section } from './report.js'
import type { WeftConfigInit } from '../src/config/config.js'

const MIB = 2 ** 20
/** How long a restore may take before the row gives up. */
const RESTORE_LIMIT_MS = 20 * 60_000
const POLL_MS = 2_000
const CLI_LIMIT_MS = 600_000

// --- (a) restore after a crash ---------------------------------------------

export interface RestoreFigure {
  servers: number
  processes: number
  blocks: number
  status: 'ok' | 'failed'
  /** From the SIGKILL until every block had REPLICATION holders among the servers left. */
  restoreMs?: number
  /** Repair pushes over the restore, summed over the servers left, and those × the block size. */
  pushed?: number
  bytesPushed?: number
  sweeps?: number
  lookups?: number
  /** Pushes refused or failed (repair's `failures`) over the restore. */
  failures?: number
  short?: number
  error?: string
}

interface RepairTotals { pushed: number, sweeps: number, lookups: number, failures: number }

async function repairTotals (net: Testnet): Promise<RepairTotals> {
  const totals: RepairTotals = { pushed: 0, sweeps: 0, lookups: 0, failures: 0 }
  for (const server of net.servers) {
    const repair = (await net.status(server.peerId)).storage.repair
    if (repair == null) continue
    totals.pushed += repair.pushed
    totals.sweeps += repair.sweeps
    totals.lookups += repair.lookups
    totals.failures += repair.failures
  }
  return totals
}

/**
 * A testnet of `servers`, then one more server in a process of its own (the
 * victim, so that a SIGKILL ends it alone); `blocks` blocks of which it is
 * among the REPLICATION true closest are seeded on their closest servers;
 * the victim's process is killed and the servers left are polled until
 * every block has REPLICATION holders again.
 */
export async function measureRestore (servers: number, blocks: number, tmpDir: string, log: (line: string) => void): Promise<RestoreFigure> {
  const figure: RestoreFigure = { servers, processes: processesFor(servers - 1) + 1, blocks, status: 'failed' }
  return onTestnet(figure, servers - 1, tmpDir, async net => {
    const [victim] = await net.addServers(1, { processes: 1 })
    const all = await knownPeers(net.servers.map(s => peerIdFromString(s.peerId)))
    const seed = `restore-${Date.now()}`
    const perServer = new Map<string, number[]>()
    const cids: string[] = []
    for (let index = 0; cids.length < blocks; index++) {
      const { cid } = await seededBlock(seed, index, REPAIR_BLOCK_BYTES)
      const set = (await trueClosest(cid.multihash.bytes, all, REPLICATION)).map(String)
      if (!set.includes(victim.peerId)) continue
      cids.push(cid.toString())
      for (const holder of set) perServer.set(holder, [...(perServer.get(holder) ?? []), index])
    }
    await Promise.all([...perServer].map(async ([peerId, indices]) => net.seed(peerId, { seed, size: REPAIR_BLOCK_BYTES, indices })))
    log(`durability: ${blocks} blocks seeded; SIGKILL of ${victim.peerId} (process ${victim.process})`)
    await net.killProcess(victim.process)
    const before = await repairTotals(net)
    const started = performance.now()
    let short = blocks
    for (;;) {
      short = (await net.holderCounts(cids)).filter(c => c < REPLICATION).length
      if (short === 0 || performance.now() - started > RESTORE_LIMIT_MS) break
      await new Promise(resolve => setTimeout(resolve, POLL_MS))
    }
    figure.restoreMs = performance.now() - started
    figure.short = short
    const after = await repairTotals(net)
    figure.pushed = after.pushed - before.pushed
    figure.bytesPushed = figure.pushed * REPAIR_BLOCK_BYTES
    figure.sweeps = after.sweeps - before.sweeps
    figure.lookups = after.lookups - before.lookups
    figure.failures = after.failures - before.failures
    if (short > 0) throw new Error(`${short} of ${blocks} blocks still short of ${REPLICATION} holders after ${RESTORE_LIMIT_MS / 60_000} min`)
  })
}

export function restoreSection (figures: RestoreFigure[]): Section {
  return {
    id: 'durability-restore',
    title: '9a. Restoring full replication after a server holding N blocks dies (SIGKILL)',
    note: `The victim joins last, in a process of its own; blocks of ${REPAIR_BLOCK_BYTES} B made from a seed are written into the stores of their ${REPLICATION} true XOR-closest servers, the victim among them, and its process is SIGKILLed. ` +
      `Time: from the kill until every block has ${REPLICATION} holders (replica or pinned) among the servers left, polled every ${POLL_MS / 1000} s. ` +
      'Pushes, sweeps, lookups and failures: the repair counters of the servers left, over the restore; bytes = pushes × the block size (the have requests beside them are ~40 B a block).',
    columns: ['servers (processes)', 'blocks lost', 'restore s', 'pushes', 'MiB pushed', 'pushes per lost block', 'sweeps', 'lookups', 'failures', 'short at end'],
    rows: figures.map(f => f.restoreMs == null
      ? [`${f.servers} (${f.processes})`, String(f.blocks), `failed: ${f.error ?? ''}`, '', '', '', '', '', '', '']
      : [
          `${f.servers} (${f.processes})`,
          String(f.blocks),
          (f.restoreMs / 1000).toFixed(0) + (f.status === 'ok' ? '' : ` (failed: ${f.error ?? ''})`),
          String(f.pushed),
          ((f.bytesPushed ?? 0) / MIB).toFixed(1),
          ((f.pushed ?? 0) / f.blocks).toFixed(2),
          String(f.sweeps),
          String(f.lookups),
          String(f.failures),
          String(f.short)
        ]),
    data: figures
  }
}

// --- (b) audit cost ---------------------------------------------------------

export interface AuditCostFigure {
  servers: number
  /** Seconds each phase ran. */
  seconds: number
  auditsPerHour: number
  blockBytes: number
  blocksPerServer: number
  status: 'ok' | 'failed'
  /** Per server over the audited window: audits with a verdict, passed, failed, skipped. */
  audits?: number[]
  passed?: number
  failed?: number
  skipped?: number
  /** Bytes hashed over the window, all servers: for their own audits, and answering others. */
  bytesHashedOwn?: number
  bytesHashedAnswering?: number
  /** CPU seconds of each server's process over the window, audits on; and with audits off (the control). */
  cpuAuditing?: number[]
  cpuControl?: number[]
  error?: string
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? []
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function cpuOver (net: Testnet, seconds: number): Promise<number[]> {
  const pids = net.processes.filter(p => p.alive).map(p => p.pid ?? -1)
  const before = pids.map(cpuSeconds)
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  return pids.map((pid, i) => cpuSeconds(pid) - before[i])
}

/** `servers` servers (a process each), each seeded the same `blocks` blocks of `blockBytes` as replicas. */
async function auditNet (servers: number, blocks: number, blockBytes: number, config: WeftConfigInit, dataDir: string): Promise<Testnet> {
  const net = await startTestnet({ servers, processes: servers, dataDir, config })
  const seed = `audit-${Date.now()}`
  const indices = Array.from({ length: blocks }, (_, i) => i)
  await Promise.all(net.servers.map(async s => net.seed(s.peerId, { seed, size: blockBytes, indices })))
  return net
}

/**
 * Two testnets of `servers`, each server holding the same blocks (so every
 * one is another's fellow holder), repair off: one with audits off, one at
 * `auditsPerHour` (with `storage.auditBytesPerHour` raised out of the way, so
 * every challenge is answered); each process's CPU over `seconds`, and the
 * audit counters from the status. The difference per audit, times 60, is an
 * hour at the default rate.
 */
export async function measureAuditCost (servers: number, seconds: number, auditsPerHour: number, tmpDir: string, log: (line: string) => void): Promise<AuditCostFigure> {
  const blockBytes = MIB
  const blocksPerServer = 32
  const figure: AuditCostFigure = { servers, seconds, auditsPerHour, blockBytes, blocksPerServer, status: 'failed' }
  const base: WeftConfigInit = { storage: { repairIntervalMs: 0, auditBytesPerHour: 1024 * 2 ** 30 } }
  let net: Testnet | undefined
  try {
    log(`durability: audits off, ${servers} servers, ${seconds} s of CPU (the control)`)
    net = await auditNet(servers, blocksPerServer, blockBytes, { storage: { ...base.storage, auditsPerHour: 0 } }, `${tmpDir}/audit-control`)
    figure.cpuControl = await cpuOver(net, seconds)
    await net.stop()
    log(`durability: ${auditsPerHour} audits an hour, ${servers} servers, ${seconds} s`)
    net = await auditNet(servers, blocksPerServer, blockBytes, { storage: { ...base.storage, auditsPerHour } }, `${tmpDir}/audit-on`)
    const statsOf = async (t: Testnet): Promise<Array<NonNullable<Awaited<ReturnType<Testnet['status']>>['storage']['audit']>>> =>
      Promise.all(t.servers.map(async s => (await t.status(s.peerId)).storage.audit ?? assertNever(s.peerId)))
    const before = await statsOf(net)
    figure.cpuAuditing = await cpuOver(net, seconds)
    const after = await statsOf(net)
    figure.audits = after.map((a, i) => a.audits - before[i].audits)
    figure.passed = after.reduce((n, a, i) => n + a.passed - before[i].passed, 0)
    figure.failed = after.reduce((n, a, i) => n + a.failed - before[i].failed, 0)
    figure.skipped = after.reduce((n, a, i) => n + a.skipped - before[i].skipped, 0)
    figure.bytesHashedOwn = after.reduce((n, a, i) => n + a.bytesHashed - before[i].bytesHashed, 0)
    figure.bytesHashedAnswering = after.reduce((n, a, i) => n + a.answered.bytesHashed - before[i].answered.bytesHashed, 0)
    figure.status = 'ok'
  } catch (err: any) {
    figure.error = String(err.message ?? err)
  } finally {
    await net?.stop()
    await rm(`${tmpDir}/audit-control`, { recursive: true, force: true })
    await rm(`${tmpDir}/audit-on`, { recursive: true, force: true })
  }
  return figure
}

function assertNever (peerId: string): never {
  throw new Error(`server ${peerId} reports no audits: is it a server?`)
}

const sum = (xs: number[] | undefined): number => (xs ?? []).reduce((a, b) => a + b, 0)

export function auditCostSection (f: AuditCostFigure): Section {
  const audits = sum(f.audits)
  const extraCpu = sum(f.cpuAuditing) - sum(f.cpuControl)
  const perAuditMs = audits > 0 ? extraCpu / audits * 1000 : NaN
  const hashedPerAudit = audits > 0 ? ((f.bytesHashedOwn ?? 0) + (f.bytesHashedAnswering ?? 0)) / audits : NaN
  return {
    id: 'durability-audits',
    title: `9b. Storage audits: cost per server, ${f.servers} servers at ${f.auditsPerHour} audits an hour for ${f.seconds} s`,
    note: `Each server (a process of its own, repair off) holds the same ${f.blocksPerServer} blocks of ${f.blockBytes / MIB} MiB as replicas, so each is a fellow holder of the others' blocks. ` +
      `CPU: each process's user + system time (/proc) over the window, audits on, minus the same window of a second testnet with audits off (the control). storage.auditBytesPerHour is raised so no challenge is answered busy. ` +
      'Per hour at the default (60 audits): the CPU and bytes per audit (both sides: the auditor and the holder it challenged) × 60.',
    columns: ['servers', 'audits (per server)', 'passed', 'failed', 'skipped', 'CPU s per server, audits on', 'CPU s per server, off', 'CPU ms per audit (both sides)', 'MiB hashed per audit (both sides)', 'per server per hour at 60/h: CPU s', 'MiB hashed'],
    rows: [f.status !== 'ok'
      ? [String(f.servers), `failed: ${f.error ?? ''}`, '', '', '', '', '', '', '', '', '']
      : [
          String(f.servers),
          `${audits} (${(f.audits ?? []).join(', ')})`,
          String(f.passed),
          String(f.failed),
          String(f.skipped),
          (f.cpuAuditing ?? []).map(c => c.toFixed(1)).join(', '),
          (f.cpuControl ?? []).map(c => c.toFixed(1)).join(', '),
          perAuditMs.toFixed(1),
          (hashedPerAudit / MIB).toFixed(2),
          (perAuditMs * 60 / 1000).toFixed(2),
          (hashedPerAudit * 60 / MIB).toFixed(0)
        ]],
    data: f
  }
}

// --- (c) the same file put twice -------------------------------------------

export interface ReputFigure {
  size: number
  servers: number
  status: 'ok' | 'failed'
  /** Each put: wall time of the `weft put` process and its summary line. */
  firstMs?: number
  firstSummary?: string
  firstSent?: number
  secondMs?: number
  secondSummary?: string
  secondSent?: number
  error?: string
}

const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 }

/** The bytes of the summary's "N sent". */
export function sentOf (summary: string): number | undefined {
  const m = /([\d.]+) (B|KiB|MiB|GiB|TiB) sent/.exec(summary)
  return m == null ? undefined : Number(m[1]) * UNITS[m[2]]
}

/** `weft put FILE` into a fresh testnet, then the same command again: time and bytes sent of each. */
export async function measureReput (servers: number, size: number, tmpDir: string, log: (line: string) => void): Promise<ReputFigure> {
  const figure: ReputFigure = { size, servers, status: 'failed' }
  const file = await randomFile(tmpDir, size)
  try {
    return await onTestnet(figure, servers, tmpDir, async net => {
      const args = ['put', file.path, '--bootstrap', net.servers[0].multiaddrs[0]]
      log(`durability: weft put of ${size / MIB} MiB into ${servers} servers, twice`)
      const first = await runCli(args, CLI_LIMIT_MS)
      if (first.code !== 0) throw new Error(`the first weft put exited ${String(first.code)}: ${lastLine(first.stderr)}`)
      figure.firstMs = first.ms
      figure.firstSummary = lastLine(first.stderr)
      figure.firstSent = sentOf(figure.firstSummary)
      const second = await runCli(args, CLI_LIMIT_MS)
      if (second.code !== 0) throw new Error(`the second weft put exited ${String(second.code)}: ${lastLine(second.stderr)}`)
      figure.secondMs = second.ms
      figure.secondSummary = lastLine(second.stderr)
      figure.secondSent = sentOf(figure.secondSummary)
      if (second.stdout.trim() !== first.stdout.trim()) throw new Error('the two puts gave different CIDs')
    })
  } finally {
    await rm(file.path, { force: true })
  }
}

export function reputSection (f: ReputFigure): Section {
  const ratio = (a?: number, b?: number): string => a == null || b == null || b === 0 ? '–' : (a / b).toFixed(3)
  return {
    id: 'durability-reput',
    title: `9c. The same ${f.size / MIB} MiB put twice into ${f.servers} servers`,
    note: '`weft put FILE` as fresh processes, timed from spawn to exit (start-up and join included), the second right after the first; sent: the summary line\'s own count of bytes the uploader pushed. ' +
      'Before sending, a put asks each block\'s closest server whether it keeps the block (/weft/have/1.0.0) and sends only what is missing.',
    columns: ['first put s', 'first sent MiB', 'second put s', 'second sent MiB', 'second ÷ first, time', 'second ÷ first, bytes', 'second put says'],
    rows: [f.secondMs == null
      ? [`failed: ${f.error ?? ''}`, '', '', '', '', '', '']
      : [
          ((f.firstMs ?? 0) / 1000).toFixed(1),
          f.firstSent == null ? '?' : (f.firstSent / MIB).toFixed(1),
          (f.secondMs / 1000).toFixed(1),
          f.secondSent == null ? '?' : (f.secondSent / MIB).toFixed(1),
          ratio(f.secondMs, f.firstMs),
          ratio(f.secondSent, f.firstSent),
          (f.secondSummary ?? '').replace(/^.*\(/, '(')
        ]],
    data: f
  }
}
