/**
 * "Get a file": a person pastes a CID or a share link, or opens a share link
 * (`#/<cid>/<name>`, which starts the fetch by itself). With the service
 * worker (stream-bridge.ts) a video or audio file plays as it arrives, and
 * a large file is offered as a download streamed to disk (play-file.ts);
 * small files, and every file in a browser without the worker, are read
 * whole into a Blob and offered with a preview of images and text.
 */
import { kindOf, sniffType, typeOfName } from './media-type.js'
import { offerStreamed } from './play-file.js'
import { offerSave, offerSaveOnly, savePicker } from './download-file.js'
import { explainFailure, showFailure } from './failure.js'
import { isDirectory, showDirectory } from './directory.js'
import { contentRef, parseCidInput, parseShareHash, shareHash, type SharedFile } from './share-link.js'
import { byId, coalesced, formatBytes, plural, show } from './view.js'
import type { StreamBridge } from './stream-bridge.js'
import type { Content, WeftNode } from '../src/index.js'

/** How a read is going. `size` is known once the file's root block is here. */
export interface GetProgress {
  bytes: number
  size?: number
  /** Blocks fetched from peers, and found in this tab's own store. */
  fetched: number
  local: number
}

/** A file read whole. */
export interface ReadFile {
  blob: Blob
  size: number
  fetched: number
  local: number
}

/** Bytes of a file's start read to tell its type and preview it, when it is offered through the worker. */
export const HEAD_BYTES = 65_536

/** Files up to this size get a preview. */
export const PREVIEW_MAX_BYTES = 4 * 1_048_576

/** Bytes read into memory before they move into a Blob. */
export const BLOB_PART_BYTES = 16 * 1_048_576

/** How much of a text file the preview shows. */
const TEXT_PREVIEW_BYTES = 16_384

/**
 * Reads a whole file as it streams in, into a Blob, reporting progress. The
 * chunks are folded into a Blob every `BLOB_PART_BYTES`: the browser keeps
 * Blob data outside the page's heap (on disk when large), so a 2 GB file
 * never sits in the page's memory.
 */
export async function readFile (node: WeftNode, cid: string, options: { signal?: AbortSignal, onProgress?: (progress: GetProgress) => void, content?: Content } = {}): Promise<ReadFile> {
  const progress: GetProgress = { bytes: 0, fetched: 0, local: 0 }
  const { signal, onProgress } = options
  const parts: Blob[] = []
  let chunks: BlobPart[] = []
  let chunkBytes = 0
  // one fetch session for the bytes and the size: the root comes once
  const content = options.content ?? node.open(cid, signal != null ? { signal } : {})
  const reading = content.read({
    ...(signal != null ? { signal } : {}),
    onProgress: event => {
      progress.fetched = event.detail.fetched
      progress.local = event.detail.local
      onProgress?.(progress)
    }
  })
  for await (const chunk of reading) {
    // (typed ArrayBufferLike; never a SharedArrayBuffer here, which Blob would refuse)
    chunks.push(chunk as Uint8Array<ArrayBuffer>)
    chunkBytes += chunk.byteLength
    if (chunkBytes >= BLOB_PART_BYTES) {
      parts.push(new Blob(chunks))
      chunks = []
      chunkBytes = 0
    }
    progress.bytes += chunk.byteLength
    if (progress.size == null) {
      // the size is in the root block, which the first bytes brought here:
      // asked now, the session has it, with no second lookup and no race
      // with the node joining the network (which `read` waits for and
      // `stat` does not)
      progress.size = (await content.stat(signal != null ? { signal } : {})).size
    }
    onProgress?.(progress)
  }
  parts.push(new Blob(chunks))
  return { blob: new Blob(parts), size: progress.bytes, fetched: progress.fetched, local: progress.local }
}

/** SHA-256 of a Blob, in lowercase hex. WebCrypto does not hash streams, so this reads it whole. */
export async function sha256Hex (blob: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
  return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')
}

