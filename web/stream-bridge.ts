/**
 * The page's side of the service worker (see stream-protocol.ts): it
 * registers the worker, and answers the worker's requests with reads from
 * this tab's node, a range at a time. Each read fetches only the blocks of
 * its range (every leaf hash-checked by the fetch session), a window of them
 * ahead of the player (the node's read-ahead), and stops when the player
 * stops: on `cancel`, or when nothing was pulled for IDLE_READ_MS (then it
 * starts again from where it was if the player reads on).
 */
import { IDLE_READ_MS, WORKER_URL, isSealedStreamId, sealedStreamId, type Hello, type PageMessage, type WorkerMessage } from './stream-protocol.js'
import type { Content, WeftNode } from '../src/index.js'

/** One range the worker had read, for the page and its tests: where it started, and bytes handed over so far. */
export interface ServedRange {
  /** The file's CID, or an encrypted file's stream id. */
  cid: string
  offset: number
  length: number
  sent: number
  /** The read was cancelled by the player (a seek) or went idle. */
  stopped: boolean
}

/** How long the page waits for its worker to take control of it. */
const CONTROL_TIMEOUT_MS = 3_000

/** Files opened recently: one fetch session each, so their root is fetched once for all their ranges. */
const OPEN_FILES = 8

/**
 * How often the page pokes its worker while a range is being read. A message
 * to the worker (not one on a MessageChannel) extends its life, which the
 * browser otherwise ends some time after its last event even while a
 * response it made is still streaming (a 4 GiB download takes minutes).
 */
const KEEPALIVE_MS = 10_000

/** A tab's name in stream URLs, so that the worker asks this tab's node and not another's. */
export const TAB_ID = crypto.randomUUID()

export class StreamBridge {
  /** Every range read through the worker, in order (the last 1000). */
  readonly served: ServedRange[] = []
  /** Blocks fetched from peers for the worker's reads, by CID of the file. */
  readonly fetched = new Map<string, number>()
  private readonly open = new Map<string, Content>()
  /** Encrypted files offered through the worker: stream id -> capability and the name to serve it under (in this tab's memory only). */
  private readonly sealed = new Map<string, { capability: string, name: string | undefined }>()
  private listening = false
  private readonly reading = new Set<RangeRead>()
  private keepalive: ReturnType<typeof setInterval> | undefined

  constructor (private readonly ready: Promise<WeftNode>) {}

  /**
   * Registers the service worker and resolves true once it controls this
   * page; false where there is none (no support, a private window that
   * refuses it, a registration that failed): the page then reads files
   * whole instead. Called again, it registers the worker again (one that
   * was unregistered since).
   */
  async start (): Promise<boolean> {
    const container = navigator.serviceWorker as ServiceWorkerContainer | undefined
    if (container == null) return false
    if (!this.listening) {
      this.listening = true
      container.addEventListener('message', event => { this.onHello(event) })
      // messages wait in a queue until this is called (or onmessage is set)
      container.startMessages()
    }
    try {
      await container.register(WORKER_URL, { scope: '/' })
      const registration = await container.ready
      if (container.controller == null) {
        // a first visit (the worker claims the page when it activates) or a
        // forced reload (which the worker claims when asked)
        registration.active?.postMessage('claim')
        await controlled(container)
      }
      return container.controller != null
    } catch {
      return false
    }
  }

  /** Whether a worker controls this page now: it may have been unregistered since. */
  get active (): boolean {
    return navigator.serviceWorker?.controller != null
  }

  /**
   * Offers an encrypted file through the worker under a fresh opaque stream
   * id (what its URLs carry in place of the CID and name): the worker asks
   * this tab for the plaintext of each range, and never sees the key. The
   * content (decrypting, its header read once for all ranges) is the one
   * the worker's reads use. Undone by `forget`.
   */
  seal (node: WeftNode, capability: string, name?: string): { id: string, content: Content } {
    const id = sealedStreamId()
    this.sealed.set(id, { capability, name })
    try {
      return { id, content: this.content(node, id) }
    } catch (err) {
      // a capability without a key, or a malformed one: the caller shows why
      this.sealed.delete(id)
      throw err
    }
  }

  /** Drops an encrypted file's stream id: its URLs serve nothing from now on (reads under way finish). */
  forget (id: string): void {
    this.sealed.delete(id)
    this.open.delete(id)
  }

  private content (node: WeftNode, cid: string): Content {
    let content = this.open.get(cid)
    if (content == null) {
      // not kept in IndexedDB: Chromium holds what a page writes there in
      // its memory for a while, and these bytes go to a player or to disk
      content = node.open(this.sealed.get(cid)?.capability ?? cid, { cache: false })
      this.open.set(cid, content)
      if (this.open.size > OPEN_FILES) this.open.delete(this.open.keys().next().value as string)
    }
    return content
  }

