/**
 * What a file is, for the page and its service worker: the content type
 * from its name or, without a known extension, from its first bytes; and
 * whether it may be shown inline at all.
 *
 * Files come from strangers and the page's origin holds the node's key (in
 * IndexedDB): anything that can run script there (HTML, SVG, XML, scripts)
 * is never shown, only downloaded. Everything the service worker serves also
 * carries `Content-Security-Policy: sandbox` and `nosniff`, so a file that
 * lies about its type still runs nothing in the origin.
 */

/** How the page offers a file. */
export type MediaKind = 'video' | 'audio' | 'image' | 'pdf' | 'text' | 'other'

const BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  ogv: 'video/ogg',
  m4a: 'audio/mp4',
  mp3: 'audio/mpeg',
  oga: 'audio/ogg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  aac: 'audio/aac',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/plain',
  log: 'text/plain',
  csv: 'text/plain',
  // active content: named so that it is recognised, and never shown
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'application/xhtml+xml',
  svg: 'image/svg+xml',
  xml: 'application/xml',
  js: 'text/javascript',
  mjs: 'text/javascript'
}

/** Types shown inline (played, displayed); all others are download-only. */
const INLINE = /^(video\/|audio\/|image\/(png|jpeg|gif|webp|avif|bmp)$|application\/pdf$|text\/plain$)/

/** The content type a file's name gives, or undefined for an unknown or missing extension. */
export function typeOfName (name: string | undefined): string | undefined {
  const match = /\.([a-z0-9]{1,8})$/i.exec(name ?? '')
  return match == null ? undefined : BY_EXTENSION[match[1].toLowerCase()]
}

/** The content type of bytes that start like a media file, an image, a PDF or UTF-8 text; undefined otherwise. */
export function sniffType (head: Uint8Array): string | undefined {
  const at = (offset: number, ...bytes: number[]): boolean => bytes.every((b, i) => head[offset + i] === b)
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to))
  if (at(0, 0x1a, 0x45, 0xdf, 0xa3)) return ascii(0, 64).includes('webm') ? 'video/webm' : 'video/x-matroska'
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12)
    if (brand === 'qt  ') return 'video/quicktime'
    return brand.startsWith('M4A') ? 'audio/mp4' : 'video/mp4'
  }
  if (ascii(0, 4) === 'OggS') return 'audio/ogg'
  if (ascii(0, 4) === 'fLaC') return 'audio/flac'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav'
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe6) === 0xe2)) return 'audio/mpeg'
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'image/png'
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (ascii(0, 4) === 'GIF8') return 'image/gif'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp'
  if (ascii(0, 5) === '%PDF-') return 'application/pdf'
  if (head.byteLength > 0 && isText(head)) return 'text/plain'
  return undefined
}

function isText (bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
    return true
  } catch {
    return false
  }
}

/** How the page offers a file of this content type. */
export function kindOf (type: string | undefined): MediaKind {
  if (type == null || !isInline(type)) return 'other'
  if (type.startsWith('video/')) return 'video'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('image/')) return 'image'
  if (type === 'application/pdf') return 'pdf'
  return 'text'
}

/** Whether a file of this type may be shown in the page's origin (under CSP sandbox); otherwise it is only downloaded. */
export function isInline (type: string): boolean {
  return INLINE.test(type)
}

/** The `Content-Type` to serve: text gets its charset; an active or unknown type is served as bytes (it is downloaded anyway). */
export function servedType (type: string | undefined): string {
  if (type == null || !isInline(type)) return 'application/octet-stream'
  return type === 'text/plain' ? 'text/plain; charset=utf-8' : type
}

/** `attachment; filename*=UTF-8''a%20b.mp4` (or `inline; ...`): the name survives any character in it. */
export function contentDisposition (disposition: 'inline' | 'attachment', name: string): string {
  // the ASCII fallback for old clients: no quotes, backslashes or controls
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/**
 * Where an MP4's index (the `moov` box) sits, from the file's first bytes:
 * `'start'` when it comes before the media data (`mdat`), so the file plays
 * as it streams; `'end'` when `mdat` comes first, so a player must fetch the
 * end of the file before the first frame; undefined when `head` ends before
 * either (or is not an MP4).
 */
export function mp4IndexAt (head: Uint8Array): 'start' | 'end' | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  let offset = 0
  while (offset + 8 <= head.byteLength) {
    let size = view.getUint32(offset)
    const type = String.fromCharCode(...head.subarray(offset + 4, offset + 8))
    if (type === 'moov') return 'start'
    if (type === 'mdat') return 'end'
    if (size === 1) {
      if (offset + 16 > head.byteLength) return undefined
      size = Number(view.getBigUint64(offset + 8))
    }
    // 0: the box runs to the end of the file, and none follows it
    if (size < 8) return undefined
    offset += size
  }
  return undefined
}
