import delay from 'delay'

/**
 * Time as the rate limits, the per-peer limits and the auditor read and wait
 * on it; specs give them a fake one (test/support/fakes.ts).
 */
export interface Clock {
  now: () => number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

/** The real one: `performance.now()`, and an abortable wait. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => { await delay(ms, { signal }) }
}
