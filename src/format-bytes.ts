/** Binary units above bytes. */
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * A size as a person reads it: `1.5 KiB`, `50.0 MiB` (binary units, one
 * decimal). Below 1 KiB, `small(bytes)`: `512 B` by default; the page writes
 * `512 bytes`.
 */
export function formatBytes (bytes: number, small: (bytes: number) => string = n => `${n} B`): string {
  if (bytes < 1024) return small(bytes)
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}
