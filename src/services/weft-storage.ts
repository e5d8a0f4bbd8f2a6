import { serviceCapabilities, serviceDependencies, type AbortOptions, type Logger, type PeerId, type PeerRouting, type Startable } from '@libp2p/interface'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { fileParts } from '../content/layout.js'
import { readContent, statContent } from '../content/read.js'
import { FetchSession, type FetchProgressEvents } from '../fetch/fetch-session.js'
import { closestPeers, type ClosestPeersDHT } from '../placement/dht-closest-peers.js'
import { ReplicaFinder } from '../placement/replica-finder.js'
import { watchServers } from '../placement/server-watch.js'
import { blockRequestHandler, BLOCK_PROTOCOL } from '../protocols/block-protocol.js'
import { BLOCK_MAX_INBOUND_STREAMS, BLOCK_MAX_OUTBOUND_STREAMS } from '../protocols/limits.js'
import { STORE_PROTOCOL } from '../protocols/store-protocol.js'
import { PeerStreams } from '../protocols/peer-streams.js'
import { gateStreams, paceServing } from '../protocols/peer-gate.js'
import { PeerLimits } from '../protocols/peer-limits.js'
import { BlockStore } from '../store/block-store.js'
import { Announcer } from './announcer.js'
import { DEFAULT_AUDIT_BYTES_PER_HOUR, DEFAULT_AUDIT_DEADLINE_MS, DEFAULT_AUDITS_PER_HOUR, DEFAULT_CHUNK_SIZE, DEFAULT_DHT_PROTOCOL, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MEMORY_BYTES, DEFAULT_READ_WINDOW, DEFAULT_REPAIR_BYTES_PER_SECOND, DEFAULT_REPAIR_INTERVAL_MS, DEFAULT_REPLICATION, DEFAULT_WRITE_QUORUM, DEFAULT_PEER_SERVE_BYTES_PER_SECOND, DEFAULT_PEER_STORE_BYTES, DEFAULT_PEER_STORE_BYTES_PER_HOUR, DEFAULT_PEER_STREAMS, DEFAULT_RESPONSIBILITY_SLACK } from './storage-defaults.js'
import type { Content, DagBlocks, GetOptions, OpenOptions, PutOptions, PutResult, ServingStats, StatResult, VerifyResult, WeftStorage, WeftStorageComponents, WeftStorageInit } from './storage-types.js'
import type { ContentSource } from '../content/source.js'
import type { AuditStats } from '../placement/auditor.js'
import type { RepairStats } from '../placement/replicator.js'
import type { ReplicaHolding } from './replica-holding.js'
import type { GuardStats } from './store-guard.js'
import type { AuditAnswerStats } from '../protocols/audit-protocol.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { CID } from 'multiformats/cid'

/** The storage service behind the `WeftStorage` interface; made only by `weftStorage()`. */
/** How recently a peer must have been sent a block to count as served now (`ServingStats.peersServing`). */
export const SERVED_PEERS_WINDOW_MS = 60_000

export class DefaultWeftStorage implements WeftStorage, Startable {
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
  private readonly stopping = new AbortController()
  /** Finds replica sets; shared by puts and gets so a small network's membership is learned once. */
  private readonly finder: ReplicaFinder
  private readonly streams: PeerStreams
  private readonly announcer: Announcer
  private readonly repairIntervalMs: number
  private readonly repairBytesPerSecond: number
  private readonly dhtProtocol: string
  private unwatchServers: (() => void) | undefined
  private readonly audits: { perHour: number, deadlineMs: number, bytesPerHour: number }
  /** A replica holder's protocols, repair and audits (see replica-holding.ts), once started. */
  private holding: ReplicaHolding | undefined
  private readonly serving: Omit<ServingStats, 'peersServing'> = { blocksServed: 0, bytesServed: 0, blocksStored: 0, bytesStored: 0 }
  /** When each peer was last sent a block (pruned as it is read), for `peersServing`. */
  private readonly lastServed = new Map<string, number>()
  /** What one peer may take from this node (see docs/security.md). */
  private readonly limits: PeerLimits
  private readonly responsibilitySlack: number
  private readonly allowPeers: string[]
  private started = false

