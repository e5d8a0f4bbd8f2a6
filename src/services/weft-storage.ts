import { serviceCapabilities, serviceDependencies, type AbortOptions, type ComponentLogger, type Connection, type Libp2pEvents, type PeerStore, type TypedEventTarget, type ContentRouting, type Logger, type PeerId, type PeerRouting, type Startable, type Stream } from '@libp2p/interface'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { CustomProgressEvent, type ProgressOptions } from 'progress-events'
import { importContent } from '../content/import.js'
import { readContent, statContent, type BlockSource, type ContentStat } from '../content/read.js'
import { QuorumNotReachedError } from '../errors.js'
import { BlockStore } from '../store/block-store.js'
import { FetchSession } from '../fetch/fetch-session.js'
import { Placer, type BlockPlacement } from '../placement/placer.js'
import { ReplicaFinder } from '../placement/replica-finder.js'
import { blockRequestHandler, BLOCK_PROTOCOL } from './block-protocol.js'
import { BLOCK_MAX_INBOUND_STREAMS, BLOCK_MAX_OUTBOUND_STREAMS, STORE_MAX_INBOUND_STREAMS, STORE_MAX_OUTBOUND_STREAMS, STORE_WINDOW } from './limits.js'
import { storeRequestHandler, STORE_PROTOCOL } from './store-protocol.js'
import { parseCidString } from './verify.js'
import type { ContentSource } from '../content/source.js'
import type { LocalBlocks, StorageStats } from '../store/local-blocks.js'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { CID } from 'multiformats/cid'

/** How long a provider announcement waits for this node to have an address. */
export const ANNOUNCE_WAIT_MS = 30_000
/** Dials of a page's `/webrtc` address before a fetch settles for its relayed connection. */
export const WEBRTC_DIAL_ATTEMPTS = 3

/** Quota of the in-memory block store used when none is given. */
export const DEFAULT_MEMORY_BYTES = 1_073_741_824

/** Blocks a put hashes and places at once; bounds its memory to this many chunks. */
export const PUT_WINDOW = 16
/** Blocks a get fetches ahead of its reader. */
export const GET_WINDOW = 16

export interface WeftStorageInit {
  /**
   * The local block store. Default: one in memory, holding up to `maxBytes`
   * (for a durable one pass `await BlockStore.open({ bytes, datastore, maxBytes })`).
   */
  blocks?: LocalBlocks
  /** Quota of the default in-memory store (default 1 GiB). */
  maxBytes?: number
  /** Leaf size for new files (default 1 MiB). */
  chunkSize?: number
  /** Replicas per block (default 5). */
  replication?: number
  /** Acknowledgements each block needs for `put` to succeed (default 3). */
  writeQuorum?: number
  /** How long finding one block may take (default 30 s). */
  fetchTimeoutMs?: number
  /**
   * Take replicas pushed by others over the store protocol. Servers do;
   * browsers and other transient nodes should not (default true).
   */
  holdReplicas?: boolean
  /**
   * Announce a provider record for a file this node holds whole but not as a
   * replica (its own uploads and finished reads), so others can fetch from it
   * (default: `!holdReplicas`).
   */
  provide?: boolean
  /** Keep fetched blocks so this node serves them too (default true). */
  cacheFetched?: boolean
}

export interface WeftStorageComponents {
  peerId: PeerId
  peerStore: PeerStore
  addressManager: AddressManager
  events: TypedEventTarget<Libp2pEvents>
  registrar: Registrar
  connectionManager: ConnectionManager
  peerRouting: PeerRouting
  contentRouting: ContentRouting
  logger: ComponentLogger
}

/** What `put` reports. */
export interface PutResult {
  cid: CID
  /** File size in bytes. */
  size: number
  /** Replicas of the least-replicated block: every block has at least this many. */
  replicas: number
  /** Blocks in the file's DAG. */
  blocks: number
  /** Whether this node kept a pinned copy (not when its own quota is too small). */
  pinned: boolean
}

export type PutProgressEvents =
  CustomProgressEvent<{ bytes: number }, 'weft:put:read'> |
  CustomProgressEvent<{ cid: CID, replicas: number, bytes: number }, 'weft:put:placed'>

export type GetProgressEvents =
  CustomProgressEvent<{ cid: CID, fetched: number, local: number }, 'weft:get:block'>

export interface PutOptions extends AbortOptions, ProgressOptions<PutProgressEvents> {
  /**
   * `false` keeps the file only here, pinned, and announces this node as its
   * provider: others fetch it from this node while it is online (a browser
   * sharing straight to other pages). Default true: store at the replica set.
   */
  replicate?: boolean
}

export interface GetOptions extends AbortOptions, ProgressOptions<GetProgressEvents> {
  /** First byte to read. */
  offset?: number
  /** Bytes to read. */
  length?: number
}

