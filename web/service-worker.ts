/**
 * The page's service worker (bundled to /sw.js by web/build.mjs). It
 * answers `/weft-stream/` and `/weft-download/` requests (see
 * stream-protocol.ts) from the bytes the page's node reads, so that a
 * `<video>` plays a file as it arrives and seeks anywhere in it (HTTP Range,
 * 206 at once, Content-Length from the UnixFS root), and a download streams
 * to disk instead of piling up in the tab's memory. Every other request goes
 * to the network untouched. An encrypted file's URL names an opaque stream
 * id: the worker never sees its key (nor its CID or name), and gets
 * plaintext from the tab, which decrypts only the leaves a range covers.
 *
 * What it serves comes from strangers and shares the page's origin: every
 * response carries `Content-Security-Policy: sandbox` and `nosniff`, and a
 * type that could run script is served as an attachment, never shown.
 */
import { contentRange, parseRange, type ByteRange } from './byte-range.js'
import { contentDisposition, isInline, servedType, sniffType, typeOfName } from './media-type.js'
import { parseStreamUrl, type Hello, type PageMessage, type StreamTarget, type WorkerMessage } from './stream-protocol.js'

// The DOM lib is this project's; the worker's own types, as far as it uses them.
interface WindowClientLike { id: string, postMessage: (message: unknown, transfer: Transferable[]) => void }
interface Clients {
  get: (id: string) => Promise<WindowClientLike | undefined>
  matchAll: (options: { type: 'window', includeUncontrolled?: boolean }) => Promise<WindowClientLike[]>
  claim: () => Promise<void>
}
interface ExtendableEvent extends Event { waitUntil: (promise: Promise<unknown>) => void }
interface FetchEvent extends ExtendableEvent {
  request: Request
  clientId: string
  resultingClientId: string
  respondWith: (response: Promise<Response>) => void
}
interface WorkerScope {
  clients: Clients
  skipWaiting: () => Promise<void>
  addEventListener: ((type: 'fetch', listener: (event: FetchEvent) => void) => void) &
  ((type: 'install' | 'activate' | 'message', listener: (event: ExtendableEvent & { data?: unknown }) => void) => void)
}
const scope = self as unknown as WorkerScope

/** How long a page may take to say it can serve a request. */
const HELLO_TIMEOUT_MS = 3_000
/** Bytes of the file's start the page sends with its size, to sniff a type from when the name gives none. */
const SNIFF_BYTES = 64

scope.addEventListener('install', event => { event.waitUntil(scope.skipWaiting()) })
// take over the page that registered it at once: its first video need not wait for a reload
scope.addEventListener('activate', event => { event.waitUntil(scope.clients.claim()) })
// a page loaded with a forced reload is not controlled; it asks to be. (A
// page reading a range also posts 'keepalive' now and then: the event itself
// is what keeps this worker running while its response streams.)
scope.addEventListener('message', event => {
  if (event.data === 'claim') event.waitUntil(scope.clients.claim())
})

scope.addEventListener('fetch', event => {
  const url = new URL(event.request.url)
  if (url.origin !== location.origin) return
  const target = parseStreamUrl(url)
  if (target == null) return
  event.respondWith(answer(event, target).catch(err => plain(500, `the page's service worker failed: ${String(err?.message ?? err)}`)))
})

/** A short text answer, itself sandboxed. */
function plain (status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text + '\n', { status, headers: { ...SAFE, 'content-type': 'text/plain; charset=utf-8', ...headers } })
}

/** On every response: nothing here may run script or be sniffed into something that does. */
const SAFE = {
  'content-security-policy': 'sandbox',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin'
}

