/**
 * How the service worker (web/service-worker.ts) and the page talk. The
 * node lives in the page, not the worker: a worker cannot hold libp2p
 * connections and is stopped whenever the browser likes. For each request
 * the worker posts `hello` with a MessagePort to a page; on that port it
 * asks for the file's size (`stat`), then for a range (`read`), pulling one
 * chunk at a time (`pull`) so that a player that stops reading stops the
 * fetching too, and says `cancel` when the player abandons the range.
 *
 * URLs: `/weft-stream/<cid>/<name>` plays or shows a file (Range requests,
 * 206); `/weft-download/<cid>/<name>` saves it (Content-Disposition:
 * attachment), streamed to disk. `?tab=<id>` names the tab whose node
 * serves it.
 *
 * An encrypted file's URLs name neither its CID nor its key nor its name:
 * `/weft-stream/<stream id>`, an opaque id (`enc-<random>`) that only the
 * tab which opened the file maps to its capability, in memory. The key stays
 * in the tab (a URL reaches the worker, and without a worker the server);
 * the tab tells the worker the name with the size, on the port.
 */

export const STREAM_PREFIX = '/weft-stream/'
export const DOWNLOAD_PREFIX = '/weft-download/'

/** The worker's script, at the root so that its scope covers both prefixes. */
export const WORKER_URL = '/sw.js'

/** What a stream or download URL names. */
export interface StreamTarget {
  mode: 'stream' | 'download'
  cid: string
  name: string
  /** The tab whose node should serve it, if the URL says. */
  tab?: string
}

/** What an encrypted file's stream id starts with: no CID does. */
export const SEALED_PREFIX = 'enc-'

/** A fresh opaque stream id for an encrypted file. */
export function sealedStreamId (): string {
  return `${SEALED_PREFIX}${crypto.randomUUID()}`
}

/** Whether a stream URL's id is an encrypted file's opaque id (not a CID). */
export function isSealedStreamId (id: string): boolean {
  return id.startsWith(SEALED_PREFIX)
}

/** The stream or download URL of a file (`cid`: its CID, or an encrypted file's stream id, given without a name), served by the tab `tab`. */
export function streamUrl (mode: StreamTarget['mode'], cid: string, name: string | undefined, tab?: string): string {
  const prefix = mode === 'stream' ? STREAM_PREFIX : DOWNLOAD_PREFIX
  const named = name != null ? `/${encodeURIComponent(name)}` : ''
  return `${prefix}${encodeURIComponent(cid)}${named}${tab != null ? `?tab=${encodeURIComponent(tab)}` : ''}`
}

/** Reads a stream or download URL; undefined for any other. */
export function parseStreamUrl (url: URL): StreamTarget | undefined {
  const mode = url.pathname.startsWith(STREAM_PREFIX) ? 'stream' : url.pathname.startsWith(DOWNLOAD_PREFIX) ? 'download' : undefined
  if (mode == null) return undefined
  const rest = url.pathname.slice(mode === 'stream' ? STREAM_PREFIX.length : DOWNLOAD_PREFIX.length)
  const slash = rest.indexOf('/')
  const decode = (s: string): string => { try { return decodeURIComponent(s) } catch { return s } }
  const cid = decode(slash < 0 ? rest : rest.slice(0, slash))
  if (cid === '') return undefined
  const name = slash < 0 ? cid : decode(rest.slice(slash + 1)) || cid
  const tab = url.searchParams.get('tab')
  return tab != null ? { mode, cid, name, tab } : { mode, cid, name }
}

/** The worker's first message to a page, with the port the rest goes over. */
export interface Hello {
  weft: 'hello'
  cid: string
  tab?: string
}

/** Worker -> page, on the port. */
export type WorkerMessage =
  | { type: 'stat', head: number }
  | { type: 'read', offset: number, length: number }
  | { type: 'pull' }
  | { type: 'cancel' }

/** Page -> worker, on the port. */
export type PageMessage =
  | { type: 'here' }
  | { type: 'not-here' }
  /** `name`: an encrypted file's, which its URL does not carry. */
  | { type: 'stat', size: number, head: Uint8Array, name?: string }
  | { type: 'chunk', bytes: Uint8Array }
  | { type: 'done' }
  | { type: 'error', name: string, message: string }

/**
 * How long a range may go unread before the page stops fetching it. Firefox
 * never cancels a service worker's stream that its player abandoned, and a
 * paused player stops reading: either way the page drops the read and
 * starts it again from where it was if the player reads on.
 */
export const IDLE_READ_MS = 15_000
