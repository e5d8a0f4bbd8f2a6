import { formatBytes as formatSize } from '../src/format-bytes.js'
import { transportOf, type WeftNode } from '../src/index.js'

/** `12D3KooWAbc…xyz123`: enough of a PeerId to tell peers apart at a glance. */
export function shortId (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

/** The element with this id; the page's HTML must have it. */
export function byId<E extends HTMLElement = HTMLElement> (id: string): E {
  const el = document.getElementById(id)
  if (el == null) throw new Error(`the page has no #${id}`)
  return el as E
}

/**
 * Shows a state in an element: its text, and `data-state` (which the CSS
 * colours and tests wait on).
 */
export function show (el: HTMLElement, state: string, text: string): void {
  el.dataset.state = state
  delete el.dataset.failure
  el.textContent = text
}

function item (children: Array<Node | string>, data: Record<string, string> = {}): HTMLLIElement {
  const li = document.createElement('li')
  Object.assign(li.dataset, data)
  li.append(...children)
  return li
}

function code (text: string, title?: string): HTMLElement {
  const el = document.createElement('code')
  el.textContent = text
  if (title != null) el.title = title
  return el
}

function span (className: string, text: string): HTMLSpanElement {
  const el = document.createElement('span')
  el.className = className
  el.textContent = text
  return el
}

/** Replaces a list's items; an empty list shows `empty` instead. */
export function fillList (list: HTMLElement, items: HTMLLIElement[], empty: string): void {
  list.replaceChildren(...(items.length > 0 ? items : [item([empty], { empty: '' })]))
}

/**
 * Redraws everything that follows the node's state: the status line, the open
 * connections and the node's own addresses. Cheap enough to run on every event.
 */
export function render (node: WeftNode): void {
  const connections = node.getConnections()
  const peers = new Set(connections.map(c => c.remotePeer.toString()))
  show(byId('status'), peers.size > 0 ? 'connected' : 'connecting',
    peers.size > 0 ? `connected to ${peers.size} peer${peers.size === 1 ? '' : 's'}` : 'connecting to the network…')

  fillList(byId('connections'), connections.map(c => {
    const peer = c.remotePeer.toString()
    const transport = transportOf(c)
    const limited = c.limits != null
    return item([
      code(shortId(peer), peer), ' ',
      span('transport', transport),
      limited ? span('limited', ' (limited)') : '', ' ',
      code(c.remoteAddr.toString())
    ], { peer, transport, limited: String(limited) })
  }), 'none yet')

  // a page cannot listen on sockets: it is reachable only through a relay
  // reservation, as /p2p-circuit (relayed) and /p2p-circuit/webrtc (direct)
  fillList(byId('addresses'), node.getMultiaddrs().map(ma => item([code(ma.toString())], { addr: ma.toString() })),
    'none yet: waiting for a relay reservation')
}

/** `3.0 MiB`, `512 bytes`: a size as a person reads it. */
export function formatBytes (bytes: number): string {
  return formatSize(bytes, n => `${n} byte${n === 1 ? '' : 's'}`)
}

/** `1 block`, `3 servers`. */
export function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/**
 * Wraps `draw` so that many calls in one turn of the event loop draw once,
 * after it: for progress events, which can come thousands at a time. Call
 * `cancel` before showing a final state, or a pending draw would overwrite it.
 */
export function coalesced (draw: () => void): (() => void) & { cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  const schedule = (): void => {
    timer ??= setTimeout(() => { timer = undefined; draw() }, 0)
  }
  return Object.assign(schedule, {
    cancel: () => {
      clearTimeout(timer)
      timer = undefined
    }
  })
}