  constructor (private readonly components: WeftStorageComponents, init: WeftStorageInit) {
    this.log = components.logger.forComponent('weft:storage')
    this.localBlocks = init.blocks
    this.maxBytes = init.maxBytes ?? DEFAULT_MEMORY_BYTES
    this.chunkSize = init.chunkSize ?? DEFAULT_CHUNK_SIZE
    this.replication = init.replication ?? DEFAULT_REPLICATION
    this.writeQuorum = Math.min(init.writeQuorum ?? DEFAULT_WRITE_QUORUM, this.replication)
    this.fetchTimeoutMs = init.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
    this.holdReplicas = init.holdReplicas ?? true
    this.provide = init.provide ?? !this.holdReplicas
    this.cacheFetched = init.cacheFetched ?? true
    this.repairIntervalMs = init.repairIntervalMs ?? DEFAULT_REPAIR_INTERVAL_MS
    this.repairBytesPerSecond = init.repairBytesPerSecond ?? DEFAULT_REPAIR_BYTES_PER_SECOND
    this.audits = {
      perHour: init.auditsPerHour ?? DEFAULT_AUDITS_PER_HOUR,
      deadlineMs: init.auditDeadlineMs ?? DEFAULT_AUDIT_DEADLINE_MS,
      bytesPerHour: init.auditBytesPerHour ?? DEFAULT_AUDIT_BYTES_PER_HOUR
    }
    this.streams = new PeerStreams(components, this.log)
    this.announcer = new Announcer(components, this.log, this.stopping.signal)
    this.dhtProtocol = init.dhtProtocol ?? DEFAULT_DHT_PROTOCOL
    this.responsibilitySlack = init.responsibilitySlack ?? DEFAULT_RESPONSIBILITY_SLACK
    this.allowPeers = init.allowPeers ?? []
    this.limits = new PeerLimits({
      storeBytesPerHour: init.peerLimits?.storeBytesPerHour ?? DEFAULT_PEER_STORE_BYTES_PER_HOUR,
      storeBytes: init.peerLimits?.storeBytes ?? DEFAULT_PEER_STORE_BYTES,
      streams: init.peerLimits?.streams ?? DEFAULT_PEER_STREAMS,
      serveBytesPerSecond: init.peerLimits?.serveBytesPerSecond ?? DEFAULT_PEER_SERVE_BYTES_PER_SECOND
    })
    this.finder = new ReplicaFinder({
      routing: dhtOrPeerRouting(components),
      connections: () => components.connectionManager.getConnections().length,
      replication: this.replication,
      self: () => this.replicaHolder() ? components.peerId : undefined,
      log: this.log
    })
  }

  /** Whether this node is a replica holder others can find: it takes replicas and its DHT answers queries. */
  private replicaHolder (): boolean {
    return this.holdReplicas && this.components.registrar.getProtocols().includes(this.dhtProtocol)
  }

  readonly [Symbol.toStringTag] = '@weft/storage'

  get blocks (): LocalBlocks {
    if (this.localBlocks == null) throw new Error('the weft storage service has not started')
    return this.localBlocks
  }

