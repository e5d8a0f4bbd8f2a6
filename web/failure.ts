/**
 * What the page says when something fails: one sentence a person can act on
 * for each cause (a link that names no file, a file nobody has, no peer to
 * ask, the browser's storage full, a server without a transport a browser can
 * use, a transfer cut off), the error's own message in small print below it,
 * and a Retry button where trying again can help. Never only the console.
 */

import { formatBytes } from './view.js'

/** The causes the page tells apart; `data-failure` on the element, for CSS and tests. */
export type FailureKind = 'invalid-link' | 'not-found' | 'no-peers' | 'storage-full' | 'transport-missing' | 'interrupted' | 'failed'

export interface Failure {
  kind: FailureKind
  /** What happened and what to do, for a person. */
  message: string
  /** The error's own message. */
  detail: string
  /** Whether trying again may succeed. */
  retry: boolean
}

/** What the page knew when it failed. */
export interface FailureContext {
  /** Bytes of the file that had arrived (a get) or been read (a put). */
  bytes?: number
  /** The file's size, when known. */
  size?: number
  /** Open connections when it failed. */
  connections?: number
}

/**
 * The server the page came from offers no transport a browser can dial
 * (`/ws`, `/wss`, `/webrtc-direct`), or not the one the URL asked for.
 * `offered` is what it offers.
 */
export class TransportMissingError extends Error {
  static override readonly name = 'TransportMissingError'
  override readonly name = 'TransportMissingError'

  constructor (message: string, readonly offered: string[]) {
    super(message)
  }
}

/** Whether a browser can dial this address itself (not TCP, not QUIC). */
export function browserDialable (addr: string): boolean {
  return /\/(wss?|webrtc-direct|webtransport)(\/|$)/.test(addr)
}

function causes (err: any): any[] {
  const all: any[] = []
  for (let e = err; e != null && all.length < 8; e = e.cause) all.push(e)
  return all
}

/** Tells what `err` means for a person, given what the page knew when it came. */
export function explainFailure (err: any, context: FailureContext = {}): Failure {
  const detail = String(err?.message ?? err)
  const chain = causes(err)
  const named = (name: string): boolean => chain.some(e => e?.name === name)
  const of = context.size != null ? ` of ${formatBytes(context.size)}` : ''
  if (named('InvalidCIDError')) {
    return { kind: 'invalid-link', retry: false, detail, message: 'This link or CID names no file: check that it was copied whole (a CID starts with bafy… or Qm…).' }
  }
  if (named('QuotaExceededError') || /storage for this site is full/.test(detail)) {
    return { kind: 'storage-full', retry: true, detail, message: 'This browser\'s storage for the page is full: remove files from "This tab holds", or free space in the browser\'s site settings, then retry.' }
  }
  if (named('TransportMissingError')) {
    return { kind: 'transport-missing', retry: false, detail, message: 'The server this page came from offers no way in for a browser (WebSockets or WebRTC-direct): its operator must enable a browser transport.' }
  }
  if ((context.bytes ?? 0) > 0) {
    return { kind: 'interrupted', retry: true, detail, message: `The transfer was interrupted after ${formatBytes(context.bytes ?? 0)}${of}: retry to go on.` }
  }
  if (context.connections === 0 || named('JoinTimeoutError')) {
    return { kind: 'no-peers', retry: true, detail, message: 'No peers reachable: this tab is connected to nobody. Check the network connection, then retry.' }
  }
  if (named('BlockNotFoundError')) {
    return { kind: 'not-found', retry: true, detail, message: 'Not found: no reachable peer has this file. If it was shared only from a tab, that tab must be open.' }
  }
  return { kind: 'failed', retry: true, detail, message: 'It failed:' }
}

/** Shows `failure` in `el` (`data-state="error"`), with a Retry button calling `retry` where it may help. */
export function showFailure (el: HTMLElement, failure: Failure, retry?: () => void): void {
  el.dataset.state = 'error'
  el.dataset.failure = failure.kind
  const detail = document.createElement('small')
  detail.className = 'detail'
  detail.textContent = failure.detail
  el.replaceChildren(failure.message, ' ', detail)
  if (retry != null && failure.retry) {
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'retry', textContent: 'Retry' })
    button.addEventListener('click', () => { delete el.dataset.failure; retry() }, { once: true })
    el.append(' ', button)
  }
}
