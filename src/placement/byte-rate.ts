import { realClock, type Clock } from '../clock.js'

export type { Clock } from '../clock.js'

/**
 * A byte rate limit: a token bucket holding one second's worth, so a burst
 * of up to `bytesPerSecond` goes at once and a longer run averages the rate.
 * Callers that take more than is there wait for their share in turn (the
 * bucket goes into debt), so concurrent pushes are paced together. A rate of
 * 0 limits nothing. Small enough not to pull in a package for it.
 */
export class ByteRate {
  private available: number
  private last: number

  constructor (private readonly bytesPerSecond: number, private readonly clock: Clock = realClock) {
    this.available = bytesPerSecond
    this.last = clock.now()
  }

  /** Resolves once `bytes` may be sent; rejects with the signal's reason. */
  async take (bytes: number, signal: AbortSignal): Promise<void> {
    if (this.bytesPerSecond <= 0) return
    const now = this.clock.now()
    this.available = Math.min(this.bytesPerSecond, this.available + (now - this.last) / 1000 * this.bytesPerSecond)
    this.last = now
    this.available -= bytes
    if (this.available < 0) await this.clock.sleep(-this.available / this.bytesPerSecond * 1000, signal)
  }
}
