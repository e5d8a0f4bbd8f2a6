/**
 * HTTP byte ranges (RFC 9110 §14) as a media element asks for them: the
 * service worker answers `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` with
 * a 206 of that slice. Only the first range of a multi-range request is
 * served: players never ask for more than one, and a 206 of the first is
 * what they expect.
 */

/** A slice of a file: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * The slice a `Range` header asks for in a file of `size` bytes: undefined
 * when there is no header, or one that is not a byte range (the whole file is
 * served, status 200); `'unsatisfiable'` when it starts past the end (416).
 */
export function parseRange (header: string | null | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header == null) return undefined
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/i.exec(header)
  if (match == null || (match[1] === '' && match[2] === '')) return undefined
  if (match[1] === '') {
    // a suffix: the last n bytes
    const n = Number(match[2])
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size }
  }
  const start = Number(match[1])
  const last = match[2] === '' ? size - 1 : Number(match[2])
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last)) return undefined
  if (start >= size) return 'unsatisfiable'
  if (last < start) return undefined
  return { start, end: Math.min(last + 1, size) }
}

/** `bytes 0-1/1000`: the `Content-Range` of a 206. */
export function contentRange ({ start, end }: ByteRange, size: number): string {
  return `bytes ${start}-${end - 1}/${size}`
}
