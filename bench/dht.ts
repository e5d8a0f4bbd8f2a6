// Item 4: lookups in simulated networks of N weft servers, each N built by
// its own worker process (bench/dht-worker.ts) with the repo's real DHT
// options over the in-memory transport.
import { fileURLToPath } from 'node:url'
import { runPeer } from './process.js'
import { formatSummary, type Section } from './report.js'
import { summarize } from './stats.js'
import type { DhtBatch } from './dht-lookups.js'
import type { DhtTask } from './dht-worker.js'

const WORKER = fileURLToPath(new URL('./dht-worker.js', import.meta.url))

/** A block's replica set: the servers that must be found for it. */
export const REPLICATION = 5

/** One network size's result: the worker's batches, or why it failed. */
export interface DhtFigure {
  n: number
  status: 'ok' | 'failed'
  buildMs?: number
  batches?: DhtBatch[]
  maxRssBytes?: number
  error?: string
}

/** Builds an N-node network in a fresh process and measures `batches` batches of `lookups` after a warm-up batch. */
export async function measureDht (n: number, options: { lookups: number, batches: number }): Promise<DhtFigure> {
  const task: DhtTask = { n, transport: 'memory', lookups: options.lookups, batches: options.batches + 1, replication: REPLICATION }
  try {
    const result = await runPeer<{ buildMs: number, batches: DhtBatch[], maxRssBytes: number }>(WORKER, task, 120_000 + n * 4000)
    return { n, status: 'ok', buildMs: result.buildMs, batches: result.batches, maxRssBytes: result.maxRssBytes }
  } catch (err: any) {
    return { n, status: 'failed', error: String(err.message ?? err) }
  }
}

/** Item 4 as a table: one row per network size, medians over the batches. */
export function dhtSection (figures: DhtFigure[], lookups: number): Section {
  const over = (f: DhtFigure, pick: (b: DhtBatch) => number, digits = 0, k = 1): string =>
    formatSummary(summarize((f.batches ?? []).map(b => pick(b) * k)), digits)
  return {
    id: 'dht',
    title: '4. DHT at scale: getClosestPeers in a network of N servers (in-memory transport, one process)',
    note: `Each cell: median (min–max) over batches of ${lookups} lookups of random block keys from random nodes, after a warm-up batch. ` +
      `Hops: sequential request rounds until the last of the ${REPLICATION} closest was asked (1 = already in the routing table). ` +
      `Replica set found: the first ${REPLICATION} results are exactly the ${REPLICATION} XOR-closest of all other nodes. ` +
      'Recall: share of the true k closest returned. Request errors (timeouts, summed over the batches) mean the one thread was saturated. One process serialises every node\'s work on one thread, so latency here is CPU time, an upper bound for loopback.',
    columns: ['N', 'hops p50', 'hops p95', 'latency p50 ms', 'latency p95 ms', 'replica set found %', 'k-closest recall %', 'requests / lookup', 'request errors', 'lookups failed', 'build s'],
    rows: figures.map(f => f.status !== 'ok'
      ? [String(f.n), `failed: ${f.error ?? ''}`, '', '', '', '', '', '', '', '', '']
      : [
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
          ((f.buildMs ?? 0) / 1000).toFixed(0)
        ]),
    data: figures
  }
}
