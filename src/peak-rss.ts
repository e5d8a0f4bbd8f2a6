import { readFileSync } from 'node:fs'

/**
 * This process's peak RSS in bytes: VmHWM from /proc/self/status. Not
 * `process.resourceUsage().maxRSS`: Linux keeps that high-water mark across
 * `exec`, so a process spawned by a big one (a CLI run by the benchmark, a
 * benchmark peer) would report at least its parent's RSS. maxRSS only where
 * /proc is missing.
 */
export function peakRssBytes (): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    if (kib != null) return Number(kib) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}
