// Items 1 and 2 as tables: throughput per system beside the stack's limit,
// and four seeders against one.
import { formatSummary, type Section } from './report.js'
import { STACK_LIMIT } from './systems.js'
import type { TransferFigures } from './targets.js'
import type { TransferFigure } from './transfer.js'

const MIB = 2 ** 20

function sizeName (size: number): string {
  return size >= 1024 * MIB ? `${size / 1024 / MIB} GiB` : `${size / MIB} MiB`
}

function statusCell (f: TransferFigure): string {
  return f.status === 'failed' ? `failed: ${f.error ?? ''}` : f.status
}

function ratio (a: TransferFigure | undefined, b: TransferFigure | undefined): string {
  if (a?.throughput == null || b?.throughput == null) return '–'
  return `${(a.throughput.median / b.throughput.median).toFixed(2)}×`
}

/** Item 1 for one file size. */
export function transferSection (size: number, figures: TransferFigure[]): Section {
  const limit = figures.find(f => f.system === STACK_LIMIT)
  return {
    id: `transfer-${size}`,
    title: `1. Transfer ${sizeName(size)}, one seeder → one fetcher (MiB/s, until every byte is verified)`,
    note: 'The fetcher\'s clock runs from its first network action (connect or dial, handshakes included) until the SHA-256 of every byte it received matched the seeder\'s, ' +
      'except for the two weft get (CLI) rows, timed as a user waits: from spawn to exit of a fresh `weft get` process (Node\'s start, its modules, the node, the join and, for -o, the fsync and rename all inside; the tables 1b below give the span the other rows time); ' +
      'a fresh fetcher process per run. Peak RSS is the fetcher\'s whole process. CPU % of wall: the fetcher\'s CPU time (all threads) while its clock ran, over that time: ' +
      'near 100 the fetcher\'s one JS thread is the bottleneck, well below it the fetcher waits (on the seeder, on round trips, on flow control).',
    columns: ['system', 'MiB/s median (min–max)', 'runs', 'vs libp2p one stream', 'fetcher peak RSS MB', 'fetcher CPU % of wall'],
    rows: figures.map(f => f.throughput == null
      ? [f.system, statusCell(f), '–', '–', '–', '–']
      : [
          f.system,
          formatSummary(f.throughput),
          String(f.throughput.runs.length),
          f === limit ? '1.00× (the limit)' : ratio(f, limit),
          formatSummary(f.fetcherRssBytes != null ? scale(f.fetcherRssBytes, 1 / 1e6) : undefined),
          formatSummary(f.fetcherCpuShare != null ? scale(f.fetcherCpuShare, 100) : undefined)
        ]),
    data: figures
  }
}

/** Item 2: four seeders against one, for the systems that can swarm. */
export function swarmSection (size: number, one: TransferFigure[], four: TransferFigure[]): Section {
  return {
    id: `swarm-${size}`,
    title: `2. Swarming ${sizeName(size)}: 4 seeders vs 1 (MiB/s)`,
    note: 'On loopback with 2 cores the seeders are rarely the bottleneck: four seeders compete with the fetcher for the same CPU.',
    columns: ['system', '1 seeder', '4 seeders', '4 ÷ 1'],
    rows: four.map(f => {
      const single = one.find(o => o.system === f.system)
      return [
        f.system,
        single?.throughput != null ? formatSummary(single.throughput) : (single != null ? statusCell(single) : '–'),
        f.throughput != null ? formatSummary(f.throughput) : statusCell(f),
        ratio(f, single)
      ]
    }),
    data: { one, four }
  }
}

/** Item 2b: the same swarming, with every seeder's sending capped, so the seeders are the bottleneck. */
export function cappedSwarmSection (capped: NonNullable<TransferFigures['capped']>): Section {
  const mibPerSecond = capped.mbit * 1e6 / 8 / 2 ** 20
  return {
    ...swarmSection(capped.size, capped.one, capped.four),
    id: `capped-${capped.size}`,
    title: `2b. Swarming ${sizeName(capped.size)} from seeders whose links are capped at ${capped.mbit} Mbit/s: 4 seeders vs 1 (MiB/s)`,
    note: `Each seeder runs in a network namespace of its own behind a veth pair shaped by tc tbf to ${capped.mbit} Mbit/s (${mibPerSecond.toFixed(1)} MiB/s) of sending, routed through the benchmark's namespace, where the fetcher runs. ` +
      `One seeder can send at most ${mibPerSecond.toFixed(1)} MiB/s, so here the seeder is the bottleneck and four should approach four times that, up to what the fetcher's CPU takes.`
  }
}

const PHASE_NAMES: Record<string, string> = {
  load: 'load (Node, the CLI and its modules)',
  node: 'node (make and start the transient node)',
  join: 'join (until the DHT knows the servers dialled)',
  firstByte: 'first byte (the root\'s lookup and fetch)',
  transfer: 'transfer (the rest of the bytes)',
  end: 'end (after the last byte: the node\'s stop; for -o the fsync and rename too)',
  dialToLastByte: 'dial to last byte (join + first byte + transfer: the span the stream row times)'
}

/** Item 1b: where the CLI fetcher's time went, per phase, from its --timings line. */
export function cliPhasesSection (size: number, figure: TransferFigure): Section {
  const phases = figure.phases ?? {}
  const total = figure.ms?.median ?? 0
  return {
    id: `cli-phases-${size}${figure.variant != null ? `-${figure.variant}` : ''}`,
    title: `1b. Where ${figure.system}'s time went, ${sizeName(size)} (ms, median (min–max) of the counted runs)`,
    note: `\`${figure.variant === 'stdout' ? 'weft get CID --timings > FILE' : 'weft get CID -o FILE --timings'}\`, a fresh process per run, timed by the benchmark from spawn to exit; the phases are the CLI's own clock (ms since its process started). ` +
      'What is left of the spawn-to-exit time beyond the phases is the process\'s exit. The stream row\'s clock runs only from its dial to its last byte (its process start and node creation are outside it): ' +
      `dial to last byte here is that span, ${dialRate(figure)}.`,
    columns: ['phase', 'ms', 'share of spawn to exit'],
    rows: [
      ...Object.entries(phases).map(([phase, s]) => [PHASE_NAMES[phase] ?? phase, formatSummary(s), total > 0 ? `${(s.median / total * 100).toFixed(0)} %` : '–']),
      ['spawn to exit', formatSummary(figure.ms), '100 %']
    ],
    data: figure
  }
}

/** The CLI's dial-to-last-byte span as MiB/s, the stream row's way of timing. */
function dialRate (figure: TransferFigure): string {
  const span = figure.phases?.dialToLastByte?.median
  return span == null || span <= 0 ? 'not measured' : `${(figure.size / MIB / (span / 1000)).toFixed(0)} MiB/s (median span)`
}

function scale (s: { median: number, min: number, max: number, runs: number[] }, k: number): typeof s {
  return { median: s.median * k, min: s.min * k, max: s.max * k, runs: s.runs.map(r => r * k) }
}
