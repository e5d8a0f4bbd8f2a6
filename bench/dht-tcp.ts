// Item 4 over several processes: N nodes with weft's DHT options on TCP
// loopback, spread round-robin over P worker processes
// (bench/dht-tcp-worker.ts), so lookups cost what they cost between
// processes, not one thread's turn through every node's work.
import { join as joinPath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { summarizeBatch, LOOKUP_TIMEOUT_MS, type DhtBatch, type LookupSample } from './dht-lookups.js'
import { IpcWorker } from './ipc.js'
import { DHT_CONFIG, type DhtFigure, type DhtSetup } from './dht.js'
import type { WeftConfigInit } from '../src/config/config.js'
import type { DhtQueryShape } from '../src/node/common-options.js'
import type { DhtWorkerRequest, NodeAddress, WorkerStats } from './dht-tcp-worker.js'

const WORKER = fileURLToPath(new URL('./dht-tcp-worker.js', import.meta.url))

/** A worker holds up to a few hundred nodes: more heap than the default. */
const NODE_ARGS = ['--max-old-space-size=4096']

/** kad-dht's bucket size K: the routing table every node is settled to (min(N - 1, K)). */
const K = 20

/** Each wave of joiners is this fraction of the nodes already running (at least 1), as startTestnet joins. */
const WAVE_GROWTH = 0.5

/**
 * At most this many nodes join at once: each joiner's self-lookup sends
 * dozens of requests, and on 2 cores more at once only queues them until
 * dials time out (src/testing/testnet.ts found the same).
 */
const MAX_WAVE = 10

/** Earlier nodes a joiner dials. */
const DEGREE = 3

/** How often a node's join is tried before the build fails. */
const JOIN_TRIES = 5

/** A dial's time limit (connections.dialTimeoutMs). */
const DIAL_TIMEOUT_MS = 60_000

/** How long one node may take to start and join, or the settle step to finish. */
const STEP_MS = 120_000

/** How long the network's CPU use is watched with no lookup running, after the build. */
const IDLE_WINDOW_MS = 5000

/** The network counts as quiet once its processes use less than this with no lookup running. */
const QUIET_CORES = 0.3

/** How long the lookups wait for the network to be quiet after its build. */
const QUIET_MAX_MS = 180_000

/** How long the workers may take to stop their nodes. */
const STOP_MS = 15_000

/** How the network over processes is built and measured. */
export interface DhtProcessesOptions {
  processes: number
  /** Lookups per batch, and batches after the warm-up one. */
  lookups: number
  batches: number
  /** Servers that hold a block: the replica set a lookup must find. */
  replication: number
  /** Another kad-dht lookup shape than weft's own (DHT_QUERY), for a side-by-side row. */
  dhtQuery?: DhtQueryShape
  /** Progress lines: every 100 nodes joined, the settle, every batch. */
  log?: (line: string) => void
}

/** A node of the network and the worker it runs in. */
interface Placed extends NodeAddress {
  worker: IpcWorker
}

async function ask<T> (worker: IpcWorker, request: DhtWorkerRequest, timeoutMs: number): Promise<T> {
  return worker.request<T>(request, timeoutMs)
}

/**
 * DEGREE random nodes of `before`, as src/testing/network.ts joins: whom a
 * joiner dials. Not always the first node, as startTestnet does: at 500
 * nodes the first one would take a connection from every node, past its
 * connection limit.
 */
function bootstrapFor (before: Placed[]): string[] {
  const picked = new Set<Placed>()
  while (picked.size < Math.min(before.length, DEGREE)) picked.add(before[Math.floor(Math.random() * before.length)])
  return [...picked].map(p => p.multiaddrs[0])
}

/**
 * Starts a node in `worker`, joined through some of `before`. A join whose
 * dials all fail (a loaded machine: dials time out) is tried again through
 * other nodes, up to JOIN_TRIES times; `retried` counts those.
 */
async function startNode (worker: IpcWorker, before: Placed[], config: WeftConfigInit, retried: { count: number }, dhtQuery?: DhtQueryShape): Promise<Placed> {
  for (let attempt = 1; ; attempt++) {
    try {
      const address = await ask<NodeAddress>(worker, { type: 'start', dial: bootstrapFor(before), config, ...(dhtQuery != null ? { dhtQuery } : {}) }, STEP_MS)
      return { ...address, worker }
    } catch (err) {
      if (attempt === JOIN_TRIES) throw err
      retried.count++
    }
  }
}

/** Starts `n` nodes in waves over the workers, round-robin, each joined before the next wave. */
async function join (n: number, workers: IpcWorker[], options: DhtProcessesOptions, retried: { count: number }): Promise<Placed[]> {
  const placed: Placed[] = []
  // 60 s dials as src/testing/network.ts allows them: on 2 shared cores a
  // dial can queue behind other processes' work for longer than the server
  // default of 10 s without being lost
  // the connection limit stays weft's (300): libp2p refuses inbound
  // connections at the limit, and with 128 a 500-node run saw 1,907 failed
  // requests, 23 per lookup, and found 40 % of the replica sets (nodes known
  // to everyone hold 380 peers in their routing tables)
  const config = { ...DHT_CONFIG, connections: { dialTimeoutMs: DIAL_TIMEOUT_MS } }
  while (placed.length < n) {
    const before = [...placed]
    const size = Math.min(n - before.length, MAX_WAVE, Math.max(1, Math.floor(before.length * WAVE_GROWTH)))
    const wave = await Promise.all(Array.from({ length: size }, async (_, i) => startNode(workers[(before.length + i) % workers.length], before, config, retried, options.dhtQuery)))
    placed.push(...wave)
    if (Math.floor(placed.length / 100) > Math.floor(before.length / 100)) options.log?.(`DHT: ${placed.length} of ${n} nodes joined`)
  }
  return placed
}

/**
 * Builds an N-node network over `options.processes` worker processes and
 * measures `options.batches` batches of lookups after a warm-up batch, each
 * lookup from a random node (so from a random process).
 */
export async function measureDhtOverProcesses (n: number, options: DhtProcessesOptions): Promise<DhtFigure> {
  const processes = Math.min(n, options.processes)
  const setup: DhtSetup = { transport: 'tcp', processes, ...(options.dhtQuery != null ? { query: options.dhtQuery } : {}) }
  const workers = Array.from({ length: processes }, (_, i) => new IpcWorker(WORKER, i, NODE_ARGS))
  try {
    const start = performance.now()
    const retried = { count: 0 }
    const nodes = await join(n, workers, options, retried)
    const peers = nodes.map(({ peerId, multiaddrs }) => ({ peerId, multiaddrs }))
    const settle: DhtWorkerRequest = { type: 'settle', peers, count: Math.min(n - 1, K), timeoutMs: STEP_MS }
    await Promise.all(workers.map(async w => ask<number[]>(w, settle, STEP_MS + 10_000)))
    options.log?.(`DHT ${n}: settled`)
    const buildMs = performance.now() - start
    const stats = async (): Promise<WorkerStats[]> => Promise.all(workers.map(async w => ask<WorkerStats>(w, { type: 'stats' }, STEP_MS)))
    // the network's own work with no lookup running (table refreshes,
    // identify, pruning): what the CPU per lookup below carries besides the lookups
    // A network just built is still busy for minutes (every join's pings,
    // identify and table refreshes), and lookups then queue behind it: at
    // 200 nodes the counted batches' p50 fell from 1.4 s to 0.4 s within two
    // minutes of the build. The lookups wait until the network is quiet, or
    // QUIET_MAX_MS, in windows of IDLE_WINDOW_MS; the last one is "idle".
    const quietStart = performance.now()
    let before = await stats()
    let idleCores = Infinity
    while (idleCores > QUIET_CORES && performance.now() - quietStart < QUIET_MAX_MS) {
      const quiet = before
      await new Promise(resolve => setTimeout(resolve, IDLE_WINDOW_MS))
      before = await stats()
      idleCores = before.reduce((sum, s, i) => sum + s.cpuMs - quiet[i].cpuMs, 0) / IDLE_WINDOW_MS
    }
    const quietMs = performance.now() - quietStart
    options.log?.(`DHT ${n}: ${idleCores.toFixed(2)} cores busy with no lookup after ${(quietMs / 1000).toFixed(0)} s`)
    const batches: DhtBatch[] = []
    const lookupsStart = performance.now()
    // WEFT_BENCH_DHT_PROFILE=<dir>: every worker's CPU profile of the counted batches, for finding where a request's CPU goes
    const profileDir = process.env.WEFT_BENCH_DHT_PROFILE
    for (let b = 0; b <= options.batches; b++) {
      if (b === 1 && profileDir != null) await Promise.all(workers.map(async w => ask(w, { type: 'profile' }, STEP_MS)))
      const samples: LookupSample[] = []
      for (let i = 0; i < options.lookups; i++) {
        const from = nodes[Math.floor(Math.random() * nodes.length)]
        samples.push(await ask<LookupSample>(from.worker, { type: 'lookup', peerId: from.peerId, replication: options.replication }, LOOKUP_TIMEOUT_MS + 30_000))
      }
      batches.push(summarizeBatch(samples))
      const last = batches[batches.length - 1]
      options.log?.(`DHT ${n}: ${b === 0 ? 'warm-up' : `batch ${b}`} done: p50 ${last.msP50.toFixed(0)} ms, ${last.failed} lookups failed, querier ${last.querierCpuMs.toFixed(0)} ms CPU, ${last.requestsMean.toFixed(1)} requests, ${last.connectionsOpened.toFixed(1)} new connections, ${last.tablePings.toFixed(1)} table pings, ${last.named.toFixed(0)} peers named per lookup${last.again != null ? `; same key again: p50 ${last.again.msP50.toFixed(0)} ms, querier ${last.again.querierCpuMs.toFixed(0)} ms CPU, ${last.again.requests.toFixed(1)} requests, ${last.again.connectionsOpened.toFixed(1)} new connections` : ''}`)
    }
    if (profileDir != null) await Promise.all(workers.map(async (w, i) => ask(w, { type: 'profile', file: joinPath(profileDir, `dht-${n}-worker-${i}.cpuprofile`) }, STEP_MS)))
    const after = await stats()
    const lookupsMs = performance.now() - lookupsStart
    const cpuMs = after.reduce((sum, s, i) => sum + s.cpuMs - before[i].cpuMs, 0)
    // the same quiet window again after the lookups: the network's own work
    // was not the same all along (kad-dht's table refreshes run every 5 min)
    await new Promise(resolve => setTimeout(resolve, IDLE_WINDOW_MS))
    const last = await stats()
    const idleCoresAfter = last.reduce((sum, s, i) => sum + s.cpuMs - after[i].cpuMs, 0) / IDLE_WINDOW_MS
    return {
      n,
      setup,
      status: 'ok',
      buildMs,
      joinsRetried: retried.count,
      idleCores,
      idleCoresAfter,
      quietMs,
      wallMsPerLookup: lookupsMs / ((options.batches + 1) * options.lookups),
      batches: batches.slice(1),
      maxRssBytes: Math.max(...after.map(s => s.maxRssBytes)),
      // everything the processes did while the lookups ran, warm-up included
      cpuMsPerLookup: cpuMs / ((options.batches + 1) * options.lookups),
      workers: after
    }
  } catch (err: any) {
    return { n, setup, status: 'failed', error: String(err.message ?? err) }
  } finally {
    await Promise.all(workers.map(async w => w.stop(STOP_MS)))
  }
}
