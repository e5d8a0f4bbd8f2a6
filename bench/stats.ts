/** Median and spread of repeated measurements. */
export interface Summary {
  median: number
  min: number
  max: number
  /** Every measured value, in run order. */
  runs: number[]
}

/** The p-th percentile (0–100) of `values`, nearest-rank. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** Summarises runs: median, min and max. */
export function summarize (runs: number[]): Summary {
  return { median: percentile(runs, 50), min: Math.min(...runs), max: Math.max(...runs), runs }
}

/** MiB/s for `bytes` moved in `ms`. */
export function mibPerSecond (bytes: number, ms: number): number {
  return bytes / 2 ** 20 / (ms / 1000)
}