/** The `image/*` type of bytes that start like a PNG, JPEG, GIF or WebP; undefined otherwise. */
export function imageType (head: Uint8Array): string | undefined {
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif'
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...head.subarray(8, 12)) === 'WEBP') return 'image/webp'
  return undefined
}

/** The text of bytes that are UTF-8 without NULs; undefined for anything else. */
export function asText (bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined
  try {
    // `stream: true` tolerates a character cut in two at the end of a preview
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
  } catch {
    return undefined
  }
}

/** Wires the page's "Get a file" section to the node once it is `ready`. */
export function getFileSection (ready: Promise<WeftNode>, streaming: Promise<StreamBridge | undefined>): void {
  const form = byId<HTMLFormElement>('get-form')
  const input = byId<HTMLInputElement>('get-cid')
  let current: AbortController | undefined

  const start = (shared: SharedFile): void => {
    current?.abort()
    const controller = new AbortController()
    current = controller
    void receive(ready, streaming, shared, controller.signal)
  }

  form.addEventListener('submit', event => {
    event.preventDefault()
    const shared = parseCidInput(input.value)
    input.value = shared.cid
    // the address bar now holds the share link (without a hashchange)
    history.replaceState(null, '', shareHash(shared))
    start(shared)
  })

  // opening a share link, or pasting one into the address bar of an open page
  const fromHash = (): void => {
    const shared = parseShareHash(location.hash)
    if (shared == null) return
    input.value = shared.cid
    start(shared)
  }
  window.addEventListener('hashchange', fromHash)
  fromHash()
}

/** Object URLs of the last file shown, released when the next one replaces it. */
let shownUrls: string[] = []

async function receive (ready: Promise<WeftNode>, streaming: Promise<StreamBridge | undefined>, shared: SharedFile, signal: AbortSignal): Promise<void> {
  const name = shared.name ?? shared.cid
  const bar = byId<HTMLProgressElement>('get-progress')
  const result = byId('get-result')
  for (const url of shownUrls) URL.revokeObjectURL(url)
  shownUrls = []
  byId('get-done').hidden = true
  offerSave(undefined, false)
  byId('preview').replaceChildren()
  byId('stream-note').hidden = true
  bar.hidden = false
  bar.removeAttribute('value')
  show(result, 'pending', `${name}: looking for it…`)
  let progress: GetProgress = { bytes: 0, fetched: 0, local: 0 }
  const draw = coalesced(() => {
    if (signal.aborted) return
    if (progress.size != null) {
      bar.max = Math.max(progress.size, 1)
      bar.value = progress.bytes
    }
    const of = progress.size != null ? ` of ${formatBytes(progress.size)}` : ''
    show(result, 'pending', `${name}: ${formatBytes(progress.bytes)}${of}, ${plural(progress.fetched, 'block')} from peers`)
  })
  const started = performance.now()
  try {
    const node = await ready
    const bridge = await streaming
    // a worker unregistered since the page loaded (devtools, site data cleared) is registered again
    if (bridge != null && !bridge.active) await bridge.start()
    // an encrypted file's capability: decrypted here, only the ciphertext crosses the network. Through
    // the worker it goes under an opaque stream id: the key stays in this tab, out of every URL
    const sealed = shared.key != null && bridge?.active === true ? bridge.seal(node, contentRef(shared), shared.name) : undefined
    if (sealed != null && bridge != null) signal.addEventListener('abort', () => { bridge.forget(sealed.id) }, { once: true })
    const content = sealed?.content ?? node.open(contentRef(shared), { signal })
    if (bridge?.active === true) {
      const stat = await content.stat({ signal })
      const size = stat.size
      // an encrypted file's own name (from its header) when the link gives none
      const fileName = shared.name ?? stat.name
      const byName = typeOfName(fileName)
      const playable = ['video', 'audio'].includes(kindOf(byName))
      if (size > PREVIEW_MAX_BYTES || playable) {
        const head = await firstBytes(content, Math.min(size, HEAD_BYTES), signal)
        if (signal.aborted) return
        offerStreamed(bridge, { cid: sealed?.id ?? shared.cid, name: fileName ?? name, size, type: byName ?? sniffType(head), head, ...(sealed != null ? { sealed: true } : {}) }, signal)
        offerSave({ open: () => node.open(contentRef(shared), { cache: false }), name: fileName ?? name, size }, true)
        return
      }
    } else {
      const note = byId('stream-note')
      const saves = savePicker() != null ? 'nothing plays as it arrives, and large files are written to a file you choose as they arrive' : 'files are read whole into the tab before they can be played or saved'
      show(note, 'warning', `This page runs without its service worker (the browser refused it, or the page was opened with ?sw=off): ${saves}.`)
      note.hidden = false
    }
    // where the browser lets the page write to a file, a large file is never read whole
    if (savePicker() != null) {
      const stat = await content.stat({ signal })
      if (signal.aborted) return
      if (stat.size > PREVIEW_MAX_BYTES) {
        // an encrypted file's own name (from its header) when the link gives none
        offerSaveOnly({ open: () => node.open(contentRef(shared), { cache: false }), name: shared.name ?? stat.name ?? name, size: stat.size }, shareHash(shared))
        return
      }
    }
    const file = await readFile(node, contentRef(shared), { signal, content, onProgress: p => { progress = p; draw() } })
    draw.cancel()
    if (signal.aborted) return
    const seconds = (performance.now() - started) / 1000
    bar.max = 1
    bar.value = 1
    const from = file.fetched > 0 ? `${plural(file.fetched, 'block')} from peers` : 'all from this tab\'s store'
    show(result, 'ok', `got ${name}: ${formatBytes(file.size)} in ${seconds.toFixed(1)} s, ${from}`)
    await offer(file.blob, name)
  } catch (err: any) {
    draw.cancel()
    if (signal.aborted) return
    bar.hidden = true
    if (isDirectory(err)) {
      try {
        await showDirectory(await ready, shared.cid, name, signal)
        return
      } catch (listing: any) {
        err = listing
      }
    }
    const connections = (await ready.catch(() => undefined))?.getConnections().length
    showFailure(result, explainFailure(err, { bytes: progress.bytes, ...(progress.size != null ? { size: progress.size } : {}), ...(connections != null ? { connections } : {}) }),
      () => { void receive(ready, streaming, shared, signal) })
  }
}

