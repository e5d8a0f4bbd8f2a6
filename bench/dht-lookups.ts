// One DHT lookup measured against the truth, and a batch of them summarised:
// shared by the one-process network (dht-worker.ts) and the network spread
// over processes (dht-tcp-worker.ts, dht-tcp.ts), so both rows of item 4
// count the same things the same way.
import { randomBytes } from 'node:crypto'
import { sha256 } from 'multiformats/hashes/sha2'
import { trueClosest, type KnownPeer } from '../src/testing/closest.js'
import { tracedLookup, type TracedLookup } from '../src/testing/lookup.js'
import { percentile } from './stats.js'
import type { WeftNode } from '../src/node/node-types.js'

/** A lookup still running after this is counted as failed. */
export const LOOKUP_TIMEOUT_MS = 30_000

/** What one lookup of a random block key did. */
export interface LookupSample {
  /** The lookup did not finish within LOOKUP_TIMEOUT_MS: it found nothing. */
  failed: boolean
  ms: number
  /** Rounds until the last of the replica set was asked; absent when nothing was found. */
  hops?: number
  requests: number
  /** Requests that failed inside the lookup. */
  errors: number
  /** The first `replication` results were exactly the true replica set. */
  found: boolean
  /** Share of the true k closest that the lookup returned. */
  recall: number
  /**
   * CPU time of the querier's process during the lookup: the querier's own
   * work and the answers of the other nodes that process holds (about one
   * request in P over P processes).
   */
  querierCpuMs?: number
  /** Connections the querier's node opened or accepted during the lookup: each a TCP, noise and identify handshake. */
  connectionsOpened?: number
  /** Pings kad-dht's routing table sent from the querier during the lookup (each new contact is pinged before it enters the table). */
  tablePings?: number
  /** Peers named in the answers the querier received (with repeats): each a peer-store merge and a routing-table update queued. */
  named?: number
  /** The same key looked up again from the same node right after: every peer it asks is then connected. */
  again?: { ms: number, querierCpuMs: number, requests: number, connectionsOpened: number, found: boolean }
}

/** One batch of lookups, summarised. */
export interface DhtBatch {
  hopsP50: number
  hopsP95: number
  msP50: number
  msP95: number
  /** Fraction of lookups whose first `replication` results were exactly the true replica set. */
  replicaSetFound: number
  /** Mean fraction of the true k closest that the lookup returned. */
  kRecall: number
  requestsMean: number
  /** Requests that failed inside lookups. */
  errors: number
  /** Lookups that did not finish in time. */
  failed: number
  /** Mean CPU time of the querier's process per lookup. */
  querierCpuMs: number
  /** Means per lookup of the querier's new connections, routing-table pings and peers named to it. */
  connectionsOpened: number
  tablePings: number
  named: number
  /** The same key again from the same node (LookupSample.again): latency p50, means of querier CPU, requests and new connections, replica sets found. */
  again?: { msP50: number, querierCpuMs: number, requests: number, connectionsOpened: number, replicaSetFound: number }
}

/** The parts of kad-dht's KadDHT a lookup's counters listen to (not in its public type). */
interface DhtInternals {
  routingTable: EventTarget
  network: EventTarget
}

/**
 * Looks up the multihash of 32 random bytes (a block's DHT key) from `node`
 * and compares the answer with the true closest among `all` (every node of
 * the network, the querier included: it is left out here, since a lookup
 * never returns its own node).
 */
