/**
 * What a page is asked to do by its URL's query string:
 *
 * - `?transport=websockets` or `?transport=webrtc-direct` joins through the
 *   server over that transport only (default: every address the server offers);
 * - `?db=NAME` keeps this node's key and stores in the IndexedDB database NAME
 *   (default `weft`), so two pages of one browser can be two distinct peers,
 *   and a page reloaded with the same NAME keeps its PeerId;
 * - `?sw=off` runs the page without its service worker: files are read whole
 *   into Blobs, as in a browser that has none (for comparison and tests).
 */
export interface PageOptions {
  transport: BootstrapTransport | 'all'
  db: string
  /** Stream and download through the service worker (default true). */
  serviceWorker: boolean
}

import { TransportMissingError } from './failure.js'

/** The server transports a page can bootstrap over. */
export type BootstrapTransport = 'websockets' | 'webrtc-direct'

const TRANSPORTS: ReadonlyArray<PageOptions['transport']> = ['all', 'websockets', 'webrtc-direct']

/** Reads the page's options; throws a message a person can act on when one is wrong. */
export function pageOptions (search: string): PageOptions {
  const params = new URLSearchParams(search)
  const transport = params.get('transport') ?? 'all'
  if (!(TRANSPORTS as string[]).includes(transport)) {
    throw new Error(`unknown transport "${transport}" in the URL: use ${TRANSPORTS.join(', ')}`)
  }
  const db = params.get('db') ?? 'weft'
  if (db.trim() === '') throw new Error('the db name in the URL is empty')
  const sw = params.get('sw') ?? 'on'
  if (sw !== 'on' && sw !== 'off') throw new Error(`sw must be on or off in the URL, not "${sw}"`)
  return { transport: transport as PageOptions['transport'], db, serviceWorker: sw === 'on' }
}

/** Keeps the bootstrap addresses of the chosen transport (`/ws`, `/wss` or `/webrtc-direct`). */
export function bootstrapOver (addrs: string[], transport: PageOptions['transport']): string[] {
  if (transport === 'all') return addrs
  const wanted = transport === 'websockets' ? /\/wss?\// : /\/webrtc-direct\//
  const kept = addrs.filter(a => wanted.test(a))
  if (kept.length === 0) throw new TransportMissingError(`the server offers no ${transport} address (it offers ${addrs.join(', ') || 'none'})`, addrs)
  return kept
}
