/**
 * "This tab holds": the files this tab shared (name, size, where they are
 * stored, CID, link, copy, remove), what it has served other peers since it
 * opened and whom it serves now, and the plain fact that closing the tab
 * stops it sharing. Shown only once there is something to show. The list is
 * kept in localStorage per database, so it follows the identity (and its
 * IndexedDB) across reloads, not the tab.
 */
import { shareLink } from './share-link.js'
import { byId, formatBytes, plural } from './view.js'
import type { WeftNode } from '../src/index.js'

/** A file this tab shared. */
export interface Held {
  cid: string
  name: string
  size: number
  /** Servers that confirmed every block when it was shared; 0: only in this tab. */
  replicas: number
}

/** How often the served counters are redrawn. */
const SERVED_REDRAW_MS = 2_000

const storageKey = (db: string): string => `weft-held:${db}`

/** The files shared under database `db`, newest first. */
export function heldFiles (db: string): Held[] {
  try {
    const list = JSON.parse(localStorage.getItem(storageKey(db)) ?? '[]')
    return Array.isArray(list) ? list : []
  } catch {
    return []
  }
}

function keep (db: string, list: Held[]): void {
  localStorage.setItem(storageKey(db), JSON.stringify(list))
}

/** Tells the section that this tab shared a file (add-file.ts calls it). */
export function recordHeld (held: Held): void {
  dispatchEvent(new CustomEvent<Held>('weft:held', { detail: held }))
}

/** A "Copy" button for `text` that says "Copied" once it is on the clipboard. */
export function copyButton (text: string, label = 'Copy'): HTMLButtonElement {
  const button = Object.assign(document.createElement('button'), { type: 'button', textContent: label, className: 'copy' })
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(text).then(
      () => { button.textContent = 'Copied' },
      () => { button.textContent = 'Copy failed: select the text' }
    )
  })
  return button
}

/** Wires the "This tab holds" section once the node is `ready` on database `db`. */
export function holdingsSection (ready: Promise<{ node: WeftNode, db: string }>): void {
  const section = byId('holds')
  const list = byId('held')
  const served = byId('served')
  void ready.then(({ node, db }) => {
    const draw = (): void => {
      const files = heldFiles(db)
      const { bytesServed = 0, blocksServed = 0, peersServing = 0 } = node.status().storage.serving ?? {}
      list.replaceChildren(...files.map(file => row(file, async () => {
        await node.unpin(file.cid).catch(() => {})
        keep(db, heldFiles(db).filter(f => f.cid !== file.cid))
        draw()
      })))
      served.hidden = bytesServed === 0
      served.textContent = `Served ${formatBytes(bytesServed)} (${plural(blocksServed, 'block')}) to other peers since this tab opened; serving ${plural(peersServing, 'peer')} now.`
      section.hidden = files.length === 0 && bytesServed === 0
    }
    addEventListener('weft:held', event => {
      const held = (event as CustomEvent<Held>).detail
      keep(db, [held, ...heldFiles(db).filter(f => f.cid !== held.cid)])
      draw()
    })
    setInterval(draw, SERVED_REDRAW_MS)
    draw()
  }, () => {})
}

function row (file: Held, remove: () => Promise<void>): HTMLLIElement {
  const li = document.createElement('li')
  li.dataset.cid = file.cid
  const link = shareLink(location.href, { cid: file.cid, name: file.name })
  const where = file.replicas > 0 ? `on ${plural(file.replicas, 'server')}` : 'only in this tab'
  const name = Object.assign(document.createElement('a'), { href: link, textContent: file.name })
  const cid = Object.assign(document.createElement('code'), { textContent: file.cid })
  const drop = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Remove', className: 'remove' })
  drop.setAttribute('aria-label', `Remove ${file.name} from this tab`)
  drop.addEventListener('click', () => { drop.disabled = true; void remove() })
  const copy = copyButton(link, 'Copy link')
  copy.setAttribute('aria-label', `Copy the link to ${file.name}`)
  const size = Object.assign(document.createElement('span'), { className: 'where', textContent: ` ${formatBytes(file.size)}, ${where} ` })
  li.append(name, size, copy, ' ', drop, document.createElement('br'), cid)
  return li
}
