/**
 * The weft page: a full browser node of the network. It joins through the
 * server that served it, shares files (`add-file.ts`) and gets them
 * (`get-file.ts`, also started by opening a share link `#/<cid>/<name>`),
 * and shows its PeerId, its connections and the addresses other peers can
 * reach it on. See `options.ts` for the query string (`?transport=`, `?db=`).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { createNode, transportOf, type StorageStats, type TransportName, type WeftNode } from '../src/index.js'
import { addFileSection, putFile } from './add-file.js'
import { connectWithRetry } from './connect.js'
import { getFileSection, readFile, sha256Hex } from './get-file.js'
import { bootstrapOver, pageOptions } from './options.js'
import { claimDatabase } from './profile-lock.js'
import { holdingsSection } from './holdings.js'
import { progressInTitle } from './progress-title.js'
import { TransportMissingError, browserDialable, explainFailure, showFailure } from './failure.js'
import { StreamBridge, type ServedRange } from './stream-bridge.js'
import { byId, coalesced, fillList, render, shortId, show } from './view.js'
import type { BootstrapInfo } from '../src/http/server.js'

/** A connection as the page reports it. */
export interface ConnectionSummary {
  peer: string
  transport: TransportName
  remoteAddr: string
  /** Relayed connections are limited in time and bytes; direct ones are not. */
  limited: boolean
  /** How many dials it took. */
  attempts: number
}

/**
 * `globalThis.weft`: the page's node, for tests and the devtools console.
 * `connect` and `findPeer` are what the page's two forms do; `put` and `get`
 * what its file sections do, with results small enough to pass back out of
 * the page (a hash, not the bytes).
 */
export interface WeftPageHook {
  /** Resolves with the running node; rejects with the error the page shows. */
  ready: Promise<WeftNode>
  /** The running node, once `ready` resolved. */
  node?: WeftNode
  /** The IndexedDB database this tab's node runs on (`weft`, or `weft-2` beside another tab), once claimed. */
  db?: string
  /** Dials a multiaddr, retrying a failed dial a few times. */
  connect: (addr: string) => Promise<ConnectionSummary>
  /** Asks the DHT for a peer's addresses. */
  findPeer: (peerId: string) => Promise<FoundPeer>
  /** Stores bytes (an array of byte values, or a string as UTF-8) in the network. */
  put: (bytes: number[] | string, options?: { replicate?: boolean }) => Promise<PutSummary>
  /** Reads a whole file and hashes it in the page. */
  get: (cid: string) => Promise<GotFile>
  /** The page's block store: bytes used of its quota, blocks, pins. */
  stats: () => Promise<StorageStats>
  /** Resolves true once the service worker controls the page (false: files are read whole). */
  streaming: Promise<boolean>
  /** The ranges the service worker had this tab's node read, in order. */
  served: () => ServedRange[]
  /** Blocks this tab's node fetched from peers for the worker's reads of a file. */
  streamedBlocks: (cid: string) => number
}

/** What a put through the hook reports. */
export interface PutSummary {
  cid: string
  size: number
  /** Replicas of the least-replicated block; 0 with `replicate: false`. */
  replicas: number
}

/** What a get through the hook read. */
export interface GotFile {
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string
  size: number
}

/** What a DHT lookup of a peer found. */
export interface FoundPeer {
  multiaddrs: string[]
  /** How many DHT peers answered before one knew the peer. */
  asked: number
}

/** How long a DHT lookup may take. */
const FIND_TIMEOUT_MS = 30_000

async function start (): Promise<WeftNode> {
  const options = pageOptions(location.search)
  if (!isSecureContext) {
    // WebCrypto (keys, noise, hashes) exists only in secure contexts
    throw new Error(`this page must be opened over https or from localhost, not ${location.origin}: browsers withhold WebCrypto from plain http`)
  }
  show(byId('status'), 'starting', 'asking the server for bootstrap addresses…')
  const response = await fetch('/weft/bootstrap.json')
  if (!response.ok) throw new Error(`GET /weft/bootstrap.json answered ${response.status} ${response.statusText}`)
  const info = await response.json() as BootstrapInfo
  const bootstrap = bootstrapOver(info.bootstrap, options.transport)
  if (!bootstrap.some(browserDialable)) {
    throw new TransportMissingError(bootstrap.length === 0 ? 'the server offers browsers no address to join through' : `the server offers only ${bootstrap.join(', ')}, none of which a browser can dial`, bootstrap)
  }
  // never two nodes with one PeerId: a second tab of this profile gets an identity of its own
  const slotKey = `weft-slot:${options.db}`
  const previous = Number(sessionStorage.getItem(slotKey) ?? NaN)
  const { db, slot } = await claimDatabase(options.db, navigator.locks, Number.isInteger(previous) ? previous : undefined)
  sessionStorage.setItem(slotKey, String(slot))
  hook.db = db
  show(byId('status'), 'starting', 'starting the node…')
  const node = await createNode({ role: 'browser', dataDir: db, bootstrap, allowPrivateAddresses: info.allowPrivateAddresses })
  byId('peer-id').textContent = node.peerId.toString()
  byId('db').textContent = slot === 1 ? db : `${db} (another tab of this browser runs weft as ${options.db}: this tab is a peer of its own)`
  // a closing connection is still listed while its own event runs: redraw after it
  const redraw = coalesced(() => { render(node) })
  node.addEventListener('connection:open', redraw)
  node.addEventListener('connection:close', redraw)
  node.addEventListener('self:peer:update', redraw)
  render(node)
  watchPeers(node)
  return node
}