/** What `stat` tells about content. */
export interface StatResult extends ContentStat {
  /** Whether the root block is stored here. */
  local: boolean
  pinned: boolean
}

/** A peer that sent wrong bytes or broke the protocol, and what it did. */
export interface Misbehaviour {
  peer: string
  error: string
  count: number
}

/**
 * The weft storage service: content-addressed files stored at the servers
 * XOR-closest to each block, fetched from any holder. Add it to any libp2p
 * node that runs kad-dht (see `weftStorage()`).
 */
export class WeftStorage implements Startable {
  readonly [serviceCapabilities]: string[] = ['@weft/storage']
  readonly [serviceDependencies]: string[] = ['@libp2p/kad-dht']
  private localBlocks: LocalBlocks | undefined
  private ownsBlocks = false
  private readonly maxBytes: number
  private readonly log: Logger
  private readonly chunkSize: number
  private readonly replication: number
  private readonly writeQuorum: number
  private readonly fetchTimeoutMs: number
  private readonly holdReplicas: boolean
  private readonly provide: boolean
  private readonly cacheFetched: boolean
  private readonly misbehaving = new Map<string, Misbehaviour>()
  private readonly stopping = new AbortController()
  /** Finds replica sets; shared by puts and gets so a small network's membership is learned once. */
  private readonly finder: ReplicaFinder

  constructor (private readonly components: WeftStorageComponents, init: WeftStorageInit) {
    this.log = components.logger.forComponent('weft:storage')
    this.localBlocks = init.blocks
    this.maxBytes = init.maxBytes ?? DEFAULT_MEMORY_BYTES
    this.chunkSize = init.chunkSize ?? 1_048_576
    this.replication = init.replication ?? 5
    this.writeQuorum = Math.min(init.writeQuorum ?? 3, this.replication)
    this.fetchTimeoutMs = init.fetchTimeoutMs ?? 30_000
    this.holdReplicas = init.holdReplicas ?? true
    this.provide = init.provide ?? !this.holdReplicas
    this.cacheFetched = init.cacheFetched ?? true
    this.finder = new ReplicaFinder({ routing: components.peerRouting, connections: () => components.connectionManager.getConnections().length, ...(this.holdReplicas ? { self: components.peerId } : {}) })
  }

  readonly [Symbol.toStringTag] = '@weft/storage'

  /** The local block store (available once the node started). */
  get blocks (): LocalBlocks {
    if (this.localBlocks == null) throw new Error('the weft storage service has not started')
    return this.localBlocks
  }

