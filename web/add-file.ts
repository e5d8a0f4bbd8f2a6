/**
 * "Add a file": a person picks or drops a file; the page streams it into the
 * network (`node.put`, never reading it whole: files may be gigabytes) and
 * shows its CID, where it is stored and a link to share.
 */
import { shareLink } from './share-link.js'
import { explainFailure, showFailure } from './failure.js'
import { recordHeld } from './holdings.js'
import { directoryOf } from './directory.js'
import { byId, coalesced, formatBytes, plural, show } from './view.js'
import type { ContentSource, PutOptions, PutResult, WeftNode } from '../src/index.js'

/** How a put is going: bytes read of the file, blocks stored. */
export interface PutProgress {
  read: number
  placed: number
}

/** How long a tab that shares only from itself waits to become reachable. */
export const REACHABLE_TIMEOUT_MS = 30_000

/**
 * Stores `file` in the network, streamed, reporting progress. With
 * `replicate: false` the file stays in this tab only, which serves it to
 * other peers while it is open.
 */
export async function putFile (node: WeftNode, file: ContentSource, options: Pick<PutOptions, 'replicate' | 'signal'> & { encrypt?: boolean, onProgress?: (progress: PutProgress) => void } = {}): Promise<PutResult> {
  const progress: PutProgress = { read: 0, placed: 0 }
  const { onProgress, ...rest } = options
  if (options.replicate === false) await reachable(node)
  return node.put(file, {
    ...rest,
    onProgress: event => {
      if (event.type === 'weft:put:read') progress.read = event.detail.bytes
      else if (event.type === 'weft:put:placed') progress.placed++
      onProgress?.(progress)
    }
  })
}

/**
 * Resolves once other peers can reach this node: a page has addresses only
 * once a server's relay has given it a reservation (`/p2p-circuit`,
 * `/p2p-circuit/webrtc`). A file kept only here is announced in the DHT with
 * this node's addresses, and the DHT drops an announcement without any: made
 * too early, nobody could ever find the file.
 */
export async function reachable (node: WeftNode, timeoutMs = REACHABLE_TIMEOUT_MS): Promise<void> {
  if (node.getMultiaddrs().length > 0) return
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (node.getMultiaddrs().length > 0) done()
    }
    const done = (err?: Error): void => {
      clearTimeout(timer)
      node.removeEventListener('self:peer:update', check)
      if (err == null) resolve()
      else reject(err)
    }
    const timer = setTimeout(() => {
      done(new Error(`other peers cannot reach this tab (no relay reservation after ${timeoutMs / 1000} s): untick "share only from this tab" to store the file on servers`))
    }, timeoutMs)
    node.addEventListener('self:peer:update', check)
  })
}

/** Where a put's result says the file lives: the servers that confirmed every block, and whether more copies are still being made. */
export function storedWhere (result: Pick<PutResult, 'replicas' | 'pending'>, replicate: boolean): string {
  if (!replicate) return 'only in this tab: the link works while this tab stays open'
  const following = result.pending > 0 ? ', more copies on their way' : ''
  return `on ${plural(result.replicas, 'server')}${following}`
}

/** Wires the page's "Add a file" section to the node once it is `ready`. */
export function addFileSection (ready: Promise<WeftNode>): void {
  const input = byId<HTMLInputElement>('put-file')
  const zone = byId('put-drop')

  const picked = (files: FileList | null | undefined): void => {
    const list = [...files ?? []]
    // several files (or a folder) are one directory, shared by one link
    if (list.length === 1) void share(ready, list[0])
    else if (list.length > 1) void share(ready, list)
  }
  input.addEventListener('change', () => { picked(input.files) })
  const folder = byId<HTMLInputElement>('put-folder')
  folder.addEventListener('change', () => { picked(folder.files); folder.value = '' })

  zone.addEventListener('dragover', event => {
    event.preventDefault()
    zone.classList.add('over')
  })
  zone.addEventListener('dragleave', () => { zone.classList.remove('over') })
  zone.addEventListener('drop', event => {
    event.preventDefault()
    zone.classList.remove('over')
    if (!input.disabled) picked(event.dataTransfer?.files)
  })
}

async function share (ready: Promise<WeftNode>, picked: File | File[]): Promise<void> {
  const many = Array.isArray(picked)
  const file = many ? { name: `${picked.length} files`, size: picked.reduce((n, f) => n + f.size, 0) } : picked
  const input = byId<HTMLInputElement>('put-file')
  const replicate = !byId<HTMLInputElement>('put-local').checked
  // encrypted unless the person chose public sharing: the key goes only into the link's fragment
  const encrypt = !byId<HTMLInputElement>('put-public').checked
  const bar = byId<HTMLProgressElement>('put-progress')
  const result = byId('put-result')
  byId('put-done').hidden = true
  input.disabled = true
  bar.hidden = false
  bar.max = Math.max(file.size, 1)
  bar.value = 0
  let progress: PutProgress = { read: 0, placed: 0 }
  const draw = coalesced(() => {
    bar.value = progress.read
    show(result, 'pending', `${file.name}: ${formatBytes(progress.read)} of ${formatBytes(file.size)} read, ${plural(progress.placed, 'block')} ${replicate ? 'stored' : 'kept'}`)
  })
  show(result, 'pending', replicate ? `${file.name}: waiting for the network…` : `${file.name}: waiting until other peers can reach this tab…`)
  const started = performance.now()
  try {
    const node = await ready
    // several files go as one UnixFS directory, in public: encryption takes one file at a time
    const put = await putFile(node, many ? directoryOf(picked) : picked, { replicate, encrypt: encrypt && !many, onProgress: p => { progress = p; draw() } })
    draw.cancel()
    const seconds = (performance.now() - started) / 1000
    bar.value = bar.max
    show(result, 'ok', `shared ${file.name}: ${formatBytes(put.size)} in ${plural(put.blocks, 'block')}, ${seconds.toFixed(1)} s${many && encrypt ? ' (in public: several files are shared as one plain directory; encrypted sharing takes one file at a time)' : ''}`)
    showShared(put, many ? '' : file.name, replicate, file.name)
  } catch (err: any) {
    draw.cancel()
    bar.hidden = true
    showFailure(result, explainFailure(err), () => { void share(ready, picked) })
  } finally {
    input.disabled = false
    // choosing the same file again is a new put
    input.value = ''
  }
}

function showShared (put: PutResult, name: string, replicate: boolean, label = name): void {
  const cid = put.cid.toString()
  // the capability's key, as base64url: `weft:<cid>#k=<key>`
  const key = put.capability?.split('#k=')[1]
  const link = shareLink(location.href, { cid, name, ...(key != null ? { key } : {}) })
  byId('put-cid').textContent = cid
  const where = byId('put-stored')
  where.textContent = storedWhere(put, replicate)
  where.dataset.replicas = String(put.replicas)
  const anchor = byId<HTMLAnchorElement>('share-link')
  anchor.href = link
  anchor.textContent = link
  const copy = byId<HTMLButtonElement>('copy-link')
  copy.onclick = () => {
    navigator.clipboard.writeText(link).then(
      () => { copy.textContent = 'Copied' },
      () => { copy.textContent = 'Copy failed: select the link' }
    )
  }
  copy.textContent = 'Copy'
  byId('put-done').hidden = false
  recordHeld({ cid, name: label, size: put.size, replicas: replicate ? put.replicas : 0 })
}
