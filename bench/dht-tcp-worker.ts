// One of the processes of item 4's network spread over processes
// (bench/dht-tcp.ts): it holds its share of the nodes, each built by the
// repo's test-network builder (src/testing/network.ts: weft's libp2p and
// kad-dht options) over TCP on 127.0.0.1, and runs the lookups the parent
// asks of them. Requests come over IPC (bench/ipc.ts).
import { readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join as joinPath } from 'node:path'
import { Session } from 'node:inspector/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { knownPeers, trueClosest, type KnownPeer } from '../src/testing/closest.js'
import { createTestNetwork, type TestNetwork } from '../src/testing/network.js'
import { sampleLookup, type LookupSample } from './dht-lookups.js'
import { serveIpc } from './ipc.js'
import { peakRssBytes } from './peer-io.js'
import { untilRoutingTable } from './weft-nodes.js'
import type { WeftConfigInit } from '../src/config/config.js'
import type { WeftNode } from '../src/node/node-types.js'
import type { DhtQueryShape } from '../src/node/common-options.js'

/** A node as the other processes reach it. */
export interface NodeAddress {
  peerId: string
  multiaddrs: string[]
}

/** What the parent asks of a worker, and (in the comments) what each answers. */
export type DhtWorkerRequest =
  /** Starts a node, dials `dial` and waits for its first self-lookup: a NodeAddress. */
  | { type: 'start', dial: string[], config: WeftConfigInit, dhtQuery?: DhtQueryShape }
  /**
   * Fills every node's routing table to `count` from `peers` (all nodes of
   * the network), which also become the truth lookups are judged by: the
   * table sizes, this process's nodes in start order.
   */
  | { type: 'settle', peers: NodeAddress[], count: number, timeoutMs: number }
  /** One lookup of a random block key from node `peerId`: a LookupSample. */
  | { type: 'lookup', peerId: string, replication: number }
  /** A WorkerStats. */
  | { type: 'stats' }
  /** Starts this process's CPU profiler, or stops it and writes the profile to `file`: nothing. */
  | { type: 'profile', file?: string }

/** A worker's resources and its nodes' state, read at the end. */
export interface WorkerStats {
  nodes: number
  maxRssBytes: number
  /** CPU time (user + system, all threads) the process has spent so far. */
  cpuMs: number
  /** Open file descriptors: mostly TCP sockets. */
  fds: number
  connections: number[]
  tableSizes: number[]
}

/** How long a node's own first self-lookup may take before one is run for it (as src/testing/network.ts waits). */
const SELF_LOOKUP_WAIT_MS = 15_000

/** Peers dialled beyond what a short table lacks, in case some are refused (a full bucket). */
const EXTRA_DIALS = 2

/** How long the worker may take to stop its nodes once the parent is done. */
const STOP_MS = 10_000

/** Each node is a one-node test network: the repo's builder, joined to the others here. */
const networks = new Map<string, TestNetwork>()
let truth: KnownPeer[] = []

function node (peerId: string): WeftNode {
  const found = networks.get(peerId)?.nodes[0]
  if (found == null) throw new Error(`no node ${peerId} runs in process ${process.pid}`)
  return found
}

async function start (dial: string[], config: WeftConfigInit, dhtQuery?: DhtQueryShape): Promise<NodeAddress> {
  const network = await createTestNetwork(1, { transport: 'tcp', config, ...(dhtQuery != null ? { dhtQuery } : {}) })
  const n = network.nodes[0]
  networks.set(n.peerId.toString(), network)
  // the node watches for its self-lookup from its start: the event cannot be missed
  const joined = n.joined({ peers: 0, selfLookupMs: SELF_LOOKUP_WAIT_MS })
  // one peer reached is a join; the self-lookup finds the rest
  const dials = await Promise.allSettled(dial.map(async a => n.dial(multiaddr(a))))
  const failed = dials.flatMap(d => d.status === 'rejected' ? [String(d.reason?.message ?? d.reason)] : [])
  if (dial.length > 0 && failed.length === dial.length) {
    // a node that never joined is no part of the network: the parent may start another
    networks.delete(n.peerId.toString())
    await network.stop()
    throw new Error(`node ${n.peerId.toString()} could not join through any of ${dial.join(', ')}: ${failed.join('; ')}`)
  }
  if (dial.length > 0) await joined
  return { peerId: n.peerId.toString(), multiaddrs: n.getMultiaddrs().map(String) }
}

