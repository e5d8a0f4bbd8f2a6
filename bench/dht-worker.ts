// One process that builds an N-node DHT (src/testing/network.ts) and measures
// lookups in it; run by bench/dht.ts so every N gets a fresh process and heap.
import { knownPeers } from '../src/testing/closest.js'
import { createTestNetwork, type TestTransport } from '../src/testing/network.js'
import { sampleLookup, summarizeBatch, type DhtBatch, type LookupSample } from './dht-lookups.js'
import type { WeftConfigInit } from '../src/config/config.js'
import { peakRssBytes, report, runMain, task } from './peer-io.js'

/** What the orchestrator asks of one worker. */
export interface DhtTask {
  n: number
  transport: TestTransport
  /** Config layered over the server defaults of every node. */
  config: WeftConfigInit
  /** Lookups per batch; the first batch is the warm-up. */
  lookups: number
  batches: number
  /** Servers that hold a block: the replica set a lookup must find. */
  replication: number
}

runMain(async () => {
  const t = task<DhtTask>()
  const start = performance.now()
  const network = await createTestNetwork(t.n, { transport: t.transport, config: t.config })
  const buildMs = performance.now() - start
  try {
    const all = await knownPeers(network.nodes.map(node => node.peerId))
    const batches: DhtBatch[] = []
    for (let b = 0; b < t.batches; b++) {
      const samples: LookupSample[] = []
      for (let i = 0; i < t.lookups; i++) {
        const node = network.nodes[Math.floor(Math.random() * network.nodes.length)]
        samples.push(await sampleLookup(node, all, t.replication))
      }
      batches.push(summarizeBatch(samples))
    }
    report({ ok: true, buildMs, warmup: batches[0], batches: batches.slice(1), maxRssBytes: peakRssBytes() })
  } finally {
    await network.stop()
  }
})
