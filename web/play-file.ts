/**
 * Offers a file through the service worker, without reading it whole: a
 * video or audio file plays as it arrives (and seeks anywhere), an image or
 * a PDF is shown from its stream URL, text is previewed from its first
 * bytes, and every file downloads straight to disk. Nothing of the file is
 * kept in the tab beyond the blocks the player is reading.
 */
import { formatBytes, byId, show } from './view.js'
import { kindOf, mp4IndexAt, type MediaKind } from './media-type.js'
import { streamUrl } from './stream-protocol.js'
import { TAB_ID, type StreamBridge } from './stream-bridge.js'

/** How much of a text file the preview shows. */
export const TEXT_PREVIEW_BYTES = 16_384

/** What the page knows of a file before offering it. */
export interface StreamedFile {
  /** The CID, or an encrypted file's stream id (StreamBridge.seal). */
  cid: string
  name: string
  /** Encrypted: its URLs carry the stream id alone, not the name (the tab tells the worker). */
  sealed?: boolean
  size: number
  /** From the name, or sniffed from `head`. */
  type: string | undefined
  /** The file's first bytes (up to 64 KiB). */
  head: Uint8Array
}

/** The note shown for an MP4 whose index comes after its media data. */
export const MP4_INDEX_AT_END = 'This MP4 keeps its index (the moov box) at the end of the file, so it cannot play until the end has arrived. ' +
  'Re-encoded with `ffmpeg -i in.mp4 -c copy -movflags +faststart out.mp4` it plays as it streams.'

/** Shows `file` in the "Get a file" section; stops updating when `signal` aborts (another file replaced it). */
export function offerStreamed (bridge: StreamBridge, file: StreamedFile, signal: AbortSignal): void {
  const kind = kindOf(file.type)
  const result = byId('get-result')
  const preview = byId('preview')
  const note = byId('stream-note')
  const link = byId<HTMLAnchorElement>('download')
  const urlName = file.sealed === true ? undefined : file.name
  link.href = streamUrl('download', file.cid, urlName, TAB_ID)
  link.removeAttribute('download')
  link.dataset.size = String(file.size)
  link.dataset.name = file.name
  link.textContent = `Download ${file.name}`
  byId('get-progress').hidden = true
  byId('get-done').hidden = false
  const src = streamUrl('stream', file.cid, urlName, TAB_ID)
  // an encrypted file says so: its key never left this tab
  const what = `${file.name}: ${formatBytes(file.size)}${file.type != null ? `, ${file.type}` : ''}${file.sealed === true ? ', encrypted' : ''}`
  const fetched = (): string => `${formatBytes(bridge.served.filter(r => r.cid === file.cid).reduce((n, r) => n + r.sent, 0))} streamed`

  if (kind === 'video' || kind === 'audio') {
    const player = document.createElement(kind)
    Object.assign(player, { controls: true, preload: 'auto', src })
    player.setAttribute('playsinline', '')
    player.setAttribute('aria-label', file.name)
    preview.replaceChildren(player)
    if (/^(video|audio)\/(mp4|quicktime)$/.test(file.type ?? '') && mp4IndexAt(file.head) === 'end') {
      show(note, 'warning', MP4_INDEX_AT_END)
      note.hidden = false
    }
    show(result, 'pending', `${what}: starting to play…`)
    const update = (): void => {
      if (signal.aborted) return
      const state = player.paused ? 'paused' : 'playing'
      show(result, 'ok', `${what}: ${state} as it streams, ${fetched()}`)
    }
    const timer = setInterval(update, 1000)
    signal.addEventListener('abort', () => { clearInterval(timer); player.removeAttribute('src'); player.load() }, { once: true })
    player.addEventListener('playing', update)
    player.addEventListener('pause', update)
    player.addEventListener('error', () => {
      if (signal.aborted) return
      clearInterval(timer)
      show(result, 'error', `${what}: this browser cannot play it (${player.error?.message || `media error ${player.error?.code ?? '?'}`}); download it instead`)
    })
    // a tab opened by a link has had no gesture: sound may be refused, muted it plays
    player.play().catch(() => {
      player.muted = true
      return player.play()
    }).catch(() => { /* the controls let a person start it */ })
    return
  }
  preview.replaceChildren(...previewOf(kind, file, src))
  const ready = `${what}: ready; Download saves it to disk as it arrives, never held whole in this tab`
  show(result, 'ok', ready)
  // a download's progress is the browser's; what the tab handed over is told here
  let last = 0
  const timer = setInterval(() => {
    const now = bridge.served.filter(r => r.cid === file.cid).reduce((n, r) => n + r.sent, 0)
    if (now !== last) show(result, 'ok', `${what}: ${fetched()} so far, never held whole in this tab`)
    last = now
  }, 1000)
  signal.addEventListener('abort', () => { clearInterval(timer) }, { once: true })
}

function previewOf (kind: MediaKind, file: StreamedFile, src: string): HTMLElement[] {
  if (kind === 'image') return [Object.assign(document.createElement('img'), { src, alt: file.name })]
  if (kind === 'pdf') {
    // opened in a tab of its own, still under the worker's CSP sandbox
    return [Object.assign(document.createElement('a'), { href: src, target: '_blank', rel: 'noopener', textContent: `Open ${file.name}` })]
  }
  if (kind === 'text') {
    const text = new TextDecoder().decode(file.head.subarray(0, TEXT_PREVIEW_BYTES), { stream: true })
    const more = file.size > TEXT_PREVIEW_BYTES ? `\n… (${formatBytes(file.size - Math.min(file.size, TEXT_PREVIEW_BYTES))} more)` : ''
    return [Object.assign(document.createElement('pre'), { textContent: text + more })]
  }
  return []
}
