// The --timings line of a `weft get`, as the CLI row and the A/B pairs (cli-ab.ts) read it.

/** Where a CLI get's time went, from its --timings line (ms). */
export interface CliPhases {
  load: number
  node: number
  join: number
  firstByte: number
  transfer: number
  /** After the last byte until the timings line: the node's stop, and for `-o` the output's fsync and rename. */
  end: number
}

const TIMINGS = /^timings: load (\d+) ms, node (\d+) ms, join (\d+) ms, first byte (\d+) ms, transfer (\d+) ms \(total (\d+) ms, cpu (\d+) ms, peak RSS ([\d.]+) (KiB|MiB|GiB)\)$/m

/** The --timings line of a `weft get`, or an error naming what it printed instead. */
export function parseTimings (stderr: string): { phases: CliPhases, cpuMs: number, maxRssBytes: number } {
  const m = TIMINGS.exec(stderr)
  if (m == null) throw new Error(`weft get printed no timings line: ${stderr.trim().split('\n').slice(-2).join(' | ')}`)
  const [load, node, joinMs, firstByte, transfer, total, cpu] = m.slice(1, 8).map(Number)
  const unit = { KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[9] as 'KiB' | 'MiB' | 'GiB']
  const end = Math.max(0, total - load - node - joinMs - firstByte - transfer)
  return { phases: { load, node, join: joinMs, firstByte, transfer, end }, cpuMs: cpu, maxRssBytes: Number(m[8]) * unit }
}
