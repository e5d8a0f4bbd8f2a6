import { formatBytes } from '../format-bytes.js'
import type { Output } from './io.js'

/** Redraws per second, at most. */
export const REDRAWS_PER_SECOND = 10
/** Width of the bar itself, in characters. */
const BAR_WIDTH = 24

/** `15.6 MiB/s`; `-` when no time has passed. */
export function formatRate (bytes: number, ms: number): string {
  return ms <= 0 ? '-' : `${formatBytes(Math.round(bytes * 1000 / ms))}/s`
}

/** `3.2 s`, `0.4 s`, `2 min 5 s`. */
export function formatDuration (ms: number): string {
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
}

/** `1,234`. */
export function formatCount (n: number): string {
  return n.toLocaleString('en-US')
}

/** A transfer's progress on stderr. */
export interface Progress {
  /** Bytes done so far; redraws when the last redraw is old enough. */
  update: (done: number) => void
  /** Clears the bar so whatever follows starts on a clean line. Idempotent. */
  finish: () => void
}

export interface ProgressInit {
  /** What is moving: `put`, `get`. */
  label: string
  /** Bytes expected in all; unknown for stdin. */
  total?: number
  /** Whether to draw at all: only when stderr is a terminal and not `--quiet`. */
  enabled: boolean
  /** A clock in ms, for tests. */
  now?: () => number
}

const NOTHING: Progress = { update: () => {}, finish: () => {} }

/**
 * A one-line progress bar redrawn in place with `\r`, at most
 * `REDRAWS_PER_SECOND` times a second:
 * `get [#########---------------]  12.0 MiB / 50.0 MiB  24 %  15.6 MiB/s`.
 * When not enabled it writes nothing at all.
 */
export function progressBar (out: Output, init: ProgressInit): Progress {
  if (!init.enabled) return NOTHING
  const now = init.now ?? (() => performance.now())
  const started = now()
  const interval = 1000 / REDRAWS_PER_SECOND
  let lastDraw = -Infinity
  let drawn = false
  let finished = false
  return {
    update (done) {
      if (finished) return
      const t = now()
      if (t - lastDraw < interval) return
      lastDraw = t
      drawn = true
      out.write(`\r${progressLine(init.label, done, init.total, t - started)}\x1b[K`)
    },
    finish () {
      if (finished) return
      finished = true
      if (drawn) out.write('\r\x1b[K')
    }
  }
}

/** The text of the bar, without the `\r`. */
export function progressLine (label: string, done: number, total: number | undefined, elapsedMs: number): string {
  const rate = formatRate(done, elapsedMs)
  if (total == null) return `${label}  ${formatBytes(done)}  ${rate}`
  // a DAG's inner nodes can take the count a little past the file's size
  done = Math.min(done, total)
  const fraction = total === 0 ? 1 : done / total
  const filled = Math.round(fraction * BAR_WIDTH)
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled)
  return `${label} [${bar}]  ${formatBytes(done)} / ${formatBytes(total)}  ${Math.floor(fraction * 100)} %  ${rate}`
}
