// Item 4: lookups in simulated networks of N weft servers with the repo's
// real DHT options, in two setups side by side: every node in one process
// over the in-memory transport (bench/dht-worker.ts, a fresh process per N),
// and the nodes spread over several processes on TCP loopback
// (bench/dht-tcp.ts), the setup the target names.
import { fileURLToPath } from 'node:url'
import { runPeer } from './process.js'
import { formatSummary, type Section } from './report.js'
import { percentile, summarize } from './stats.js'
import type { WeftConfigInit } from '../src/config/config.js'
import type { DhtBatch } from './dht-lookups.js'
import type { WorkerStats } from './dht-tcp-worker.js'
import type { DhtTask } from './dht-worker.js'
import type { DhtQueryShape } from '../src/node/common-options.js'

const WORKER = fileURLToPath(new URL('./dht-worker.js', import.meta.url))

/** A block's replica set: the servers that must be found for it. */
export const REPLICATION = 5

/**
 * Config of every node of item 4, both setups: the server defaults with
 * replica repair off. These servers hold no blocks, yet every server that
 * joins starts a repair sweep on each of them, whose lookups go through
 * libp2p's peerRouting, which runs a findPeer lookup for each of the ~20
 * results (kad-dht returns them without addresses): 21 lookups per sweep,
 * seen as seconds of CPU per node after every join. Item 4 measures the
 * DHT's lookups, not that.
 */
export const DHT_CONFIG: WeftConfigInit = { storage: { repairIntervalMs: 0 } }

/** How a network was run: its transport and over how many processes. */
export interface DhtSetup {
  transport: 'memory' | 'tcp'
  processes: number
  /** The kad-dht lookup shape, when not weft's own (DHT_QUERY). */
  query?: DhtQueryShape
}

/** One network's result: its batches, or why it failed. */
export interface DhtFigure {
  n: number
  setup: DhtSetup
  status: 'ok' | 'failed'
  buildMs?: number
  /** Over processes: joins whose dials all failed and were tried again through other nodes. */
  joinsRetried?: number
  batches?: DhtBatch[]
  /** The largest peak RSS of any one process of the network. */
  maxRssBytes?: number
  /** Over processes: cores' worth of CPU all of them used in a window with no lookups, after the build. */
  idleCores?: number
  /** Over processes: how long after the build the lookups waited for the network to be quiet. */
  quietMs?: number
  /** Over processes: the same, in the same window once the lookups were done. */
  idleCoresAfter?: number
  /** Over processes: CPU time all of them spent per lookup while the lookups ran. */
  cpuMsPerLookup?: number
  /** Over processes: wall-clock time of the lookups (one at a time) and the steps between them, per lookup. */
  wallMsPerLookup?: number
  /** Over processes: each worker's resources and its nodes' connections and routing tables at the end. */
  workers?: WorkerStats[]
  error?: string
}

/** Builds an N-node network in one fresh process and measures `batches` batches of `lookups` after a warm-up batch. */
export async function measureDht (n: number, options: { lookups: number, batches: number }): Promise<DhtFigure> {
  const task: DhtTask = { n, transport: 'memory', config: DHT_CONFIG, lookups: options.lookups, batches: options.batches + 1, replication: REPLICATION }
  const setup: DhtSetup = { transport: 'memory', processes: 1 }
  try {
    const result = await runPeer<{ buildMs: number, batches: DhtBatch[], maxRssBytes: number }>(WORKER, task, 120_000 + n * 4000)
    return { n, setup, status: 'ok', buildMs: result.buildMs, batches: result.batches, maxRssBytes: result.maxRssBytes }
  } catch (err: any) {
    return { n, setup, status: 'failed', error: String(err.message ?? err) }
  }
}

/** A setup as the table's first column says it. */
export function setupName (setup: DhtSetup): string {
  const where = setup.transport === 'memory' ? 'memory, 1 process' : `TCP, ${setup.processes} processes`
  if (setup.query == null) return where
  return `${where}, alpha ${setup.query.alpha}, ${setup.query.disjointPaths} paths${setup.query.tableIntake != null && setup.query.tableIntake !== 'all' ? `, table intake ${setup.query.tableIntake}` : ''}`
}

