// One process that builds an N-node DHT (src/testing/network.ts) and measures
// lookups in it; run by bench/dht.ts so every N gets a fresh process and heap.
import { randomBytes } from 'node:crypto'
import { sha256 } from 'multiformats/hashes/sha2'
import { knownPeers, trueClosest } from '../src/testing/closest.js'
import { tracedLookup, type TracedLookup } from '../src/testing/lookup.js'
import { createTestNetwork, type TestTransport } from '../src/testing/network.js'
import { percentile } from './stats.js'
import { peakRssBytes, report, runMain, task } from './peer-io.js'
import type { TestNetwork } from '../src/testing/network.js'

/** What the orchestrator asks of one worker. */
export interface DhtTask {
  n: number
  transport: TestTransport
  /** Lookups per batch; the first batch is the warm-up. */
  lookups: number
  batches: number
  /** Servers that hold a block: the replica set a lookup must find. */
  replication: number
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
}

/** A lookup still running after this is counted as failed. */
const LOOKUP_TIMEOUT_MS = 30_000

async function batch (network: TestNetwork, t: DhtTask, all: Awaited<ReturnType<typeof knownPeers>>): Promise<DhtBatch> {
  const hops: number[] = []
  const ms: number[] = []
  const requests: number[] = []
  let found = 0
  let recall = 0
  let errors = 0
  let failed = 0
  for (let i = 0; i < t.lookups; i++) {
    const node = network.nodes[Math.floor(Math.random() * network.nodes.length)]
    // a block's DHT key: the multihash of its bytes
    const key = (await sha256.digest(randomBytes(32))).bytes
    let lookup: TracedLookup
    try {
      lookup = await tracedLookup(node, key, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })
    } catch {
      // a lookup that does not finish finds nothing: it counts against the success rate
      failed++
      ms.push(LOOKUP_TIMEOUT_MS)
      continue
    }
    // the querier never returns itself, so the truth is taken among the others
    const others = all.filter(p => !p.id.equals(node.peerId))
    const k = node.libp2p.services.dht.k
    const truth = (await trueClosest(key, others, k)).map(String)
    const got = lookup.peers.map(String)
    const replicas = new Set(got.slice(0, t.replication))
    if (truth.slice(0, t.replication).every(p => replicas.has(p))) found++
    recall += truth.filter(p => got.includes(p)).length / truth.length
    if (lookup.hops.length > 0) hops.push(Math.max(...lookup.hops.slice(0, t.replication)))
    ms.push(lookup.ms)
    requests.push(lookup.requests)
    errors += lookup.errors
  }
  return {
    hopsP50: percentile(hops, 50),
    hopsP95: percentile(hops, 95),
    msP50: percentile(ms, 50),
    msP95: percentile(ms, 95),
    replicaSetFound: found / t.lookups,
    kRecall: recall / t.lookups,
    requestsMean: requests.reduce((a, b) => a + b, 0) / Math.max(1, requests.length),
    errors,
    failed
  }
}

runMain(async () => {
  const t = task<DhtTask>()
  const start = performance.now()
  const network = await createTestNetwork(t.n, { transport: t.transport })
  const buildMs = performance.now() - start
  try {
    const all = await knownPeers(network.nodes.map(node => node.peerId))
    const batches: DhtBatch[] = []
    for (let b = 0; b < t.batches; b++) batches.push(await batch(network, t, all))
    report({ ok: true, buildMs, warmup: batches[0], batches: batches.slice(1), maxRssBytes: peakRssBytes() })
  } finally {
    await network.stop()
  }
})
