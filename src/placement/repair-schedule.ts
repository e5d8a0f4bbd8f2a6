import type { Logger } from '@libp2p/interface'

/**
 * How long after servers join or leave a sweep starts (at most; a shorter
 * repair interval wins): joins and leaves come in bursts (a server's several
 * connections, a restart), and a newcomer needs a moment to enter routing
 * tables before lookups return it. A random share of it again is added.
 */
export const REPAIR_SETTLE_MS = 5_000

/**
 * A sweep for a membership change starts no sooner than this (at most; a
 * shorter repair interval wins) after the previous sweep ended, so a churning
 * network does not keep a large store sweeping back to back.
 */
export const REPAIR_MIN_GAP_MS = 60_000

export type SweepReason = 'periodic' | 'membership'

export interface RepairScheduleInit {
  /** Between periodic sweeps, jittered ±25 %. */
  intervalMs: number
  /** Runs one sweep; rejects with the signal's reason when stopped. */
  sweep: (signal: AbortSignal, reason: SweepReason) => Promise<void>
  log: Logger
  /** A random source in [0, 1), for the jitter. Default `Math.random`. */
  random?: () => number
}

/**
 * When replica maintenance sweeps: every `intervalMs` (jittered, so the
 * servers holding the same blocks do not all sweep at once), and a few
 * seconds after servers joined or left. One sweep runs at a time; a request
 * during a sweep runs one more sweep after it. `stop()` aborts the sweep
 * under way and waits for it.
 */
export class RepairSchedule {
  private readonly stopping = new AbortController()
  private readonly random: () => number
  private periodicTimer: ReturnType<typeof setTimeout> | undefined
  private changeTimer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> | undefined
  private again: SweepReason | undefined
  private lastEnded = 0

  constructor (private readonly init: RepairScheduleInit) {
    this.random = init.random ?? Math.random
  }

  start (): void {
    this.armPeriodic()
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    clearTimeout(this.periodicTimer)
    clearTimeout(this.changeTimer)
    await this.running
  }

  /** Servers joined or left: sweep soon (once, however many changes come meanwhile). */
  membershipChanged (): void {
    if (this.stopping.signal.aborted || this.changeTimer != null) return
    const settle = Math.min(REPAIR_SETTLE_MS, this.init.intervalMs)
    const gap = Math.min(REPAIR_MIN_GAP_MS, this.init.intervalMs)
    const delay = Math.max(settle * (1 + this.random()), this.lastEnded + gap - Date.now())
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined
      this.request('membership')
    }, delay)
  }

  private armPeriodic (): void {
    if (this.stopping.signal.aborted) return
    const delay = this.init.intervalMs * (0.75 + this.random() / 2)
    this.periodicTimer = setTimeout(() => {
      this.request('periodic')
      this.armPeriodic()
    }, delay)
  }

  private request (reason: SweepReason): void {
    if (this.stopping.signal.aborted) return
    if (this.running != null) {
      // a membership change outranks a periodic request: it forgets the learned membership
      if (this.again !== 'membership') this.again = reason
      return
    }
    this.running = this.run(reason)
  }

  private async run (reason: SweepReason): Promise<void> {
    let next: SweepReason | undefined = reason
    while (next != null && !this.stopping.signal.aborted) {
      this.again = undefined
      try {
        await this.init.sweep(this.stopping.signal, next)
      } catch (err) {
        if (!this.stopping.signal.aborted) this.init.log.error('repair: the %s sweep failed: %s', next, (err as Error).message)
      }
      this.lastEnded = Date.now()
      next = this.again
    }
    this.running = undefined
  }
}
