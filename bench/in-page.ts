// What item 6 runs inside a weft page (web/main.ts), through its test hook
// `globalThis.weft`. Playwright sends each function's source to the page, so
// each must stand alone: no imports, no helpers from outside its own body.
import type { WeftPageHook } from '../web/main.js'

/** A connection of the page's node, as the benchmark checks it. */
export interface PageConnection {
  peer: string
  remoteAddr: string
  /** Relayed connections are limited; direct ones are not. */
  limited: boolean
}

/** What `pageRead` measured. */
export interface PageGetResult {
  /** From the call of `get` until the SHA-256 of every byte was computed. */
  ms: number
  /** From the call of `get` until the last byte arrived. */
  receivedMs: number
  firstByteMs: number
  /** A get's: from the call until its root block was in hand (the lookup of its holders and the root's round trip). */
  rootMs?: number
  /** Of `ms`, the wait for the hashes still running when the last byte arrived. */
  hashMs: number
  bytes: number
  /** Every chunk `get` yielded, in order, with its SHA-256. */
  chunks: Array<{ length: number, sha256: string }>
  /** Every connection of the page's node when the get ended. */
  connections: PageConnection[]
}

/**
 * In the page: dials `dial` (the server's address over the row's transport:
 * @libp2p/bootstrap would wait a second before dialling it), then resolves
 * once the node has a connection to `server`, a peer in its DHT routing table
 * (a get waits for one), its DHT's first self-query has run (kad-dht holds
 * every lookup until then, up to a second after start: one lookup of an
 * unrelated key waits for it) and, if `address` is given, an address of its
 * own containing it (`/p2p-circuit/webrtc`: its relay reservation is made).
 * Resolves with its PeerId and addresses.
 */
export async function pageJoined ({ server, dial, address, timeoutMs }: { server: string, dial: string, address?: string, timeoutMs: number }): Promise<{ peerId: string, addrs: string[] }> {
  const { weft } = globalThis as unknown as { weft: WeftPageHook }
  const node = await weft.ready
  await weft.connect(dial)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = node.status()
    const addrs = status.multiaddrs
    const joined = status.connectedPeers.includes(server) && status.routingTableSize > 0
    if (joined && (address == null || addrs.some(a => a.includes(address)))) {
      await node.getClosestPeers(new TextEncoder().encode('weft-bench: settle the DHT'))
      return { peerId: status.peerId, addrs }
    }
    if (Date.now() > deadline) {
      throw new Error(`the page did not join in ${timeoutMs} ms: connected to ${status.connectedPeers.join(', ') || 'nobody'}, ` +
        `routing table ${status.routingTableSize}, addresses ${addrs.join(' ') || 'none'}`)
    }
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * In the page: dials `addr` through the page's own `connect` (which retries a
 * failed WebRTC dial, @libp2p/webrtc's known race) and returns the connection.
 */
export async function pageConnect ({ addr }: { addr: string }): Promise<{ remoteAddr: string, limited: boolean, attempts: number, ms: number }> {
  const { weft } = globalThis as unknown as { weft: WeftPageHook }
  const started = performance.now()
  const c = await weft.connect(addr)
  return { remoteAddr: c.remoteAddr, limited: c.limited, attempts: c.attempts, ms: performance.now() - started }
}

/** What `pageRead` reads: a file by `get`, or the stack's reference stream. */
export type PageReadSource = { cid: string, cache?: false } | { server: string, protocol: string }

/**
 * In the page: the timed read. With `cid`, `node.get(cid)` (what the page's
 * "Get a file" runs, minus the Blob it fills for the download link) streams
 * the file (with `cache: false`, keeping none of its blocks in the page's
 * store: what the page's save to disk runs). With `server` and `protocol`, the stack's own reference: one
 * libp2p stream of `protocol` opened on the page's (direct) connection to
 * `server`, which writes the whole file into it; nothing of weft runs on the
 * way. Each chunk is handed to WebCrypto's SHA-256 as it arrives and dropped
 * (WebCrypto hashes no streams, but it copies its input at once and hashes
 * off the page's thread), and the clock stops once the last chunk's hash is
 * done. The caller checks every chunk's hash against the file's bytes at its
 * offset. One function for both, because Playwright sends each function's
 * source alone.
 */
export async function pageRead (source: PageReadSource): Promise<PageGetResult> {
  const { weft } = globalThis as unknown as { weft: WeftPageHook }
  const node = await weft.ready
  const hashes: Array<Promise<ArrayBuffer>> = []
  const lengths: number[] = []
  let bytes = 0
  let firstByteMs: number | undefined
  const started = performance.now()
  let chunks: AsyncIterable<Uint8Array>
  let rootMs: number | undefined
  if ('cid' in source) {
    // the session's first block handed over is the root
    const onProgress = (): void => { rootMs ??= performance.now() - started }
    chunks = source.cache === false ? node.open(source.cid, { cache: false }).read({ onProgress }) : node.get(source.cid, { onProgress })
  } else {
    const connection = node.getConnections().find(c => c.remotePeer.toString() === source.server && c.limits == null)
    if (connection == null) throw new Error(`no direct connection to ${source.server}`)
    const stream = await connection.newStream(source.protocol)
    chunks = (async function * () { for await (const data of stream) yield data.subarray() })()
  }
  for await (const chunk of chunks) {
    firstByteMs ??= performance.now() - started
    hashes.push(crypto.subtle.digest('SHA-256', chunk as Uint8Array<ArrayBuffer>))
    lengths.push(chunk.byteLength)
    bytes += chunk.byteLength
  }
  const received = performance.now()
  const digests = await Promise.all(hashes)
  const ended = performance.now()
  return {
    ms: ended - started,
    receivedMs: received - started,
    firstByteMs: firstByteMs ?? received - started,
    hashMs: ended - received,
    ...(rootMs != null ? { rootMs } : {}),
    bytes,
    chunks: digests.map((d, i) => ({ length: lengths[i], sha256: Array.from(new Uint8Array(d), b => b.toString(16).padStart(2, '0')).join('') })),
    connections: node.getConnections().map(c => ({ peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }))
  }
}