/** How long a tab may have no connection before the page says no peer is reachable. */
const NO_PEERS_MS = 10_000

/** Says so on the status line when the node has had no connection for NO_PEERS_MS (render clears it on the next connection). */
function watchPeers (node: WeftNode): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const check = (): void => {
    clearTimeout(timer)
    if (node.getConnections().length > 0) return
    timer = setTimeout(() => {
      if (node.getConnections().length > 0) return
      showFailure(byId('status'), explainFailure(new Error(`no connection for ${NO_PEERS_MS / 1000} s; the server at ${location.host} may be down`), { connections: 0 }), () => { location.reload() })
    }, NO_PEERS_MS)
  }
  // a closing connection is still listed while its own event runs
  node.addEventListener('connection:close', () => { setTimeout(check, 0) })
  check()
}

async function connect (addr: string): Promise<ConnectionSummary> {
  const { connection, attempts } = await connectWithRetry(await hook.ready, addr)
  return {
    attempts,
    peer: connection.remotePeer.toString(),
    transport: transportOf(connection),
    remoteAddr: connection.remoteAddr.toString(),
    limited: connection.limits != null
  }
}

async function findPeer (peerId: string): Promise<FoundPeer> {
  const node = await hook.ready
  const id = peerIdFromString(peerId.trim())
  // useCache: false asks the network even when the peer store already knows
  // some addresses, which may be stale
  const options = { useCache: false, signal: AbortSignal.timeout(FIND_TIMEOUT_MS) }
  let asked = 0
  for await (const event of node.libp2p.services.dht.findPeer(id, options)) {
    if (event.name === 'PEER_RESPONSE') asked++
    if (event.name === 'FINAL_PEER') return { multiaddrs: event.peer.multiaddrs.map(ma => ma.toString()), asked }
  }
  throw new Error(`${id.toString()} was not found in the DHT (${asked} peers answered)`)
}

/** Runs a form's action, showing progress, the result or the error next to it. */
function onSubmit (formId: string, action: (value: string) => Promise<string>): void {
  const form = byId<HTMLFormElement>(formId)
  const result = byId(`${formId}-result`)
  form.addEventListener('submit', event => {
    event.preventDefault()
    const value = new FormData(form).get('value')?.toString() ?? ''
    show(result, 'pending', 'working…')
    action(value).then(
      text => { show(result, 'ok', text) },
      (err: Error) => { show(result, 'error', `error: ${err.message}`) }
    )
  })
}

async function put (bytes: number[] | string, options: { replicate?: boolean } = {}): Promise<PutSummary> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes)
  const result = await putFile(await hook.ready, data, options)
  return { cid: result.cid.toString(), size: result.size, replicas: result.replicas }
}

async function get (cid: string): Promise<GotFile> {
  const { blob, size } = await readFile(await hook.ready, cid)
  return { sha256: await sha256Hex(blob), size }
}

async function stats (): Promise<StorageStats> {
  return (await hook.ready).status().storage
}

const ready = start()
const bridge = new StreamBridge(ready)
/** The worker, once it controls the page; undefined without one. */
const streaming = (workerWanted() ? bridge.start() : Promise.resolve(false)).then(ok => ok ? bridge : undefined)

function workerWanted (): boolean {
  try {
    return pageOptions(location.search).serviceWorker
  } catch {
    // the page's start shows what is wrong with its options
    return false
  }
}

const hook: WeftPageHook = {
  ready, connect, findPeer, put, get, stats,
  streaming: streaming.then(b => b != null),
  served: () => bridge.served.map(r => ({ ...r })),
  streamedBlocks: cid => bridge.fetched.get(cid) ?? 0
}
;(globalThis as { weft?: WeftPageHook }).weft = hook

hook.ready.then(
  node => { hook.node = node },
  (err: Error) => { showFailure(byId('status'), explainFailure(err), () => { location.reload() }) }
)

addFileSection(hook.ready)
progressInTitle([byId<HTMLProgressElement>('put-progress'), byId<HTMLProgressElement>('get-progress')])
holdingsSection(hook.ready.then(node => ({ node, db: hook.db ?? 'weft' })))
getFileSection(hook.ready, streaming)

onSubmit('connect', async addr => {
  const c = await connect(addr)
  const retried = c.attempts > 1 ? `, at attempt ${c.attempts}` : ''
  return `connected to ${shortId(c.peer)} over ${c.transport}${c.limited ? ' (limited)' : ''}${retried}`
})

onSubmit('find', async peerId => {
  const { multiaddrs: addrs, asked } = await findPeer(peerId)
  fillList(byId('found'), addrs.map(a => {
    const li = document.createElement('li')
    li.append(Object.assign(document.createElement('code'), { textContent: a }))
    return li
  }), 'no addresses')
  return `found ${shortId(peerId.trim())} with ${addrs.length} address${addrs.length === 1 ? '' : 'es'}, asking ${asked} peer${asked === 1 ? '' : 's'}`
})

// errors nobody awaited still belong on the page, not only in the console
window.addEventListener('unhandledrejection', event => {
  const li = document.createElement('li')
  li.textContent = String(event.reason?.message ?? event.reason)
  byId('problems').append(li)
  byId('problems-section').hidden = false
})
