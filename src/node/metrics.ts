// A server's Prometheus metrics: the stack's own, from
// @libp2p/prometheus-metrics (connections, streams, bytes per protocol,
// kad-dht queries, the process), and weft's `weft_*` series, read from the
// node's status at each scrape, so `/metrics`, `weft status` and the page
// show the same numbers. Node.js only: the page gets metrics.browser.ts.
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry, type Metric } from 'prom-client'
import type { NodeStatus } from './node-types.js'
import type { Metrics } from '@libp2p/interface'

/** A node's metrics: what libp2p is given, and the text a scrape returns. */
export interface NodeMetrics {
  /** libp2p's `metrics` option. */
  libp2p: (components: any) => Metrics
  /** Every series in the Prometheus text format, and its content type. */
  scrape: () => Promise<{ contentType: string, text: string }>
}

type Labels = Record<string, string | number>
type Sample = [value: number, labels?: Labels]

/** One `weft_*` series: its samples, computed from a status when scraped. */
interface WeftSeries {
  name: string
  help: string
  type: 'counter' | 'gauge'
  samples: (status: NodeStatus) => Sample[]
}

const one = (value: number | undefined): Sample[] => value == null ? [] : [[value]]

/**
 * The weft series. Counters count since the node started (as the status
 * does); each has `_total`, as Prometheus names counters.
 */
export const WEFT_SERIES: WeftSeries[] = [
  { name: 'weft_info', help: 'Always 1; the labels say which node this is', type: 'gauge', samples: s => [[1, { peer_id: s.peerId, role: s.role }]] },
  { name: 'weft_connections', help: 'Open connections, by transport', type: 'gauge', samples: s => Object.entries(s.connections).map(([transport, n]) => [n ?? 0, { transport }]) },
  { name: 'weft_connected_peers', help: 'Peers with an open connection', type: 'gauge', samples: s => one(s.connectedPeers.length) },
  { name: 'weft_routing_table_peers', help: 'Peers in the DHT routing table', type: 'gauge', samples: s => one(s.routingTableSize) },
  { name: 'weft_stored_bytes', help: 'Bytes of block data stored', type: 'gauge', samples: s => one(s.storage.usedBytes) },
  { name: 'weft_quota_bytes', help: 'The block store quota, storage.maxBytes', type: 'gauge', samples: s => one(s.storage.maxBytes) },
  { name: 'weft_blocks', help: 'Blocks stored', type: 'gauge', samples: s => one(s.storage.blocks) },
  { name: 'weft_pins', help: 'Pinned roots', type: 'gauge', samples: s => one(s.storage.pins) },
  { name: 'weft_blocks_served_total', help: 'Blocks sent to peers that asked for them (gets served)', type: 'counter', samples: s => one(s.storage.serving?.blocksServed) },
  { name: 'weft_served_bytes_total', help: 'Block bytes sent to peers that asked for them', type: 'counter', samples: s => one(s.storage.serving?.bytesServed) },
  { name: 'weft_peers_serving', help: 'Peers sent a block in the last minute', type: 'gauge', samples: s => one(s.storage.serving?.peersServing) },
  { name: 'weft_blocks_stored_total', help: 'Blocks peers pushed that this server verified and stored (puts, forwarding and repair served)', type: 'counter', samples: s => one(s.storage.serving?.blocksStored) },
  { name: 'weft_stored_bytes_total', help: 'Block bytes peers pushed that this server verified and stored', type: 'counter', samples: s => one(s.storage.serving?.bytesStored) },
  { name: 'weft_repair_sweeps_total', help: 'Replica maintenance sweeps finished', type: 'counter', samples: s => one(s.storage.repair?.sweeps) },
  { name: 'weft_repair_running', help: '1 while a repair sweep runs', type: 'gauge', samples: s => one(s.storage.repair == null ? undefined : s.storage.repair.running ? 1 : 0) },
  { name: 'weft_repair_blocks_checked_total', help: 'Blocks whose replica set a sweep checked', type: 'counter', samples: s => one(s.storage.repair?.blocksChecked) },
  { name: 'weft_repair_pushes_total', help: 'Blocks pushed to a replica-set member that lacked them', type: 'counter', samples: s => one(s.storage.repair?.pushed) },
  { name: 'weft_repair_released_total', help: 'Replicas turned into cache: the server is no longer among the block\'s closest', type: 'counter', samples: s => one(s.storage.repair?.released) },
  { name: 'weft_repair_lookups_total', help: 'DHT lookups run by repair sweeps', type: 'counter', samples: s => one(s.storage.repair?.lookups) },
  { name: 'weft_repair_failures_total', help: 'Lookups, peers and pushes of repair that failed', type: 'counter', samples: s => one(s.storage.repair?.failures) },
  {
    name: 'weft_audits_total',
    help: 'Storage audits this server ran, by result',
    type: 'counter',
    samples: s => s.storage.audit == null ? [] : [[s.storage.audit.passed, { result: 'passed' }], [s.storage.audit.failed, { result: 'failed' }], [s.storage.audit.skipped, { result: 'skipped' }]]
  },
  {
    name: 'weft_audit_failures_total',
    help: 'Storage audits another holder failed, by reason',
    type: 'counter',
    samples: s => Object.entries(s.storage.audit?.failures ?? {}).map(([reason, n]) => [n, { reason }])
  },
  { name: 'weft_audit_hashed_bytes_total', help: 'Block bytes hashed for this server\'s own audits', type: 'counter', samples: s => one(s.storage.audit?.bytesHashed) },
  {
    name: 'weft_audit_answers_total',
    help: 'Audits of this server by others, by answer',
    type: 'counter',
    samples: s => {
      const a = s.storage.audit?.answered
      return a == null ? [] : [[a.proved, { answer: 'proved' }], [a.notHeld, { answer: 'not-held' }], [a.busy, { answer: 'busy' }]]
    }
  },
  {
    name: 'weft_refusals_total',
    help: 'Pushes and streams refused by the responsibility check and the per-peer limits, by reason',
    type: 'counter',
    samples: s => Object.entries(s.storage.guard?.refusals ?? {}).map(([reason, n]) => [n, { reason }])
  },
  { name: 'weft_serves_paced_total', help: 'Block answers held back by storage.peerServeBytesPerSecond', type: 'counter', samples: s => one(s.storage.guard?.servesPaced) },
  { name: 'weft_known_servers', help: 'Servers this node knows of (what its responsibility check ranks)', type: 'gauge', samples: s => one(s.storage.guard?.knownServers) },
  {
    name: 'weft_damaged_blocks_dropped_total',
    help: 'Blocks found lost or altered on disk and dropped, by what was wrong',
    type: 'counter',
    samples: s => s.storage.integrity == null ? [] : [[s.storage.integrity.corruptBlocksDropped, { reason: 'corrupt' }], [s.storage.integrity.missingBlocksDropped, { reason: 'missing' }]]
  },
  {
    name: 'weft_startup_files_removed_total',
    help: 'Files the start-up check after a crash removed, by kind',
    type: 'counter',
    samples: s => s.storage.integrity == null ? [] : [[s.storage.integrity.orphanFilesRemoved, { kind: 'orphan' }], [s.storage.integrity.temporaryFilesRemoved, { kind: 'temporary' }]]
  }
]

