// Items 1 and 2: one file from one (or four) seeders to a fetcher that does
// not have it, timed until the fetcher has verified every byte. Seeders start
// once per figure; every run is a fresh fetcher process, the first run a
// warm-up that is not counted.
import { startPeer, runPeer, type RunningPeer } from './process.js'
import type { CappedHost } from './capped-links.js'
import { mibPerSecond, summarize, type Summary } from './stats.js'
import type { RandomFile } from './random-file.js'
import type { FetchResult } from './peer-io.js'

/** What a seeder process is told. */
export interface SeedTask {
  role: 'seed'
  file: string
  /** Where a WebTorrent seeder writes the .torrent for fetchers. */
  torrentFile: string
  /** This seeder's place among the figure's seeders (0-based), and how many there are. */
  index: number
  count: number
  /** The ready lines of the seeders started before this one (weft's join them and the last puts the file). */
  peers: Array<Record<string, unknown>>
  /** A scratch directory the orchestrator removes after the run. */
  tmpDir: string
  /** The address to listen on (127.0.0.1 unless the seeder sits behind a capped link). */
  host: string
}

/** What a fetcher process is told: the seeders' ready lines and what to expect. */
export interface FetchTask {
  role: 'fetch'
  seeders: Array<Record<string, unknown>>
  size: number
  sha256: string
  /** The system's variant, for a peer script that runs more than one row (`weft get (CLI)` to a file or to stdout). */
  variant?: string
}

/** A system whose peers the benchmark runs. */
export interface TransferSystem {
  name: string
  /** The peer script (seed and fetch roles); none while the system is not built. */
  script?: string
  /** Why there is no script, shown in place of figures. */
  missing?: string
  /** Whether the fetcher can use several seeders at once. */
  swarms: boolean
  /** Told to its fetchers as `FetchTask.variant`. */
  variant?: string
}

/** One system's figure for one file and seeder count. */
export interface TransferFigure {
  system: string
  /** The system's variant (`stdout` for the CLI row writing to a redirected stdout). */
  variant?: string
  size: number
  seeders: number
  status: 'ok' | 'failed' | 'not built yet' | 'n/a'
  /** MiB/s per counted run. */
  throughput?: Summary
  ms?: Summary
  fetcherRssBytes?: Summary
  /** The fetcher's CPU time as a share of its run's wall-clock time (1 = one core busy throughout). */
  fetcherCpuShare?: Summary
  /** Where a CLI fetcher's time went, ms per phase (bench/peer-weft-cli.ts): load, node, join, firstByte, transfer. */
  phases?: Record<string, Summary>
  error?: string
}

/** How a transfer figure is taken. */
export interface TransferOptions {
  /** Counted runs after the warm-up. */
  runs: number
  tmpDir: string
  /** Uncounted runs first (default 1). */
  warmups?: number
  /** Seeder i runs in `seedHosts[i]`'s namespace and listens on its address (item 4: seeders behind capped links). */
  seedHosts?: CappedHost[]
}

/** Generous: a stalled fetcher fails the figure instead of the run. */
function fetchTimeout (size: number): number {
  return 60_000 + size / (2 * 2 ** 20) * 1000
}

/** Each phase's summary over the runs. */
function phaseSummaries (runs: Array<Record<string, number>>): Record<string, Summary> {
  return Object.fromEntries(Object.keys(runs[0] ?? {}).map(phase => [phase, summarize(runs.map(r => r[phase]))]))
}

/** Measures `system` moving `file` from `seeders` seeders to fresh fetchers. */
export async function measureTransfer (system: TransferSystem, file: RandomFile, seeders: number, options: TransferOptions): Promise<TransferFigure> {
  const figure: TransferFigure = { system: system.name, size: file.size, seeders, status: 'ok', ...(system.variant != null ? { variant: system.variant } : {}) }
  if (system.script == null) return { ...figure, status: 'not built yet', error: system.missing }
  if (seeders > 1 && !system.swarms) return { ...figure, status: 'n/a' }
  const running: RunningPeer[] = []
  try {
    for (let i = 0; i < seeders; i++) {
      const task: SeedTask = {
        role: 'seed',
        file: file.path,
        torrentFile: `${options.tmpDir}/${system.name.replace(/\W/g, '')}-${i}.torrent`,
        index: i,
        count: seeders,
        peers: running.map(r => r.info),
        tmpDir: options.tmpDir,
        host: options.seedHosts?.[i]?.host ?? '127.0.0.1'
      }
      const netns = options.seedHosts?.[i]?.netns
      running.push(await startPeer(system.script, task, fetchTimeout(file.size), netns != null ? { prefix: ['ip', 'netns', 'exec', netns] } : {}))
    }
    const task: FetchTask = { role: 'fetch', seeders: running.map(r => r.info), size: file.size, sha256: file.sha256, ...(system.variant != null ? { variant: system.variant } : {}) }
    const results: Array<FetchResult & { phases?: Record<string, number> }> = []
    const warmups = options.warmups ?? 1
    for (let run = 0; run < warmups + options.runs; run++) {
      const result = await runPeer<FetchResult>(system.script, task, fetchTimeout(file.size))
      if (!result.ok) throw new Error(`run ${run}: fetched ${result.bytes} bytes, sha256 ${result.sha256}: not the seeder's file`)
      if (run >= warmups) results.push(result)
    }
    return {
      ...figure,
      throughput: summarize(results.map(r => mibPerSecond(r.bytes, r.ms))),
      ms: summarize(results.map(r => r.ms)),
      fetcherRssBytes: summarize(results.map(r => r.maxRssBytes)),
      fetcherCpuShare: summarize(results.map(r => r.cpuMs / r.ms)),
      ...(results.every(r => r.phases != null) ? { phases: phaseSummaries(results.map(r => r.phases as Record<string, number>)) } : {})
    }
  } catch (err: any) {
    return { ...figure, status: 'failed', error: String(err.message ?? err) }
  } finally {
    await Promise.all(running.map(async r => r.release()))
  }
}
