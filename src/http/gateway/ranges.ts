// HTTP Range requests (RFC 9110 section 14) over a file of known size.

/** A satisfiable range: bytes start..end, end inclusive as in Content-Range. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * What a `Range` header asks of a file of `size` bytes: undefined for the
 * whole file (no header, another unit, or a header that cannot be read,
 * which RFC 9110 lets a server ignore), `unsatisfiable` for a range that
 * starts past the end (416), else the range. Of several ranges only the
 * first is answered: a single part is always a valid 206, and media
 * players and download managers ask for one.
 */
export function parseRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header == null) return undefined
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (match == null) return undefined
  const first = match[1].split(',')[0].trim()
  const spec = /^(\d*)\s*-\s*(\d*)$/.exec(first)
  if (spec == null || (spec[1] === '' && spec[2] === '')) return undefined
  if (spec[1] === '') {
    // the last N bytes
    const suffix = Number(spec[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(spec[1])
  const end = spec[2] === '' ? size - 1 : Math.min(Number(spec[2]), size - 1)
  if (spec[2] !== '' && Number(spec[2]) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

/** `Content-Range` of a 206. */
export function contentRange (range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`
}

/** `Content-Range` of a 416. */
export function unsatisfiedRange (size: number): string {
  return `bytes */${size}`
}