/** The first `length` bytes of a file. */
async function firstBytes (content: Content, length: number, signal: AbortSignal): Promise<Uint8Array> {
  const head = new Uint8Array(length)
  let at = 0
  for await (const chunk of content.read({ offset: 0, length, signal })) {
    head.set(chunk, at)
    at += chunk.byteLength
  }
  return head
}

/** Shows the download link, and a preview for small images and text. */
async function offer (blob: Blob, name: string): Promise<void> {
  // a blob: URL has the page's origin: typed as bytes, no browser renders a stranger's HTML from it
  const url = URL.createObjectURL(new Blob([blob], { type: 'application/octet-stream' }))
  shownUrls.push(url)
  const link = byId<HTMLAnchorElement>('download')
  link.href = url
  link.download = name
  link.dataset.name = name
  link.textContent = `Download ${name}`
  link.dataset.size = String(blob.size)
  byId('get-done').hidden = false

  if (blob.size === 0 || blob.size > PREVIEW_MAX_BYTES) return
  const head = new Uint8Array(await blob.slice(0, TEXT_PREVIEW_BYTES).arrayBuffer())
  const type = imageType(head)
  if (type != null) {
    const image = URL.createObjectURL(new Blob([blob], { type }))
    shownUrls.push(image)
    byId('preview').replaceChildren(Object.assign(document.createElement('img'), { src: image, alt: name }))
    return
  }
  const text = asText(head)
  if (text != null) {
    const more = blob.size > TEXT_PREVIEW_BYTES ? `\n… (${formatBytes(blob.size - TEXT_PREVIEW_BYTES)} more)` : ''
    byId('preview').replaceChildren(Object.assign(document.createElement('pre'), { textContent: text + more }))
  }
}
