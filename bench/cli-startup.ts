// Issue 15, item 3: what a CLI command costs before it does anything, as a
// user runs it. `weft --version`, `weft --help` and a 1 KiB `weft get` from
// a testnet of 3 servers (the set-up), each a fresh process timed from
// spawn to exit, one warm-up and then `runs` of each, interleaved so the
// machine's load falls on all three alike. The get's own --timings line says
// where its time went (load, node, join, first byte) and its CPU.
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { getTimings, lastLine, runCli, type GetTimings } from './cli-run.js'
import { formatSummary, type Section } from './report.js'
import { summarize, type Summary } from './stats.js'
import { onTestnet, type RowFigure } from './testnet-row.js'

/** The targets (s, spawn to exit). */
export const STARTUP_TARGETS = { version: 0.15, help: 0.15, get: 0.5 }

/** How long one CLI run may take before it counts as failed. */
const RUN_LIMIT_MS = 60_000

/** What the start-up rows measured. */
export interface StartupFigure extends RowFigure {
  runs: number
  /** Spawn to exit, ms, per command. */
  version?: Summary
  help?: Summary
  get?: Summary
  /** The get's phases and CPU (ms), medians of the counted runs. */
  phases?: Record<keyof GetTimings, Summary>
  /** The 1-minute load average before and after. */
  load: [number, number]
}

/** Runs the rows on a fresh 3-server testnet under `tmpDir`. */
export async function measureCliStartup (runs: number, tmpDir: string): Promise<StartupFigure> {
  const figure: StartupFigure = { status: 'failed', runs, load: [loadavg()[0], 0] }
  await onTestnet(figure, 3, tmpDir, async (net) => {
    const file = join(tmpDir, 'startup-one-kib')
    await writeFile(file, randomBytes(1024))
    const put = await runCli(['put', file, '-q', '--bootstrap', net.bootstrap], RUN_LIMIT_MS)
    if (put.code !== 0) throw new Error(`weft put: ${lastLine(put.stderr)}`)
    const cid = put.stdout.trim()
    const out = join(tmpDir, 'startup-got')
    const commands = {
      version: ['--version'],
      help: ['--help'],
      get: ['get', cid, '-o', out, '-q', '--timings', '--bootstrap', net.bootstrap]
    }
    const times: Record<keyof typeof commands, number[]> = { version: [], help: [], get: [] }
    const phases: GetTimings[] = []
    for (let i = 0; i <= runs; i++) {
      for (const [name, args] of Object.entries(commands) as Array<[keyof typeof commands, string[]]>) {
        const run = await runCli(args, RUN_LIMIT_MS)
        if (run.code !== 0) throw new Error(`weft ${args[0]}: exit ${String(run.code)}: ${lastLine(run.stderr)}`)
        if (i === 0) continue // the warm-up (it also fills the compile cache)
        times[name].push(run.ms)
        if (name === 'get') phases.push(getTimings(run.stderr))
      }
    }
    figure.version = summarize(times.version)
    figure.help = summarize(times.help)
    figure.get = summarize(times.get)
    const phase = (key: keyof GetTimings): Summary => summarize(phases.map(p => p[key]))
    figure.phases = { load: phase('load'), node: phase('node'), join: phase('join'), firstByte: phase('firstByte'), transfer: phase('transfer'), end: phase('end'), cpu: phase('cpu') }
  })
  figure.load[1] = loadavg()[0]
  return figure
}

/** The rows as a section. */
export function startupSection (f: StartupFigure): Section {
  const met = (s: Summary | undefined, target: number): string =>
    s == null ? '–' : s.median / 1000 < target ? `met (< ${target} s)` : `missed (< ${target} s)`
  const p = f.phases
  const rows = f.status === 'ok'
    ? [
        ['`weft --version`', formatSummary(f.version), met(f.version, STARTUP_TARGETS.version), '–'],
        ['`weft --help`', formatSummary(f.help), met(f.help, STARTUP_TARGETS.help), '–'],
        ['`weft get` of 1 KiB', formatSummary(f.get), met(f.get, STARTUP_TARGETS.get),
          p == null ? '–' : `load ${formatSummary(p.load)}, node ${formatSummary(p.node)}, join ${formatSummary(p.join)}, first byte ${formatSummary(p.firstByte)}, end ${p.end != null ? formatSummary(p.end) : '–'}; CPU ${formatSummary(p.cpu)}`]
      ]
    : [['all', 'failed', f.error ?? '', '']]
  return {
    id: 'cli-startup',
    title: 'CLI start-up (issue 15, item 3): spawn to exit (ms, median (min–max))',
    note: `Each command a fresh process of the \`bin\` the package ships, one warm-up and then ${f.runs} runs of each, interleaved; the get from a testnet of 3 servers. ` +
      `Load average ${f.load[0].toFixed(1)} before, ${f.load[1].toFixed(1)} after.`,
    columns: ['command', 'spawn to exit', 'target', 'the get\'s phases (its --timings)'],
    rows,
    data: f
  }
}