  async start (): Promise<void> {
    if (this.localBlocks == null) {
      this.localBlocks = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore: new MemoryDatastore(), maxBytes: this.maxBytes })
      this.ownsBlocks = true
    }
    const common = { runOnLimitedConnection: true }
    const onError = (err: Error, peer: PeerId): void => { this.log.error('serving %p failed: %s', peer, err.message) }
    await this.components.registrar.handle(BLOCK_PROTOCOL, blockRequestHandler(this.blocks, { onError }), {
      ...common, maxInboundStreams: BLOCK_MAX_INBOUND_STREAMS, maxOutboundStreams: BLOCK_MAX_OUTBOUND_STREAMS
    })
    if (this.holdReplicas) {
      await this.components.registrar.handle(STORE_PROTOCOL, storeRequestHandler(this.blocks, { onError }), {
        ...common, maxInboundStreams: STORE_MAX_INBOUND_STREAMS, maxOutboundStreams: STORE_MAX_OUTBOUND_STREAMS
      })
    }
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    await this.components.registrar.unhandle(BLOCK_PROTOCOL)
    if (this.holdReplicas) await this.components.registrar.unhandle(STORE_PROTOCOL)
    if (this.ownsBlocks && this.localBlocks instanceof BlockStore) {
      await this.localBlocks.close()
      this.localBlocks = undefined
    }
  }

  /**
   * Chunks content into blocks and stores each at its replica set. Resolves
   * once every block has `writeQuorum` replicas (fewer only when fewer
   * servers exist); otherwise rejects with QuorumNotReachedError listing the
   * blocks short of it, after trying every block, so one bad block never
   * hides how the rest went.
   */
  async put (source: ContentSource, options: PutOptions = {}): Promise<PutResult> {
    const signal = this.signalFor(options)
    const placer = new Placer({
      replication: this.replication,
      writeQuorum: this.writeQuorum,
      finder: this.finder,
      open: this.open,
      storeProtocol: STORE_PROTOCOL,
      ...(this.holdReplicas ? { self: this.components.peerId } : {}),
      storeHere: async (cid, bytes) => { await this.blocks.put(cid, bytes, 'replica') },
      window: STORE_WINDOW,
      signal
    })
    const placements: Array<{ cid: CID, replicas: number, refusals: string[] }> = []
    let blocks = 0
    let minReplicas = Infinity
    const placing = {
      put: async (cid: CID, bytes: Uint8Array): Promise<CID> => {
        if (options.replicate === false) {
          // the only copy: it must be stored, not merely cached
          await this.blocks.put(cid, bytes, 'cache')
          blocks++
          minReplicas = 0
          options.onProgress?.(new CustomProgressEvent('weft:put:placed', { cid, replicas: 0, bytes: bytes.byteLength }))
          return cid
        }
        await this.keepLocally(cid, bytes)
        const placed: BlockPlacement = await placer.place(cid, bytes)
        blocks++
        minReplicas = Math.min(minReplicas, placed.replicas)
        // only blocks short of the full replication are kept for the verdict
        if (placed.replicas < this.replication) placements.push({ cid, replicas: placed.replicas, refusals: placed.refusals.slice(0, 2) })
        options.onProgress?.(new CustomProgressEvent('weft:put:placed', { cid, replicas: placed.replicas, bytes: bytes.byteLength }))
        return cid
      }
    }
    let imported
    try {
      imported = await importContent(source, placing, {
        chunkSize: this.chunkSize,
        blockWriteConcurrency: PUT_WINDOW,
        signal,
        onBytes: bytes => options.onProgress?.(new CustomProgressEvent('weft:put:read', { bytes }))
      })
    } finally {
      placer.close()
    }
    // the quorum is capped by the servers that exist, as the lookups saw them
    const needed = Math.min(this.writeQuorum, placer.mostCandidates)
    const short = new Map<string, number>()
    const refusals: string[] = []
    for (const placed of placements) {
      if (needed === 0 || placed.replicas < needed) {
        short.set(placed.cid.toString(), placed.replicas)
        refusals.push(...placed.refusals)
      }
    }
    if (options.replicate !== false && short.size > 0) {
      const detail = refusals.length > 0 ? `refusals: ${[...new Set(refusals)].slice(0, 5).join('; ')}` : 'no server peers found: is this node connected?'
      throw new QuorumNotReachedError(this.writeQuorum, short, detail)
    }
    if (options.replicate === false) {
      await this.blocks.pin(imported.cid, { signal })
      // the only copy is here: the put is done when others can find it
      await this.announceNow(imported.cid, signal)
      return { cid: imported.cid, size: imported.size, replicas: 0, blocks, pinned: true }
    }
    const pinned = await this.pinQuietly(imported.cid)
    if (pinned) this.announce(imported.cid)
    return { cid: imported.cid, size: imported.size, replicas: minReplicas === Infinity ? 0 : minReplicas, blocks, pinned }
  }

  /**
   * The bytes of a file, in order, streamed: blocks are fetched (local store
   * first, then any holder, many at once) only a window ahead of the reader.
   */
  async * get (cid: CID | string, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
    const root = typeof cid === 'string' ? parseCidString(cid) : cid
    const signal = this.signalFor(options)
    const session = this.session(root, signal)
    const progress = (block: CID): void => {
      options.onProgress?.(new CustomProgressEvent('weft:get:block', { cid: block, fetched: session.counters.blocksFetched, local: session.counters.blocksLocal }))
    }
    const source: BlockSource = {
      get: async (block, opts = {}) => {
        const bytes = await session.get(block, opts)
        progress(block)
        return bytes
      },
      getMany: async (blocks, opts = {}) => {
        const fetched = await session.getMany(blocks, opts)
        blocks.forEach(progress)
        return fetched
      }
    }
    yield * readContent(root, source, {
      window: GET_WINDOW,
      signal,
      ...(options.offset != null ? { offset: options.offset } : {}),
      ...(options.length != null ? { length: options.length } : {})
    })
    // a whole read by a node that keeps what it fetches: it now holds the
    // file and can serve it to the next reader (the peer CDN)
    if (this.cacheFetched && options.offset == null && options.length == null && session.counters.blocksFetched > 0) {
      this.announce(root)
    }
  }

  /** Size and type of content, from its root block (fetched if needed). */
  async stat (cid: CID | string, options: AbortOptions = {}): Promise<StatResult> {
    const root = typeof cid === 'string' ? parseCidString(cid) : cid
    const local = await this.blocks.has(root)
    const stat = await statContent(root, this.session(root, this.signalFor(options)), options)
    return { ...stat, local, pinned: await this.blocks.isPinned(root) }
  }

  /** Fetches every block of a file that is not here yet, then pins it. */
  async pin (cid: CID | string, options: AbortOptions = {}): Promise<void> {
    const root = typeof cid === 'string' ? parseCidString(cid) : cid
    // reading the whole file brings every block into the local store
    for await (const chunk of this.get(root, options)) { void chunk }
    await this.blocks.pin(root, options)
  }

  async unpin (cid: CID | string, options: AbortOptions = {}): Promise<void> {
    await this.blocks.unpin(typeof cid === 'string' ? parseCidString(cid) : cid, options)
  }

  storageStats (): StorageStats {
    return this.blocks.stats()
  }

  /** Peers that sent wrong bytes or broke a protocol while this node fetched from them. */
  misbehaviours (): Misbehaviour[] {
    return [...this.misbehaving.values()]
  }

  private session (root: CID, signal: AbortSignal): FetchSession {
    return new FetchSession({
      blocks: this.blocks,
      open: this.open,
      blockProtocol: BLOCK_PROTOCOL,
      finder: this.finder,
      contentRouting: this.components.contentRouting,
      timeoutMs: this.fetchTimeoutMs,
      cacheFetched: this.cacheFetched,
      onMisbehaviour: (peer, err) => {
        this.log('peer %p misbehaved: %s', peer, err.message)
        const entry = this.misbehaving.get(peer.toString()) ?? { peer: peer.toString(), error: err.message, count: 0 }
        entry.count++
        entry.error = err.message
        this.misbehaving.set(peer.toString(), entry)
      }
    }, root, signal)
  }

  private readonly open = async (peer: PeerId, protocol: string, signal: AbortSignal): Promise<Stream> => {
    let connection = await this.components.connectionManager.openConnection(peer, { signal })
    if (connection.limits != null) connection = await this.unlimited(peer, connection, signal)
    return connection.newStream(protocol, { signal, runOnLimitedConnection: true })
  }

  /**
   * A relayed connection carries 128 KiB at most, less than one block. For
   * a page reached through a relay, dial its `/webrtc` address (signalled
   * over the relay) for a direct connection; @libp2p/webrtc's first dial
   * fails now and then, so try a few times before settling for the relay.
   */
  private async unlimited (peer: PeerId, relayed: Connection, signal: AbortSignal): Promise<Connection> {
    const known = await this.components.peerStore.get(peer).catch(() => undefined)
    const direct = (known?.addresses ?? []).map(a => a.multiaddr).filter(ma => ma.getComponents().some(c => c.name === 'webrtc'))
    if (direct.length === 0) return relayed
    for (let attempt = 1; attempt <= WEBRTC_DIAL_ATTEMPTS; attempt++) {
      try {
        const connection = await this.components.connectionManager.openConnection(direct, { signal, force: true })
        if (connection.limits == null) return connection
      } catch (err) {
        signal.throwIfAborted()
        this.log('webrtc dial %d to %p failed: %s', attempt, peer, (err as Error).message)
      }
    }
    return relayed
  }

  private signalFor (options: AbortOptions): AbortSignal {
    return options.signal != null ? AbortSignal.any([options.signal, this.stopping.signal]) : this.stopping.signal
  }

  /** The uploader keeps a copy to serve, when it has room; the put does not depend on it. */
  private async keepLocally (cid: CID, bytes: Uint8Array): Promise<void> {
    if (!this.cacheFetched) return
    try {
      await this.blocks.put(cid, bytes, 'cache')
    } catch (err) {
      this.log('not keeping %c locally: %s', cid, (err as Error).message)
    }
  }

  private async pinQuietly (cid: CID): Promise<boolean> {
    if (!this.cacheFetched) return false
    try {
      await this.blocks.pin(cid)
      return true
    } catch (err) {
      this.log('could not pin %c locally: %s', cid, (err as Error).message)
      return false
    }
  }

  /** Announces, in the background, that this node holds a whole file. */
  private announce (cid: CID, always = false): void {
    if (!this.provide && !always) return
    this.announceNow(cid, this.stopping.signal).catch(err => {
      this.log('announcing %c failed: %s', cid, (err as Error).message)
    })
  }

  /**
   * Announces this node as a provider of `cid`. A provider record carries
   * the node's addresses, and servers drop one without any: a page has none
   * until its relay reservation is made, so wait for an address first.
   */
  private async announceNow (cid: CID, signal: AbortSignal): Promise<void> {
    await this.reachable(signal)
    await this.components.contentRouting.provide(cid, { signal })
  }

  /** Resolves once this node has an address others can dial (at most ANNOUNCE_WAIT_MS). */
  private async reachable (signal: AbortSignal): Promise<void> {
    if (this.components.addressManager.getAddresses().length > 0) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        this.components.events.removeEventListener('self:peer:update', check)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const check = (): void => { if (this.components.addressManager.getAddresses().length > 0) done() }
      const timer = setTimeout(done, ANNOUNCE_WAIT_MS)
      this.components.events.addEventListener('self:peer:update', check)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