/** Peak RSS: the one process, or over processes the largest and the sum. */
function rssCell (f: DhtFigure): string {
  const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`
  if (f.workers == null) return f.maxRssBytes != null ? gb(f.maxRssBytes) : '–'
  return `${gb(f.maxRssBytes ?? 0)} max, ${gb(f.workers.reduce((sum, w) => sum + w.maxRssBytes, 0))} total`
}

/** Connections per node at the end, median (max), and the busiest process's open files: what the sockets cost. */
function connectionsCell (f: DhtFigure): string {
  if (f.workers == null) return '–'
  const connections = f.workers.flatMap(w => w.connections)
  return `${percentile(connections, 50)} (${Math.max(...connections)}); ${Math.max(...f.workers.map(w => w.fds))} fds`
}

/**
 * CPU per lookup over all processes, the cores the network used with no
 * lookup running (before the lookups, and after them when measured), and
 * what is left of the first for the lookup itself once the network's own
 * work during its wall time is taken out (kad-dht's refreshes and
 * self-lookups, pings, identify: on a real network each server's share of
 * that runs on its own machine).
 */
function cpuCell (f: DhtFigure): string {
  if (f.cpuMsPerLookup == null) return '–'
  const idle = [f.idleCores, f.idleCoresAfter].filter((c): c is number => c != null)
  const idleText = idle.map(c => c.toFixed(2)).join('/')
  if (f.wallMsPerLookup == null || idle.length === 0) return `${f.cpuMsPerLookup.toFixed(0)} (idle ${idleText} cores)`
  const own = f.cpuMsPerLookup - f.wallMsPerLookup * idle.reduce((a, b) => a + b, 0) / idle.length
  return `${f.cpuMsPerLookup.toFixed(0)} (idle ${idleText} cores; ~${Math.max(0, own).toFixed(0)} its own)`
}

/** Item 4 as a table: one row per setup and network size, medians over the batches. */
export function dhtSection (figures: DhtFigure[], lookups: number): Section {
  const over = (f: DhtFigure, pick: (b: DhtBatch) => number, digits = 0, k = 1): string =>
    formatSummary(summarize((f.batches ?? []).map(b => pick(b) * k)), digits)
  return {
    id: 'dht',
    title: '4. DHT at scale: getClosestPeers in a network of N servers',
    note: `Each cell: median (min–max) over batches of ${lookups} lookups of random block keys from random nodes, after a warm-up batch. ` +
      `Hops: sequential request rounds until the last of the ${REPLICATION} closest was asked (1 = already in the routing table). ` +
      `Replica set found: the first ${REPLICATION} results are exactly the ${REPLICATION} XOR-closest of all other nodes. ` +
      'Recall: share of the true k closest returned. Request errors: timeouts and refused streams, summed over the batches. ' +
      '"memory, 1 process": every node on one thread, so latency is that thread\'s CPU time, an upper bound. ' +
      '"TCP, P processes": the nodes spread round-robin over P processes on 127.0.0.1, the loopback figure. ' +
      'CPU / lookup: CPU time of all processes while the lookups ran, per lookup; idle: the cores the network used in 5 s with no lookup, just before the lookups (which wait after the build until that is below 0.3 cores, at most 3 min: "quiet after" in the build column) and just after them; its own: CPU / lookup less the idle cores (mean) times the wall time per lookup. On 2 cores a lookup cannot take much less than half of its own CPU. ' +
      'Querier process CPU: the CPU time of the querier\'s process during its lookup, mean per batch: the querier\'s own work, and the answers of the other nodes that process holds (about one request in P). ' +
      'Querier: connections its node opened or accepted during its lookup (each a TCP, noise and identify handshake), pings its routing table sent (kad-dht pings every new contact before it enters the table) and peers named in the answers it got (each a peer-store merge and a routing-table update queued), means per lookup. ' +
      'Same key again: each lookup repeated at once from the same node, when every peer it asks holds a connection to it (the first opened them), as a server that ran for a while is connected to much of its network; latency p50, querier process CPU, requests and new connections per lookup, replica sets found. ' +
      'Connections: per node at the end, median (max); fds: open files of the busiest process.',
    columns: ['setup', 'N', 'hops p50', 'hops p95', 'latency p50 ms', 'latency p95 ms', 'replica set found %', 'k-closest recall %', 'requests / lookup', 'request errors', 'lookups failed', 'CPU / lookup ms', 'querier process CPU / lookup ms', 'querier: new connections / table pings / peers named, per lookup', 'same key again: p50 ms / querier CPU ms / requests / new connections / replica set %', 'build s', 'peak RSS', 'connections'],
    rows: figures.map(f => f.status !== 'ok'
      ? [setupName(f.setup), String(f.n), `failed: ${f.error ?? ''}`, '', '', '', '', '', '', '', '', '', '', '', '', '', '']
      : [
          setupName(f.setup),
          String(f.n),
          over(f, b => b.hopsP50),
          over(f, b => b.hopsP95),
          over(f, b => b.msP50),
          over(f, b => b.msP95),
          over(f, b => b.replicaSetFound, 0, 100),
          over(f, b => b.kRecall, 1, 100),
          over(f, b => b.requestsMean, 1),
          String((f.batches ?? []).reduce((sum, b) => sum + b.errors, 0)),
          String((f.batches ?? []).reduce((sum, b) => sum + b.failed, 0)),
          cpuCell(f),
          over(f, b => b.querierCpuMs ?? NaN),
          `${over(f, b => b.connectionsOpened ?? NaN, 1)} / ${over(f, b => b.tablePings ?? NaN, 1)} / ${over(f, b => b.named ?? NaN, 0)}`,
          (f.batches ?? []).some(b => b.again != null)
            ? `${over(f, b => b.again?.msP50 ?? NaN)} / ${over(f, b => b.again?.querierCpuMs ?? NaN)} / ${over(f, b => b.again?.requests ?? NaN, 1)} / ${over(f, b => b.again?.connectionsOpened ?? NaN, 1)} / ${over(f, b => b.again?.replicaSetFound ?? NaN, 0, 100)}`
            : '–',
          ((f.buildMs ?? 0) / 1000).toFixed(0) + ((f.joinsRetried ?? 0) > 0 ? ` (${f.joinsRetried ?? 0} joins retried)` : '') + (f.quietMs != null ? `, quiet after ${(f.quietMs / 1000).toFixed(0)}` : ''),
          rssCell(f),
          connectionsCell(f)
        ]),
    data: figures
  }
}
