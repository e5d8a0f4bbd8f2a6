// What every peer process of the benchmark shares: its task comes as one JSON
// argument, its result goes out as one JSON line on stdout. A seeder lives
// until its stdin closes, so it dies with the orchestrator even on a crash.
// (The compiled peers in bench/*.ts follow the same conventions: bench/peer-io.ts.)
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** The task passed by the orchestrator. */
export function task () {
  return JSON.parse(process.argv[2] ?? '{}')
}

/** Prints one result line for the orchestrator. */
export function report (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

/** Resolves when the orchestrator closes our stdin (or is gone). */
export function untilReleased () {
  return new Promise(resolve => {
    process.stdin.on('end', resolve)
    process.stdin.on('close', resolve)
    process.stdin.resume()
  })
}

/**
 * Peak RSS in bytes: VmHWM from /proc/self/status, not
 * `process.resourceUsage().maxRSS`, which on Linux starts a spawned child at
 * its parent's RSS (see bench/peer-io.ts).
 */
export function peakRssBytes () {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    if (kib != null) return Number(kib) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}

/**
 * Hashes every byte the fetcher receives, in order, and finishes the clock
 * only after comparing with the seeder's hash.
 */
export class Verifier {
  constructor (expected) {
    this.expected = expected
    this.hash = createHash('sha256')
    this.bytes = 0
    this.start = performance.now()
    this.cpu = process.cpuUsage()
  }

  update (chunk) {
    this.hash.update(chunk)
    this.bytes += chunk.byteLength
  }

  /** The fetcher's result line: elapsed ms, bytes, whether every byte matched, peak RSS, CPU time while the clock ran. */
  finish (extra = {}) {
    const sha256 = this.hash.digest('hex')
    const ms = performance.now() - this.start
    const cpu = process.cpuUsage(this.cpu)
    return {
      ok: sha256 === this.expected.sha256 && this.bytes === this.expected.size,
      ms,
      bytes: this.bytes,
      sha256,
      maxRssBytes: peakRssBytes(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      ...extra
    }
  }
}

/** Runs a peer's main, turning a failure into a result line and a non-zero exit. */
export function main (fn) {
  fn().then(() => process.exit(0), err => {
    report({ ok: false, error: String(err?.stack ?? err) })
    process.exit(1)
  })
}
