// What every peer process of the benchmark shares (bench/peers/common.mjs is
// the same for the .mjs peers): its task comes as one JSON argument, its
// result goes out as one JSON line on stdout. A seeder lives until its stdin
// closes, so it dies with the orchestrator even when that crashes.
import { createHash, type Hash } from 'node:crypto'
import { peakRssBytes } from '../src/peak-rss.js'
import type { StreamHandler } from '@libp2p/interface'

/** The task the orchestrator passed as the first argument. */
export function task<T> (): T {
  return JSON.parse(process.argv[2] ?? '{}')
}

/** Prints one result line for the orchestrator. */
export function report (result: object): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Resolves when the orchestrator closes this process's stdin. */
export async function untilReleased (): Promise<void> {
  await new Promise<void>(resolve => {
    process.stdin.on('end', resolve)
    process.stdin.on('close', resolve)
    process.stdin.resume()
  })
}

/** This process's peak RSS (VmHWM): the benchmark's peers and the CLI read it the same way. */
export { peakRssBytes }

/** What a fetcher reports. */
export interface FetchResult {
  ok: boolean
  ms: number
  bytes: number
  sha256: string
  maxRssBytes: number
  /** CPU time (user + system, all threads) the fetcher process spent while the clock ran. */
  cpuMs: number
  error?: string
}

/**
 * Hashes every byte a fetcher receives, in order; `finish` stops the clock
 * only after the comparison with the seeder's hash.
 */
export class Verifier {
  private readonly hash: Hash = createHash('sha256')
  private bytes = 0
  private readonly start = performance.now()
  private readonly cpu = process.cpuUsage()

  constructor (private readonly expected: { size: number, sha256: string }) {}

  update (chunk: Uint8Array): void {
    this.hash.update(chunk)
    this.bytes += chunk.byteLength
  }

  finish (): FetchResult {
    const sha256 = this.hash.digest('hex')
    const cpu = process.cpuUsage(this.cpu)
    return {
      ok: sha256 === this.expected.sha256 && this.bytes === this.expected.size,
      ms: performance.now() - this.start,
      bytes: this.bytes,
      sha256,
      maxRssBytes: peakRssBytes(),
      cpuMs: (cpu.user + cpu.system) / 1000
    }
  }
}

/** Runs a peer's main; a failure becomes a result line and exit code 1. */
export function runMain (fn: () => Promise<void>): void {
  fn().then(() => process.exit(0), (err: any) => {
    report({ ok: false, error: String(err?.stack ?? err) })
    process.exit(1)
  })
}

/** The size of each message the stack's reference stream writes. */
const STREAM_CHUNK = 64 * 1024

/**
 * The stack's own reference (item 1's "libp2p one stream", item 6's stream
 * rows): a handler that writes `bytes` into each stream it is given, in
 * 64 KiB messages as fast as the stream takes them, then closes it.
 */
export function sendBytesHandler (bytes: Uint8Array): StreamHandler {
  return async stream => {
    try {
      for (let offset = 0; offset < bytes.byteLength; offset += STREAM_CHUNK) {
        if (!stream.send(bytes.subarray(offset, offset + STREAM_CHUNK))) await stream.onDrain()
      }
      await stream.close()
    } catch (err: any) {
      stream.abort(err)
    }
  }
}