export async function sampleLookup (node: WeftNode, all: KnownPeer[], replication: number): Promise<LookupSample> {
  const key = (await sha256.digest(randomBytes(32))).bytes
  const first = await countedLookup(node, key)
  if (first == null) return { failed: true, ms: LOOKUP_TIMEOUT_MS, requests: 0, errors: 0, found: false, recall: 0 }
  const { lookup, querierCpuMs, counts } = first
  const others = all.filter(p => !p.id.equals(node.peerId))
  const truth = (await trueClosest(key, others, node.libp2p.services.dht.k)).map(String)
  const foundAll = (peers: string[]): boolean => {
    const replicas = new Set(peers.slice(0, replication))
    return truth.slice(0, replication).every(p => replicas.has(p))
  }
  const got = lookup.peers.map(String)
  // the same key again from the same node: every peer it asks now holds a
  // connection to it (the first lookup opened them), as a server that has
  // run for a while holds connections to much of its network
  const second = await countedLookup(node, key)
  return {
    failed: false,
    ms: lookup.ms,
    ...(lookup.hops.length > 0 ? { hops: Math.max(...lookup.hops.slice(0, replication)) } : {}),
    requests: lookup.requests,
    errors: lookup.errors,
    found: foundAll(got),
    recall: truth.filter(p => got.includes(p)).length / truth.length,
    querierCpuMs,
    ...counts,
    ...(second != null
      ? { again: { ms: second.lookup.ms, querierCpuMs: second.querierCpuMs, requests: second.lookup.requests, connectionsOpened: second.counts.connectionsOpened, found: foundAll(second.lookup.peers.map(String)) } }
      : {})
  }
}

/** One lookup with the querier's process CPU and its node's new connections, table pings and named peers counted; undefined when it timed out. */
async function countedLookup (node: WeftNode, key: Uint8Array): Promise<{ lookup: TracedLookup, querierCpuMs: number, counts: { connectionsOpened: number, tablePings: number, named: number } } | undefined> {
  const counts = { connectionsOpened: 0, tablePings: 0, named: 0 }
  const onConnection = (): void => { counts.connectionsOpened++ }
  const onPing = (): void => { counts.tablePings++ }
  const onNamed = (): void => { counts.named++ }
  const dht = node.libp2p.services.dht as unknown as DhtInternals
  node.libp2p.addEventListener('connection:open', onConnection)
  dht.routingTable.addEventListener('peer:ping', onPing)
  dht.network.addEventListener('peer', onNamed)
  const cpu = process.cpuUsage()
  try {
    const lookup = await tracedLookup(node, key, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })
    const used = process.cpuUsage(cpu)
    return { lookup, querierCpuMs: (used.user + used.system) / 1000, counts }
  } catch {
    return undefined
  } finally {
    node.libp2p.removeEventListener('connection:open', onConnection)
    dht.routingTable.removeEventListener('peer:ping', onPing)
    dht.network.removeEventListener('peer', onNamed)
  }
}

/** Percentiles and rates of a batch; a failed lookup counts its time-out as its latency and finds nothing. */
export function summarizeBatch (samples: LookupSample[]): DhtBatch {
  const done = samples.filter(s => !s.failed)
  const hops = done.flatMap(s => s.hops ?? [])
  const ms = samples.map(s => s.ms)
  return {
    hopsP50: percentile(hops, 50),
    hopsP95: percentile(hops, 95),
    msP50: percentile(ms, 50),
    msP95: percentile(ms, 95),
    replicaSetFound: samples.filter(s => s.found).length / samples.length,
    kRecall: samples.reduce((sum, s) => sum + s.recall, 0) / samples.length,
    requestsMean: done.reduce((sum, s) => sum + s.requests, 0) / Math.max(1, done.length),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    failed: samples.length - done.length,
    querierCpuMs: mean(done, s => s.querierCpuMs),
    connectionsOpened: mean(done, s => s.connectionsOpened),
    tablePings: mean(done, s => s.tablePings),
    named: mean(done, s => s.named),
    ...(againOf(done))
  }
}

function againOf (done: LookupSample[]): Pick<DhtBatch, 'again'> {
  const again = done.flatMap(s => s.again ?? [])
  if (again.length === 0) return {}
  const avg = (pick: (a: NonNullable<LookupSample['again']>) => number): number => again.reduce((sum, a) => sum + pick(a), 0) / again.length
  return { again: { msP50: percentile(again.map(a => a.ms), 50), querierCpuMs: avg(a => a.querierCpuMs), requests: avg(a => a.requests), connectionsOpened: avg(a => a.connectionsOpened), replicaSetFound: again.filter(a => a.found).length / again.length } }
}

function mean (samples: LookupSample[], pick: (s: LookupSample) => number | undefined): number {
  return samples.reduce((sum, s) => sum + (pick(s) ?? 0), 0) / Math.max(1, samples.length)
}