  /** Keeps the worker alive while any range is being read. */
  private live (read: RangeRead, live: boolean): void {
    if (live) this.reading.add(read)
    else this.reading.delete(read)
    if (this.reading.size > 0 && this.keepalive == null) {
      this.keepalive = setInterval(() => { navigator.serviceWorker?.controller?.postMessage('keepalive') }, KEEPALIVE_MS)
    } else if (this.reading.size === 0 && this.keepalive != null) {
      clearInterval(this.keepalive)
      this.keepalive = undefined
    }
  }

  private onHello (event: MessageEvent): void {
    const hello = event.data as Hello | undefined
    const port = event.ports[0]
    if (hello?.weft !== 'hello' || port == null) return
    // an encrypted file's id means something only to the tab that made it
    if ((hello.tab != null && hello.tab !== TAB_ID) || (isSealedStreamId(hello.cid) && !this.sealed.has(hello.cid))) {
      port.postMessage({ type: 'not-here' } satisfies PageMessage)
      port.close()
      return
    }
    port.postMessage({ type: 'here' } satisfies PageMessage)
    this.serve(hello.cid, port)
  }

  /** Answers one request's port: its stat, then its range, a chunk per pull. */
  private serve (cid: string, port: MessagePort): void {
    const post = (message: PageMessage, transfer: Transferable[] = []): void => { port.postMessage(message, transfer) }
    const fail = (err: any): void => { post({ type: 'error', name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) }) }
    let reading: RangeRead | undefined
    port.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data
      if (message.type === 'stat') {
        this.ready.then(async node => {
          const content = this.content(node, cid)
          const stat = await content.stat()
          const size = stat.size
          const head = message.head > 0 && size > 0 ? await firstBytes(content, Math.min(message.head, size)) : new Uint8Array()
          // an encrypted file's name: the link's, else its header's
          const sealed = this.sealed.get(cid)
          const name = sealed != null ? sealed.name ?? stat.name : undefined
          post({ type: 'stat', size, head, ...(name != null ? { name } : {}) })
        }).catch(fail)
      } else if (message.type === 'read') {
        reading?.stop()
        const range: ServedRange = { cid, offset: message.offset, length: message.length, sent: 0, stopped: false }
        this.served.push(range)
        if (this.served.length > 1000) this.served.shift()
        // the session counts the blocks it fetched for all of the file's reads
        const counted = (event: { detail: { fetched: number } }): void => {
          this.fetched.set(cid, Math.max(this.fetched.get(cid) ?? 0, event.detail.fetched))
        }
        reading = new RangeRead(this.ready.then(node => this.content(node, cid)), range, counted, live => { this.live(read, live) })
        const read = reading
      } else if (message.type === 'pull') {
        if (reading == null) { fail(new Error('pull before read')); return }
        reading.next().then(bytes => {
          if (bytes == null) post({ type: 'done' })
          else post({ type: 'chunk', bytes }, [bytes.buffer])
        }, fail)
      } else if (message.type === 'cancel') {
        reading?.stop()
        port.close()
      }
    }
  }
}

/** One range, read from the node as the worker pulls; dropped when idle and picked up again. */
class RangeRead {
  private chunks: AsyncGenerator<Uint8Array> | undefined
  private abort: AbortController | undefined
  private idle: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly content: Promise<Content>, private readonly range: ServedRange,
    private readonly onProgress: (event: { detail: { fetched: number } }) => void,
    private readonly onLive: (live: boolean) => void) {}

  /** The next chunk (a copy the caller may transfer), or undefined at the end of the range. */
  async next (): Promise<Uint8Array | undefined> {
    clearTimeout(this.idle)
    const range = this.range
    if (range.sent >= range.length) return undefined
    if (this.chunks == null) {
      // the first pull, or the first after going idle: from where it stands
      range.stopped = false
      this.onLive(true)
      this.abort = new AbortController()
      this.chunks = (await this.content).read({ offset: range.offset + range.sent, length: range.length - range.sent, signal: this.abort.signal, onProgress: this.onProgress })
    }
    const { done, value } = await this.chunks.next()
    if (done === true) { this.release(); return undefined }
    range.sent += value.byteLength
    if (range.sent >= range.length) this.release()
    else this.idle = setTimeout(() => { this.release() }, IDLE_READ_MS)
    // the block's own buffer may be shared: a copy of just these bytes is transferred
    return value.slice()
  }

  /** The player is done with the range. */
  stop (): void {
    clearTimeout(this.idle)
    this.release()
  }

  private release (): void {
    this.onLive(false)
    this.range.stopped = this.range.sent < this.range.length
    this.abort?.abort()
    void this.chunks?.return(undefined).catch(() => {})
    this.chunks = undefined
    this.abort = undefined
  }
}

async function firstBytes (content: Content, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of content.read({ offset: 0, length })) parts.push(chunk)
  const head = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { head.set(part, at); at += part.byteLength }
  return head
}

async function controlled (container: ServiceWorkerContainer): Promise<void> {
  if (container.controller != null) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, CONTROL_TIMEOUT_MS)
    container.addEventListener('controllerchange', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
