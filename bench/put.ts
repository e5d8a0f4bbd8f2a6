// Item 3: put of a file from a transient uploader process to five weft server
// processes, timed until `put` resolves. weft's defaults: each block goes to
// its 5 XOR-closest servers at once (storage.replication 5) and needs 3
// acknowledgements (writeQuorum 3); `put` resolves when every block's pushes
// have all been answered, so with five healthy servers it waits for all five.
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestnet, type Testnet } from '../src/testing/testnet.js'
import { runPeer } from './process.js'
import { formatSummary, type Section } from './report.js'
import { mibPerSecond, summarize, type Summary } from './stats.js'
import type { UploadResult, UploadTask } from './weft-worker.js'

const WORKER = fileURLToPath(new URL('./weft-worker.js', import.meta.url))

/** Servers the file is put to. */
export const PUT_SERVERS = 5

/** Item 3's figure. */
export interface PutFigure {
  size: number
  status: 'ok' | 'failed'
  ms?: Summary
  throughput?: Summary
  /** PutResult.replicas of each counted run. */
  replicas?: number[]
  blocks?: number
  uploaderRssBytes?: Summary
  /** The uploader's CPU time over the put's wall-clock time. */
  uploaderCpuShare?: Summary
  error?: string
}

/** Starts five server processes (a testnet), then puts `size` fresh random bytes from a new transient process per run (one warm-up, then `runs`). */
export async function measurePut (size: number, runs: number, tmpDir: string): Promise<PutFigure> {
  let net: Testnet | undefined
  try {
    net = await startTestnet({ servers: PUT_SERVERS, processes: PUT_SERVERS, dataDir: await mkdtemp(join(tmpDir, 'weft-testnet-')) })
    const servers = net.servers.map(s => ({ addrs: s.multiaddrs }))
    const results: UploadResult[] = []
    for (let run = 0; run <= runs; run++) {
      const task: UploadTask = { role: 'upload', servers, size }
      const result = await runPeer<UploadResult>(WORKER, task, 120_000 + size / 2 ** 20 * 1000)
      if (!result.ok) throw new Error(`run ${run}: put reported ${result.bytes} bytes`)
      if (run > 0) results.push(result)
    }
    return {
      size,
      status: 'ok',
      ms: summarize(results.map(r => r.ms)),
      throughput: summarize(results.map(r => mibPerSecond(r.bytes, r.ms))),
      replicas: results.map(r => r.replicas),
      blocks: results[0]?.blocks,
      uploaderRssBytes: summarize(results.map(r => r.maxRssBytes)),
      uploaderCpuShare: summarize(results.map(r => r.cpuMs / r.ms))
    }
  } catch (err: any) {
    return { size, status: 'failed', error: String(err.message ?? err) }
  } finally {
    await net?.stop()
  }
}

/** Item 3 as a table. */
export function putSection (figure: PutFigure): Section {
  const mib = figure.size / 2 ** 20
  const seconds = figure.ms == null ? undefined : { ...figure.ms, median: figure.ms.median / 1000, min: figure.ms.min / 1000, max: figure.ms.max / 1000, runs: figure.ms.runs.map(r => r / 1000) }
  const cpu = figure.uploaderCpuShare == null ? undefined : { ...figure.uploaderCpuShare, median: figure.uploaderCpuShare.median * 100, min: figure.uploaderCpuShare.min * 100, max: figure.uploaderCpuShare.max * 100, runs: [] }
  const rss = figure.uploaderRssBytes == null ? undefined : { ...figure.uploaderRssBytes, median: figure.uploaderRssBytes.median / 1e6, min: figure.uploaderRssBytes.min / 1e6, max: figure.uploaderRssBytes.max / 1e6, runs: [] }
  return {
    id: 'put',
    title: `3. Put ${mib} MiB from a transient uploader to ${PUT_SERVERS} server processes, until put resolves`,
    note: `weft's defaults: replication 5, write quorum 3; put resolves once every block's pushes to its ${PUT_SERVERS} closest servers were answered, so every block is on all ${PUT_SERVERS} ` +
      `(${mib * PUT_SERVERS} MiB leave the uploader). Fresh random bytes and a fresh uploader process per run, one warm-up; the clock runs from put() to its result, the uploader already joined. ` +
      'MiB/s counts file bytes, not bytes sent. The uploader\'s RSS includes the file, held in memory to put. CPU % of wall: the uploader\'s CPU time during the put over its duration.',
    columns: ['system', 'seconds median (min–max)', 'file MiB/s', 'replicas reported', 'blocks', 'uploader peak RSS MB', 'uploader CPU % of wall'],
    rows: [figure.status !== 'ok'
      ? ['weft put', `failed: ${figure.error ?? ''}`, '–', '–', '–', '–', '–']
      : ['weft put', formatSummary(seconds, 1), formatSummary(figure.throughput), [...new Set(figure.replicas)].join(', '), String(figure.blocks ?? '–'), formatSummary(rss), formatSummary(cpu)]],
    data: figure
  }
}