/**
 * A prom-client metric whose values are computed from the node's status when
 * scraped: nothing to keep in step with the counters the status reads. The
 * registry reads only `get()` and the names (prom-client's own types declare
 * `type` as a numeric enum; at run time it is the text written after # TYPE).
 */
function statusMetric (series: WeftSeries, status: () => NodeStatus | undefined): Metric {
  const { name, help, type } = series
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    collect: () => {},
    reset: () => {},
    get: async () => {
      const now = status()
      const values = now == null ? [] : series.samples(now).map(([value, labels]) => ({ value, labels: labels ?? {} }))
      return { name, help, type, aggregator: 'sum', values }
    }
  }
  return metric as unknown as Metric
}

/**
 * Metrics for one server node. The stack's series come from
 * @libp2p/prometheus-metrics, which keeps its metric objects in a
 * module-wide map: only the first node of a process made this way reports
 * them (the CLI's `weft start` runs one). Each node's registry is its own.
 */
export function createNodeMetrics (status: () => NodeStatus | undefined): NodeMetrics | undefined {
  const registry = new Registry()
  for (const series of WEFT_SERIES) registry.registerMetric(statusMetric(series, status))
  return {
    libp2p: prometheusMetrics({ registry, preserveExistingMetrics: true }),
    scrape: async () => ({ contentType: registry.contentType, text: await registry.metrics() })
  }
}
