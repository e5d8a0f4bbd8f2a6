// The headers every gateway answer carries, error answers, directory listings, and streamed bodies.

import type { ServerResponse } from 'node:http'
import type { GatewayError } from './errors.js'

/** Content under a CID never changes: a year (the longest HTTP caches keep), immutable. */
export const IMMUTABLE = 'public, max-age=29030400, immutable'

/**
 * Headers on every `/ipfs/` answer, errors included. The gateway shares its
 * origin with weft's page, whose IndexedDB holds the node's private key:
 * `sandbox` gives a document served from here an opaque origin (no
 * storage, cookies or same-origin reads of the page) and no scripts, and
 * `nosniff` keeps a browser from taking a file for more than its type.
 * Anyone may read these answers from script (they are public and
 * verifiable), as other gateways allow.
 */
export const SAFETY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': 'sandbox',
  'x-content-type-options': 'nosniff',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Length, Content-Range, Content-Type, ETag, X-Ipfs-Path, X-Ipfs-Roots'
}

/** Writes the status and headers (the safety headers added). */
export function writeHead (res: ServerResponse, status: number, headers: Record<string, string | number>): void {
  res.writeHead(status, { ...SAFETY_HEADERS, ...headers })
}

/**
 * An error answer: plain text naming what was wrong. Once the body has
 * started, the only way left to say something went wrong is to cut the
 * connection: the client sees fewer bytes than Content-Length (or a CAR
 * without its blocks).
 */
export function sendError (res: ServerResponse, err: GatewayError): void {
  if (res.destroyed) return
  // no error passed on: the socket's error would have no one to hear it
  if (res.headersSent) { res.destroy(); return }
  const body = `${err.message}\n`
  writeHead(res, err.status, {
    ...err.headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // a missing block may arrive later; a bad CID stays bad, but is cheap to answer again
    'cache-control': 'no-store'
  })
  res.end(body)
}

/**
 * Writes `chunks` to the response as they come, waiting whenever the
 * socket's buffer is full, so a slow client holds the fetching back
 * instead of the server buffering the file. Ends the response; a client
 * that goes away stops the iteration.
 */
export async function streamBody (res: ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return
    if (!res.write(chunk)) {
      await new Promise<void>(resolve => {
        const done = (): void => { res.off('drain', done); res.off('close', done); resolve() }
        res.on('drain', done)
        res.on('close', done)
      })
    }
  }
  res.end()
}

/** One entry of a directory listing. */
export interface ListedEntry {
  name: string
  cid: string
  /** The size the link records (the entry's DAG, blocks included). */
  size: number
}

/**
 * A directory as a plain HTML page: a link per entry (relative, so it works
 * under any path), its CID and recorded size. No script, no style sheet:
 * nothing to run under the sandbox.
 */
export function directoryListing (ipfsPath: string, entries: ListedEntry[]): string {
  const rows = entries.map(entry => {
    const href = encodeURIComponent(entry.name)
    return `<tr><td><a href="${href}">${escapeHtml(entry.name)}</a></td><td>${entry.size}</td><td><code>${escapeHtml(entry.cid)}</code></td></tr>`
  })
  const parent = ipfsPath.split('/').filter(Boolean).length > 2 ? '<tr><td><a href="..">..</a></td><td></td><td></td></tr>' : ''
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(ipfsPath)}</title></head>
<body><h1>Index of ${escapeHtml(ipfsPath)}</h1>
<table><thead><tr><th>name</th><th>size</th><th>CID</th></tr></thead>
<tbody>${parent}${rows.join('\n')}</tbody></table>
</body></html>
`
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** `Content-Disposition` for a file name, quoted for old clients and UTF-8 encoded for the rest (RFC 6266). */
export function contentDisposition (kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}
