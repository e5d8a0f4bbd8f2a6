// Item 5: peak RSS of a weft fetcher at two file sizes (is it flat in the
// file size?), Helia's beside it at the larger size, and the RSS of an idle
// weft server holding many blocks.
import { fileURLToPath } from 'node:url'
import { runPeer } from './process.js'
import { formatSummary, type Section } from './report.js'
import { SYSTEMS, WEFT_GET } from './systems.js'
import { measureTransfer, type TransferFigure, type TransferOptions } from './transfer.js'
import type { RandomFile } from './random-file.js'
import type { IdleResult, IdleTask } from './weft-worker.js'

const WORKER = fileURLToPath(new URL('./weft-worker.js', import.meta.url))
const MIB = 2 ** 20

/** Bytes of each block the idle server stores: small, so the figure is the per-block bookkeeping, not the bytes (on disk). */
export const IDLE_BLOCK_SIZE = 4096

/** What item 5 measured. */
export interface MemoryFigures {
  /** weft get, one seeder, one figure per size (smallest first). */
  fetchers: TransferFigure[]
  /** Other systems' fetchers at the largest size, for comparison. */
  others: TransferFigure[]
  idle: { status: 'ok', result: IdleResult } | { status: 'failed', error: string }
  idleBlocks: number
}

export interface MemoryOptions {
  sizes: number[]
  idleBlocks: number
  /** Counted fetches per figure (no warm-up: peak RSS needs none). */
  runs: number
  /** Systems besides weft to measure at the largest size (e.g. Helia). */
  compare: string[]
  tmpDir: string
  /** A transfer figure already taken in this run (item 1), reused instead of measuring again. */
  known: (system: string, size: number) => TransferFigure | undefined
  log: (line: string) => void
}

/** Measures the fetchers' peak RSS and the idle server. */
export async function measureMemory (options: MemoryOptions, file: (size: number) => Promise<RandomFile>): Promise<MemoryFigures> {
  const transferOptions: TransferOptions = { runs: options.runs, tmpDir: options.tmpDir, warmups: 0 }
  const figure = async (name: string, size: number): Promise<TransferFigure> => {
    const known = options.known(name, size)
    if (known?.throughput != null) return known
    const system = SYSTEMS.find(s => s.name === name)
    if (system == null) throw new Error(`no system ${name}`)
    options.log(`memory: ${name} fetching ${size / MIB} MiB from 1 seeder, ${options.runs} run(s)`)
    const result = await measureTransfer(system, await file(size), 1, transferOptions)
    if (result.status === 'failed') options.log(`memory: ${name} failed: ${result.error ?? ''}`)
    return result
  }
  const sizes = [...options.sizes].sort((a, b) => a - b)
  const fetchers: TransferFigure[] = []
  for (const size of sizes) fetchers.push(await figure(WEFT_GET, size))
  const others: TransferFigure[] = []
  for (const name of options.compare) others.push(await figure(name, sizes[sizes.length - 1]))
  options.log(`memory: an idle server storing ${options.idleBlocks} blocks of ${IDLE_BLOCK_SIZE} bytes`)
  let idle: MemoryFigures['idle']
  try {
    const task: IdleTask = { role: 'idle', tmpDir: options.tmpDir, blocks: options.idleBlocks, blockSize: IDLE_BLOCK_SIZE }
    idle = { status: 'ok', result: await runPeer<IdleResult>(WORKER, task, 120_000 + options.idleBlocks * 20) }
  } catch (err: any) {
    idle = { status: 'failed', error: String(err.message ?? err) }
  }
  return { fetchers, others, idle, idleBlocks: options.idleBlocks }
}

function sizeName (size: number): string {
  return size >= 1024 * MIB ? `${size / 1024 / MIB} GiB` : `${size / MIB} MiB`
}

function rssCell (f: TransferFigure): string {
  if (f.fetcherRssBytes == null) return f.status === 'failed' ? `failed: ${f.error ?? ''}` : f.status
  const s = f.fetcherRssBytes
  return formatSummary({ median: s.median / 1e6, min: s.min / 1e6, max: s.max / 1e6, runs: [] })
}

function throughputCell (f: TransferFigure): string {
  return f.throughput == null ? '–' : `${formatSummary(f.throughput)} MiB/s`
}

/** The weft fetchers' peak RSS (median, bytes) by size, the sizes that failed, and whether RSS is flat (the largest within 20% of the smallest). */
export function fetcherVerdict (figures: MemoryFigures | undefined): { measured: Array<{ size: number, rssBytes: number }>, failed: number[], flat: boolean } | undefined {
  if (figures == null) return undefined
  const measured = figures.fetchers.filter(f => f.fetcherRssBytes != null).map(f => ({ size: f.size, rssBytes: f.fetcherRssBytes?.median ?? NaN }))
  const failed = figures.fetchers.filter(f => f.fetcherRssBytes == null).map(f => f.size)
  const flat = failed.length === 0 && measured.length > 1 && measured[measured.length - 1].rssBytes <= measured[0].rssBytes * 1.2
  return { measured, failed, flat }
}

/** Item 5 as a table. */
export function memorySection (figures: MemoryFigures): Section {
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(0)
  const largest = figures.fetchers[figures.fetchers.length - 1]
  const rows: string[][] = figures.fetchers.map(f => [
    `weft fetcher getting ${sizeName(f.size)} from 1 seeder`,
    rssCell(f),
    throughputCell(f),
    f === largest ? '< 300 MB, flat in file size' : 'same as the larger file'
  ])
  for (const f of figures.others) rows.push([`${f.system} fetcher getting ${sizeName(f.size)} from 1 seeder`, rssCell(f), throughputCell(f), '–'])
  const blocks = figures.idleBlocks.toLocaleString('en')
  if (figures.idle.status === 'ok') {
    const r = figures.idle.result
    const perBlock = (r.restarted.rssBytes - r.empty.rssBytes) / r.blocks
    rows.push(
      ['idle weft server, no blocks', `${mb(r.empty.rssBytes)} (heap ${mb(r.empty.heapUsedBytes)})`, '', '–'],
      [`idle weft server holding ${blocks} blocks, just stored`, `${mb(r.stored.rssBytes)} (heap ${mb(r.stored.heapUsedBytes)})`, `stored in ${(r.storeMs / 1000).toFixed(1)} s`, '–'],
      [`idle weft server holding ${blocks} blocks, after a restart on the same data`, `${mb(r.restarted.rssBytes)} (heap ${mb(r.restarted.heapUsedBytes)})`, `${perBlock >= 0 ? '+' : ''}${(perBlock / 1024).toFixed(2)} KiB RSS per block`, '–']
    )
  } else {
    rows.push([`idle weft server holding ${blocks} blocks`, `failed: ${figures.idle.error}`, '', '–'])
  }
  return {
    id: 'memory',
    title: '5. Memory (RSS, MB)',
    note: 'Fetchers: peak RSS (VmHWM) of a fresh fetcher process, median (min–max) over its runs (no warm-up; a figure item 1 measured at the same size is reused), with the runs\' throughput. ' +
      `Idle server: RSS and V8 heap after full GCs and a second's rest; ${blocks} blocks of ${IDLE_BLOCK_SIZE} bytes put straight into the server's block store as replicas ` +
      '(bytes on disk, records in LevelDB and in memory), then the node stopped and created again on the same data directory in the same process.',
    columns: ['what', 'RSS MB', 'throughput / detail', 'target'],
    rows,
    data: figures
  }
}
