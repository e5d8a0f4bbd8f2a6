/**
 * Saving a file to disk without ever holding it in the tab. Where the
 * browser has the File System Access API (Chromium: `showSaveFilePicker`),
 * the person picks where to save it and the page writes each leaf to that
 * file as it arrives, hash-checked by the node's fetch session before it is
 * written, and checks the file's size against the UnixFS root at the end.
 * Elsewhere (Firefox, Safari) the download link is the service worker's
 * `/weft-download/` response, which the browser streams to its downloads
 * folder; without a worker, Blob parts, which browsers move to disk when
 * large. `saveMethod` picks by feature detection, never by the user agent.
 */
import { explainFailure, showFailure } from './failure.js'
import { byId, formatBytes, show } from './view.js'
import type { Content } from '../src/index.js'

/** How this browser saves a file: see the module's comment. */
export type SaveMethod = 'file-system-access' | 'service-worker' | 'blob'

/** The part of the File System Access API the page uses (not in TypeScript's DOM lib yet). */
export interface SaveFilePicker {
  (options: { suggestedName: string }): Promise<{
    createWritable: () => Promise<{
      write: (data: Uint8Array<ArrayBuffer>) => Promise<void>
      close: () => Promise<void>
      abort: () => Promise<void>
    }>
    getFile: () => Promise<{ size: number }>
  }>
}

/** The picker, where the browser has one: a top-level window of a secure context in Chromium. */
export function savePicker (scope: object = globalThis): SaveFilePicker | undefined {
  const picker = (scope as { showSaveFilePicker?: unknown }).showSaveFilePicker
  return typeof picker === 'function' ? picker.bind(scope) as SaveFilePicker : undefined
}

/** Which way a download goes in a browser with (or without) the picker and a worker controlling the page. */
export function saveMethod (hasPicker: boolean, workerActive: boolean): SaveMethod {
  if (hasPicker) return 'file-system-access'
  return workerActive ? 'service-worker' : 'blob'
}

/** The saved file came out another size than the file's root says. */
export class SavedSizeError extends Error {
  override readonly name = 'SavedSizeError'
  constructor (readonly expected: number, readonly written: number, readonly saved: number) {
    super(`the saved file has ${saved} bytes (${written} written), not the ${expected} of the file`)
  }
}

/** What a save wrote. */
export interface SavedFile {
  bytes: number
  ms: number
}

/**
 * Writes `content`'s bytes into a file the person picks, a leaf at a time
 * (each awaited, so the page never runs ahead of the disk), and checks the
 * file's size at the end. A failed or aborted save removes what it wrote
 * (the browser's `.crswap` file); a cancelled picker rejects with the
 * browser's `AbortError`.
 */
export async function saveToFile (picker: SaveFilePicker, content: Content, name: string, size: number,
  options: { signal?: AbortSignal, onProgress?: (bytes: number) => void } = {}): Promise<SavedFile> {
  // first: the picker needs the click's user activation, which awaiting anything else could outlast
  const handle = await picker({ suggestedName: name })
  const started = performance.now()
  const writable = await handle.createWritable()
  let written = 0
  try {
    for await (const chunk of content.read(options.signal != null ? { signal: options.signal } : {})) {
      await writable.write(chunk as Uint8Array<ArrayBuffer>)
      written += chunk.byteLength
      options.onProgress?.(written)
    }
    await writable.close()
  } catch (err) {
    await writable.abort().catch(() => {})
    throw err
  }
  const saved = (await handle.getFile()).size
  if (written !== size || saved !== size) throw new SavedSizeError(size, written, saved)
  return { bytes: written, ms: performance.now() - started }
}

/** The file the Download link saves now. */
export interface SaveTarget {
  /** A fresh read of the file (not cached in the tab's IndexedDB). */
  open: () => Content
  name: string
  size: number
}

let target: SaveTarget | undefined
let saving: AbortController | undefined
let wired = false

/**
 * Makes the "Get a file" section's Download link save `file` through the
 * picker where the browser has one (the link's own href, the worker's
 * download or a Blob, is the way elsewhere); `undefined` forgets the last
 * file. The link says which way it saves in `data-save`.
 */
export function offerSave (file: SaveTarget | undefined, workerActive: boolean): void {
  const link = byId<HTMLAnchorElement>('download')
  // a save under way goes on when another file is shown: its own line names its file
  if (saving == null) byId('save-result').hidden = true
  target = file
  link.dataset.save = saveMethod(savePicker() != null, workerActive)
  if (wired) return
  wired = true
  link.addEventListener('click', event => {
    const picker = savePicker()
    const file = target
    if (picker == null || file == null) return
    event.preventDefault()
    void save(picker, file)
  })
}

/** Runs one save at a time: a second click (of this file or another) replaces the one under way. */
async function save (picker: SaveFilePicker, file: SaveTarget): Promise<void> {
  const result = byId('save-result')
  saving?.abort()
  const controller = new AbortController()
  saving = controller
  const bar = byId<HTMLProgressElement>('get-progress')
  let written = 0
  try {
    const saved = saveToFile(picker, file.open(), file.name, file.size, {
      signal: controller.signal,
      onProgress: bytes => {
        written = bytes
        if (controller.signal.aborted) return
        // the bar is the shown file's: another file's read may have it now
        if (target === file) {
          bar.hidden = false
          bar.max = Math.max(file.size, 1)
          bar.value = bytes
        }
        show(result, 'pending', `saving ${file.name}: ${formatBytes(bytes)} of ${formatBytes(file.size)} written to disk`)
      }
    })
    result.hidden = false
    show(result, 'pending', `saving ${file.name}: choose where…`)
    const { bytes, ms } = await saved
    if (target === file) bar.hidden = true
    show(result, 'ok', `saved ${file.name} to disk: ${formatBytes(bytes)} in ${(ms / 1000).toFixed(1)} s, every block checked, never held whole in this tab`)
  } catch (err: any) {
    if (target === file) bar.hidden = true
    if (controller.signal.aborted) return
    // the person closed the picker: nothing to say
    if (err?.name === 'AbortError') { result.hidden = true; return }
    showFailure(result, explainFailure(err, { bytes: written, size: file.size }), () => { void save(picker, file) })
  } finally {
    if (saving === controller) saving = undefined
  }
}

/**
 * Offers a file that would otherwise be read whole into the tab (no worker,
 * or an encrypted file, whose stream URLs would carry its key) for saving
 * through the picker only: nothing is read until the person clicks.
 */
export function offerSaveOnly (file: SaveTarget, href: string): void {
  const link = byId<HTMLAnchorElement>('download')
  link.href = href
  link.removeAttribute('download')
  link.dataset.size = String(file.size)
  link.dataset.name = file.name
  link.textContent = `Save ${file.name} to disk`
  offerSave(file, false)
  byId('get-progress').hidden = true
  byId('get-done').hidden = false
  show(byId('get-result'), 'ok', `${file.name}: ${formatBytes(file.size)}; Save writes it to a file you choose as it arrives, never held whole in this tab`)
}