async function answer (event: FetchEvent, target: StreamTarget): Promise<Response> {
  const port = await pageFor(event, target)
  if (port == null) return plain(503, 'no weft page is open to serve this file: open the share link in the weft page')
  const link = new PortLink(port)
  let stat: Extract<PageMessage, { type: 'stat' }>
  try {
    stat = await link.request({ type: 'stat', head: SNIFF_BYTES }, 'stat')
  } catch (err: any) {
    link.close()
    return plain(err?.name === 'BlockNotFoundError' ? 404 : 502, String(err?.message ?? err))
  }
  const size = stat.size
  // an encrypted file's name comes from its tab, never in the URL; the same rules follow for either
  const name = stat.name ?? target.name
  const type = typeOfName(name) ?? sniffType(stat.head)
  const inline = target.mode === 'stream' && type != null && isInline(type)
  const headers: Record<string, string> = {
    ...SAFE,
    'content-type': servedType(type),
    'accept-ranges': 'bytes',
    'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', name)
  }
  const range = parseRange(event.request.headers.get('range'), size)
  if (range === 'unsatisfiable') {
    link.close()
    return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } })
  }
  const slice: ByteRange = range ?? { start: 0, end: size }
  headers['content-length'] = String(slice.end - slice.start)
  if (range != null) headers['content-range'] = contentRange(range, size)
  const status = range != null ? 206 : 200
  if (event.request.method === 'HEAD' || slice.end === slice.start) {
    link.close()
    return new Response(null, { status, headers })
  }
  return new Response(link.body(slice), { status, headers })
}

/**
 * A port to a page whose node will serve the request: the tab the URL
 * names, else the page that asked (a `<video>`'s request), else any weft
 * page of this origin (a download opened in a new tab has no client yet).
 */
async function pageFor (event: FetchEvent, target: StreamTarget): Promise<MessagePort | undefined> {
  const candidates: WindowClientLike[] = []
  const own = event.clientId !== '' ? await scope.clients.get(event.clientId) : undefined
  if (own != null) candidates.push(own)
  for (const client of await scope.clients.matchAll({ type: 'window' })) {
    if (!candidates.some(c => c.id === client.id) && client.id !== event.resultingClientId) candidates.push(client)
  }
  for (const client of candidates) {
    const port = await hello(client, target)
    if (port != null) return port
  }
  return undefined
}

async function hello (client: WindowClientLike, target: StreamTarget): Promise<MessagePort | undefined> {
  const channel = new MessageChannel()
  const message: Hello = { weft: 'hello', cid: target.cid, ...(target.tab != null ? { tab: target.tab } : {}) }
  return new Promise(resolve => {
    const timer = setTimeout(() => { channel.port1.close(); resolve(undefined) }, HELLO_TIMEOUT_MS)
    channel.port1.onmessage = event => {
      clearTimeout(timer)
      const answer = event.data as PageMessage
      if (answer.type === 'here') {
        channel.port1.onmessage = null
        resolve(channel.port1)
      } else {
        channel.port1.close()
        resolve(undefined)
      }
    }
    client.postMessage(message, [channel.port2])
  })
}

/** The worker's end of one request's port. */
class PortLink {
  private waiting: { resolve: (m: PageMessage) => void, reject: (err: Error) => void } | undefined
  private closed = false

  constructor (private readonly port: MessagePort) {
    port.onmessage = event => {
      const waiting = this.waiting
      this.waiting = undefined
      const message = event.data as PageMessage
      if (waiting == null) return
      if (message.type === 'error') waiting.reject(Object.assign(new Error(message.message), { name: message.name }))
      else waiting.resolve(message)
    }
  }

  async request<T extends PageMessage['type']> (message: WorkerMessage, expect: T): Promise<Extract<PageMessage, { type: T }>> {
    const answer = await new Promise<PageMessage>((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.port.postMessage(message)
    })
    if (answer.type !== expect && !(expect === 'chunk' && answer.type === 'done')) throw new Error(`the page answered ${answer.type} to ${message.type}`)
    return answer as Extract<PageMessage, { type: T }>
  }

  /** The bytes of `slice`, pulled from the page a chunk at a time, as the player reads them. */
  body (slice: ByteRange): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: () => { this.port.postMessage({ type: 'read', offset: slice.start, length: slice.end - slice.start } satisfies WorkerMessage) },
      pull: async controller => {
        const message = await this.request({ type: 'pull' }, 'chunk') as PageMessage
        if (message.type === 'chunk') {
          controller.enqueue(message.bytes)
        } else {
          controller.close()
          this.close()
        }
      },
      // the player abandoned the range (a seek, a closed tab): the page stops fetching it
      cancel: () => {
        if (!this.closed) this.port.postMessage({ type: 'cancel' } satisfies WorkerMessage)
        this.close()
      }
    }, { highWaterMark: 1 })
  }

  close (): void {
    this.closed = true
    this.port.close()
  }
}