/**
 * A node whose table is short after its join (it joined in the same wave as
 * the peers it lacks, so nobody could name them yet) dials the closest nodes
 * it is not connected to, as src/testing/testnet-worker.ts's settle does:
 * what kad-dht's table refresh would find minutes later. A node that still
 * falls short is left so, and shows in the table sizes reported.
 */
async function fill (n: WeftNode, peers: NodeAddress[], count: number, timeoutMs: number): Promise<number> {
  const lacking = count - n.status().routingTableSize
  if (lacking <= 0) return n.status().routingTableSize
  const unconnected = peers.filter(p => p.peerId !== n.peerId.toString() && n.getConnections(peerIdFromString(p.peerId)).length === 0)
  const closest = await trueClosest(n.peerId.toMultihash().bytes, await knownPeers(unconnected.map(p => peerIdFromString(p.peerId))), lacking + EXTRA_DIALS)
  // one deadline for the dials and the wait: the parent gives the whole settle timeoutMs
  const deadline = performance.now() + timeoutMs
  await Promise.all(closest.map(async id => {
    const addrs = unconnected.find(p => p.peerId === id.toString())?.multiaddrs ?? []
    await n.dial(addrs.map(a => multiaddr(a)), { signal: AbortSignal.timeout(timeoutMs) }).catch(() => {})
  }))
  const left = deadline - performance.now()
  if (left > 0) await untilRoutingTable(n, count, left).catch(() => {})
  return n.status().routingTableSize
}

let profiler: Session | undefined

/** Starts the CPU profiler, or (given a file) stops it and writes what it saw there. */
async function profile (file?: string): Promise<undefined> {
  if (file == null) {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
    return undefined
  }
  if (profiler == null) throw new Error('the profiler was never started')
  const { profile } = await profiler.post('Profiler.stop')
  profiler.disconnect()
  profiler = undefined
  await writeFile(file, JSON.stringify(profile))
  return undefined
}

/** WEFT_BENCH_DHT_QUERIER_PROFILE=<dir>: each lookup's CPU profile of the querier's process alone, from its start to its end. */
const querierProfileDir = process.env.WEFT_BENCH_DHT_QUERIER_PROFILE
let lookupsProfiled = 0

async function profiledLookup (peerId: string, replication: number): Promise<LookupSample> {
  if (querierProfileDir == null || profiler != null) return sampleLookup(node(peerId), truth, replication)
  await profile()
  try {
    return await sampleLookup(node(peerId), truth, replication)
  } finally {
    await profile(joinPath(querierProfileDir, `lookup-${process.pid}-${lookupsProfiled++}.cpuprofile`))
  }
}

async function handle (request: DhtWorkerRequest): Promise<NodeAddress | number[] | LookupSample | WorkerStats | undefined> {
  switch (request.type) {
    case 'profile': return profile(request.file)
    case 'start': return start(request.dial, request.config, request.dhtQuery)
    case 'settle':
      truth = await knownPeers(request.peers.map(p => peerIdFromString(p.peerId)))
      return Promise.all([...networks.values()].map(async net => fill(net.nodes[0], request.peers, request.count, request.timeoutMs)))
    case 'lookup': return profiledLookup(request.peerId, request.replication)
    case 'stats': {
      const nodes = [...networks.values()].map(net => net.nodes[0])
      return {
        nodes: nodes.length,
        maxRssBytes: peakRssBytes(),
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        fds: readdirSync('/proc/self/fd').length,
        connections: nodes.map(n => n.libp2p.getConnections().length),
        tableSizes: nodes.map(n => n.status().routingTableSize)
      }
    }
  }
}

serveIpc(handle, async () => {
  await Promise.allSettled([...networks.values()].map(async net => net.stop()))
}, STOP_MS)