  async start (): Promise<void> {
    if (this.localBlocks == null) {
      this.localBlocks = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore: new MemoryDatastore(), maxBytes: this.maxBytes })
      this.ownsBlocks = true
    }
    // Every peer that identifies with the store protocol is a server the
    // neighbourhood knows of, and one that identifies without it is none
    // (kad-dht lookups also name DHT servers that hold no replicas); servers
    // joining and leaving start a repair sweep.
    this.unwatchServers = watchServers(this.components, STORE_PROTOCOL, {
      onServer: peer => { void this.finder.seen(peer) },
      onNotServer: peer => { this.finder.forget(peer) },
      onMembershipChange: () => { this.holding?.membershipChanged() }
    })
    const common = { runOnLimitedConnection: true }
    const onError = (err: Error, peer: PeerId): void => { this.log.error('serving %p failed: %s', peer, err.message) }
    const onRefused = (err: Error, peer: PeerId): void => { this.log('refused %p: %s', peer, err.message) }
    const blockHandler = paceServing(this.blocks, this.limits, blocks => blockRequestHandler(blocks, {
      onError,
      onServed: (_cid, bytes, peer) => {
        this.serving.blocksServed++
        this.serving.bytesServed += bytes.byteLength
        this.lastServed.delete(peer.toString())
        this.lastServed.set(peer.toString(), Date.now())
      }
    }))
    this.started = true
    await this.components.registrar.handle(BLOCK_PROTOCOL, gateStreams(blockHandler, BLOCK_PROTOCOL, this.limits, onRefused), {
      ...common, maxInboundStreams: BLOCK_MAX_INBOUND_STREAMS, maxOutboundStreams: BLOCK_MAX_OUTBOUND_STREAMS
    })
    if (this.holdReplicas) {
      // a replica holder's part is loaded only where it runs: a page's bundle carries none of it
      const { ReplicaHolding } = await import('./replica-holding.js')
      this.holding = await ReplicaHolding.start({
        components: this.components,
        blocks: this.blocks,
        finder: this.finder,
        open: this.streams.open,
        limits: this.limits,
        log: this.log,
        signal: this.stopping.signal,
        replication: this.replication,
        responsibilitySlack: this.responsibilitySlack,
        allowPeers: this.allowPeers,
        repairIntervalMs: this.repairIntervalMs,
        repairBytesPerSecond: this.repairBytesPerSecond,
        audits: this.audits,
        serving: this.serving,
        onError,
        onRefused
      })
    }
  }

  async stop (): Promise<void> {
    this.stopping.abort()
    this.unwatchServers?.()
    await this.holding?.stop()
    this.holding = undefined
    await this.components.registrar.unhandle(BLOCK_PROTOCOL)
    if (this.ownsBlocks && this.localBlocks instanceof BlockStore) {
      await this.localBlocks.close()
      this.localBlocks = undefined
    }
  }

  async put (source: ContentSource, options: PutOptions = {}): Promise<PutResult> {
    // loaded at the first put: a node that only reads (a CLI get) never loads the importer
    const { putContent } = await import('./put-content.js')
    return putContent(source, {
      blocks: this.blocks,
      finder: this.finder,
      open: this.streams.open,
      ...(this.replicaHolder() ? { self: this.components.peerId } : {}),
      chunkSize: this.chunkSize,
      replication: this.replication,
      writeQuorum: this.writeQuorum,
      keepCopy: this.cacheFetched,
      announce: cid => { this.announce(cid) },
      announceNow: async (cid, signal) => this.announcer.announceNow(cid, signal),
      log: this.log
    }, options, this.signalFor(options))
  }

  open (cid: CID, options: OpenOptions = {}): Content {
    let onProgress: ((evt: FetchProgressEvents) => void) | undefined
    const cache = this.cacheFetched && options.cache !== false
    const session = this.session(cid, this.signalFor(options), evt => { onProgress?.(evt) }, cache)
    return {
      cid,
      stat: async (opts = {}) => {
        const local = await this.blocks.has(cid)
        const stat = await statContent(cid, session, opts)
        return { ...stat, local, pinned: await this.blocks.isPinned(cid) }
      },
      read: (opts = {}) => {
        onProgress = opts.onProgress
        return this.read(cid, session, opts, cache)
      },
      parts: (opts = {}) => fileParts(cid, session, { signal: this.signalFor(opts) }),
      get blocksFetched () { return session.counters.blocksFetched }
    }
  }

  async * get (cid: CID, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
    yield * this.open(cid, options).read(options)
  }

  async stat (cid: CID, options: AbortOptions = {}): Promise<StatResult> {
    return this.open(cid, options).stat(options)
  }

  async pin (cid: CID, options: AbortOptions = {}): Promise<void> {
    // reading the whole file brings every block into the local store
    for await (const chunk of this.get(cid, options)) { void chunk }
    await this.blocks.pin(cid, options)
  }

  async unpin (cid: CID, options: AbortOptions = {}): Promise<void> {
    await this.blocks.unpin(cid, options)
  }

  private async * read (root: CID, session: FetchSession, options: GetOptions, cache = this.cacheFetched): AsyncGenerator<Uint8Array> {
    try {
      yield * readContent(root, session, {
        window: DEFAULT_READ_WINDOW,
        signal: this.signalFor(options),
        ...(options.offset != null ? { offset: options.offset } : {}),
        ...(options.length != null ? { length: options.length } : {})
      })
    } finally {
      session.settle()
    }
    // a whole read by a node that keeps what it fetches: it now holds the
    // file and can serve it to the next reader (the peer CDN). The blocks
    // are stored behind the reader: any read ends once all it fetched are in
    if (cache) await session.cached()
    if (cache && options.offset == null && options.length == null && session.counters.blocksFetched > 0) {
      this.announce(root)
    }
  }

  blocksOf (root: CID, options: AbortOptions = {}): DagBlocks {
    return this.session(root, this.signalFor(options), () => {})
  }

  async verify (cid: CID, options: AbortOptions = {}): Promise<VerifyResult> {
    const signal = this.signalFor(options)
    const { verifyContent } = await import('./verify-content.js')
    return verifyContent(cid, {
      blocks: this.session(cid, signal, () => {}),
      finder: this.finder,
      open: this.streams.open,
      ...(this.replicaHolder() ? { self: { peer: this.components.peerId, roleOf: cid => this.blocks.roleOf(cid) } } : {}),
      writeQuorum: this.writeQuorum
    }, signal)
  }

  repairStats (): RepairStats | undefined {
    return this.holding?.repairStats()
  }

  servingStats (): ServingStats {
    // oldest first (re-inserted on each block): drop those out of the window
    const since = Date.now() - SERVED_PEERS_WINDOW_MS
    for (const [peer, at] of this.lastServed) {
      if (at >= since) break
      this.lastServed.delete(peer)
    }
    return { ...this.serving, peersServing: this.lastServed.size }
  }

  auditStats (): (AuditStats & { answered: AuditAnswerStats }) | undefined {
    return this.holding?.auditStats()
  }

  guardStats (): GuardStats | undefined {
    return this.started ? { ...this.limits.status(), knownServers: this.finder.status().servers } : undefined
  }

  private session (root: CID, signal: AbortSignal, onProgress: (evt: FetchProgressEvents) => void, cacheFetched = this.cacheFetched): FetchSession {
    return new FetchSession({
      onProgress,
      blocks: this.blocks,
      open: this.streams.open,
      blockProtocol: BLOCK_PROTOCOL,
      finder: this.finder,
      contentRouting: this.components.contentRouting,
      // this node, which knownClosest counts when it holds replicas, looked in its own store already
      connectedServers: async cid => (await this.finder.knownClosest(cid, this.replication + 1, { only: peer => this.components.connectionManager.getConnections(peer).length > 0 }))
        .filter(peer => !peer.equals(this.components.peerId)),
      timeoutMs: this.fetchTimeoutMs,
      cacheFetched,
      onMisbehaviour: (peer, err) => { this.log('peer %p misbehaved: %s', peer, err.message) }
    }, root, signal)
  }

  private signalFor (options: AbortOptions): AbortSignal {
    return options.signal != null ? AbortSignal.any([options.signal, this.stopping.signal]) : this.stopping.signal
  }

  /** Announces, in the background, that this node holds a whole file, if it announces at all. */
  private announce (cid: CID): void {
    if (this.provide) this.announcer.announce(cid)
  }
}

/**
 * Lookups for the finder: kad-dht's own answer when the node has it as
 * its `dht` service (weft's nodes do; see `closestPeers` for why), else
 * libp2p's peer routing, which works with any DHT but costs a lookup more
 * per result. Looked up at the first lookup, so the order of a libp2p app's
 * services does not matter.
 */
function dhtOrPeerRouting (components: WeftStorageComponents): Pick<PeerRouting, 'getClosestPeers'> {
  let routing: Pick<PeerRouting, 'getClosestPeers'> | undefined
  const resolve = (): Pick<PeerRouting, 'getClosestPeers'> => {
    if (routing != null) return routing
    let dht: Partial<ClosestPeersDHT> | undefined
    try {
      // libp2p's components throw for a service the node does not have
      dht = (components as unknown as { dht?: Partial<ClosestPeersDHT> }).dht
    } catch {}
    const lookup = dht?.getClosestPeers
    routing = typeof lookup === 'function'
      ? { getClosestPeers: (key, options) => closestPeers(dht as ClosestPeersDHT, key, options) }
      : components.peerRouting
    return routing
  }
  return { getClosestPeers: (key, options) => resolve().getClosestPeers(key, options) }
}
