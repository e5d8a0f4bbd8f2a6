// The targets, each checked against this run's figures where the run
// has them.
import { NOT_BUILT, type Section } from './report.js'
import { percentile } from './stats.js'
import type { DhtFigure } from './dht.js'

/** The targets as a table; `dht` holds whatever network sizes this run measured. */
export function targetsSection (dht: DhtFigure[]): Section {
  const big = dht.find(f => f.n === 500 && f.status === 'ok')
  const batches = big?.batches ?? []
  const judge = (value: number, ok: boolean, unit: string): string => `${ok ? 'met' : 'missed'}: ${value.toFixed(unit === '%' ? 0 : 1)}${unit}`
  const notRun = 'not measured in this run (--dht-sizes 500)'
  const found = batches.length > 0 ? 100 * Math.min(...batches.map(b => b.replicaSetFound)) : NaN
  const hops = batches.length > 0 ? percentile(batches.map(b => b.hopsP95), 50) : NaN
  const latency = batches.length > 0 ? percentile(batches.map(b => b.msP50), 50) : NaN
  const rows = [
    ['weft get from one seeder ≥ 85% of the libp2p one-stream limit', NOT_BUILT],
    ['weft get ≥ 2× Helia', NOT_BUILT],
    ['weft get ≥ WebTorrent', NOT_BUILT],
    ['4 seeders faster than 1 where the seeder is the bottleneck', NOT_BUILT],
    ['fetcher RSS flat in file size, < 300 MB at 1 GiB', NOT_BUILT],
    ['N=500: every replica set found (100%), worst batch', big == null ? notRun : judge(found, found === 100, '%')],
    ['N=500: p95 lookup ≤ 4 hops', big == null ? notRun : judge(hops, hops <= 4, ' hops')],
    ['N=500: p50 lookup latency < 100 ms', big == null ? notRun : judge(latency, latency < 100, ' ms')]
  ]
  return { id: 'targets', title: 'Targets', columns: ['target', 'this run'], rows, data: rows }
}
