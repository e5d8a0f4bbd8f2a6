import { parseCapability, type Capability } from '../content/capability.js'
import { DirectorySource } from '../content/directory-source.js'
import { decryptedContent, putEncrypted } from '../content/encryption/share.js'
import { closestPeers } from '../placement/dht-closest-peers.js'
import { parseCidString } from '../protocols/cid-parsing.js'
import { Joining, type JoinedOptions } from './joining.js'
import { transportOf, type TransportName } from './transport-of.js'
import type { NodeServices } from './common-options.js'
import type { NodeMetrics } from './metrics.js'
import type { ContentRef, NodePutOptions, NodeStatus, WeftNode } from './node-types.js'
import type { ContentSource } from '../content/source.js'
import type { Content, GetOptions, OpenOptions, PutResult, StatResult, VerifyResult } from '../services/storage-types.js'
import type { GcOptions, LocalBlocks, RemovedDag } from '../store/local-blocks.js'
import type { ListOptions, StoreListing } from '../store/store-listing.js'
import type { CID } from 'multiformats/cid'
import type { Role, WeftConfig } from '../config/config.js'
import type { AbortOptions, Connection, Libp2pEvents, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import type { Libp2p } from 'libp2p'

/** The stores under a node, closed after libp2p stops. */
export interface NodeStores {
  datastore: Datastore
  /** What libp2p is given instead of `datastore`, when it differs (peer records held in memory). */
  libp2pDatastore?: Datastore
  blocks: LocalBlocks
  close: () => Promise<void>
}

/** Default time a DHT lookup may take when the caller passes no signal. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000

/** The node behind the `WeftNode` interface; made only in `create-node.ts`. */
export class DefaultWeftNode implements WeftNode {
  readonly config: WeftConfig
  readonly libp2p: Libp2p<NodeServices>
  private readonly stores: NodeStores
  private readonly joining: Joining
  private readonly nodeMetrics: NodeMetrics | undefined

  constructor (config: WeftConfig, libp2p: Libp2p<NodeServices>, stores: NodeStores, metrics?: NodeMetrics) {
    this.config = config
    this.libp2p = libp2p
    this.stores = stores
    this.nodeMetrics = metrics
    this.joining = new Joining(libp2p, config.dht.protocol)
  }

  async put (source: ContentSource, options?: NodePutOptions): Promise<PutResult> {
    await this.hasPeer(options?.signal)
    const storage = this.libp2p.services.storage
    if (options?.encrypt == null || options.encrypt === false) return storage.put(source, options)
    // encrypted here, before anything leaves the node: the storage service only sees ciphertext
    const { encrypt, ...plain } = options
    if (source instanceof DirectorySource) throw new TypeError('encrypted puts take one file: a directory is put in public (encrypt each file on its own instead)')
    return putEncrypted(source, { recordSize: this.config.storage.chunkSize, ...(encrypt === true ? {} : encrypt) }, async ciphertext => storage.put(ciphertext, plain))
  }

  async * get (cid: ContentRef, options?: GetOptions): AsyncGenerator<Uint8Array> {
    yield * this.open(cid, options).read(options)
  }

  open (ref: ContentRef, options?: OpenOptions): Content {
    const capability = capabilityOf(ref)
    const cid = capability != null ? capability.cid : ref as CID | string
    const content = this.libp2p.services.storage.open(cidOf(cid), options)
    const node = this
    const plain: Content = {
      cid: content.cid,
      stat: async (opts) => content.stat(opts),
      read: async function * (opts) {
        await node.hasPeer(opts?.signal)
        yield * content.read(opts)
      },
      parts: (opts) => content.parts(opts),
      get blocksFetched () { return content.blocksFetched }
    }
    return capability != null ? decryptedContent(plain, capability.key) : plain
  }

  async joined (options?: JoinedOptions): Promise<void> {
    await this.joining.until(options)
  }

  /**
   * Waits until the DHT has a peer to ask, so a put or get issued right
   * after start does not find "no one" while the bootstrap connections are
   * still identifying. Gives up (and lets the operation report what it
   * finds) after the dial timeout, and waits not at all without bootstrap peers.
   */
  private async hasPeer (signal?: AbortSignal): Promise<void> {
    if (this.config.bootstrap.length === 0) return
    await this.joined({ peers: 1, selfLookup: false, timeoutMs: this.config.connections.dialTimeoutMs, ...(signal != null ? { signal } : {}) }).catch(err => {
      if (err?.name !== 'JoinTimeoutError') throw err
    })
  }

  async stat (cid: ContentRef, options?: AbortOptions): Promise<StatResult> {
    return this.open(cid, options).stat(options)
  }

  async pin (ref: ContentRef, options?: AbortOptions): Promise<void> {
    // a capability pins the ciphertext: the storage service never sees the key
    await this.libp2p.services.storage.pin(cidOf(capabilityOf(ref)?.cid ?? ref as CID | string), options)
  }

  async unpin (ref: ContentRef, options?: AbortOptions): Promise<void> {
    await this.libp2p.services.storage.unpin(cidOf(capabilityOf(ref)?.cid ?? ref as CID | string), options)
  }

  async list (options?: ListOptions): Promise<StoreListing> {
    const blocks = this.libp2p.services.storage.blocks
    if (blocks.list == null) throw new Error('this node\'s block store cannot list what it holds')
    return await blocks.list(options)
  }

  async remove (cid: CID | string, options?: AbortOptions): Promise<RemovedDag> {
    const blocks = this.libp2p.services.storage.blocks
    if (blocks.removeDag == null) throw new Error('this node\'s block store cannot remove a file')
    return await blocks.removeDag(cidOf(cid), options)
  }

  async gc (options?: GcOptions): Promise<number> {
    return await this.libp2p.services.storage.blocks.gc(options)
  }

  async verify (cid: CID | string, options?: AbortOptions): Promise<VerifyResult> {
    const parsed = cidOf(cid)
    await this.hasPeer(options?.signal)
    return this.libp2p.services.storage.verify(parsed, options)
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get role (): Role {
    return this.config.role
  }

  getMultiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  getConnections (peer?: PeerId): Connection[] {
    return this.libp2p.getConnections(peer)
  }

  async dial (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<Connection> {
    return this.libp2p.dial(peer, withTimeout(options, this.config.connections.dialTimeoutMs))
  }

  async findPeer (peer: PeerId, options?: AbortOptions): Promise<PeerInfo> {
    return this.libp2p.peerRouting.findPeer(peer, withTimeout(options, DEFAULT_QUERY_TIMEOUT_MS))
  }

  async getClosestPeers (key: Uint8Array, options?: AbortOptions): Promise<PeerInfo[]> {
    const found: PeerInfo[] = []
    for await (const peer of closestPeers(this.libp2p.services.dht, key, withTimeout(options, DEFAULT_QUERY_TIMEOUT_MS))) {
      // kad-dht answers with ids; their addresses came into the peer store with the answers that named them
      const known = await this.libp2p.peerStore.get(peer.id).catch(() => undefined)
      found.push({ id: peer.id, multiaddrs: peer.multiaddrs.length > 0 ? peer.multiaddrs : (known?.addresses ?? []).map(a => a.multiaddr) })
    }
    return found
  }

  status (): NodeStatus {
    const connections: Partial<Record<TransportName, number>> = {}
    for (const connection of this.libp2p.getConnections()) {
      const name = transportOf(connection)
      connections[name] = (connections[name] ?? 0) + 1
    }
    return {
      peerId: this.peerId.toString(),
      role: this.role,
      multiaddrs: this.getMultiaddrs().map(ma => ma.toString()),
      connections,
      connectedPeers: this.libp2p.getPeers().map(p => p.toString()),
      routingTableSize: this.joining.routingTableSize,
      storage: this.storageStatus(),
      bootstrap: this.bootstrapStatus()
    }
  }

  /** Which bootstrap peers answer: a server none answers is alone (its rejoin service keeps dialling them). */
  private bootstrapStatus (): NodeStatus['bootstrap'] {
    const connected = new Set(this.libp2p.getPeers().map(p => p.toString()))
    return this.config.bootstrap.map(addr => ({ multiaddr: addr, connected: connected.has(addr.slice(addr.lastIndexOf('/p2p/') + 5)) }))
  }

  private storageStatus (): NodeStatus['storage'] {
    const repair = this.libp2p.services.storage.repairStats()
    const audit = this.libp2p.services.storage.auditStats()
    const integrity = this.stores.blocks.integrity?.()
    const serving = this.libp2p.services.storage.servingStats()
    const guard = this.libp2p.services.storage.guardStats()
    return { ...this.stores.blocks.stats(), ...(repair != null ? { repair } : {}), ...(audit != null ? { audit } : {}), ...(integrity != null ? { integrity } : {}), ...(guard != null ? { guard } : {}), serving }
  }

  async metrics (): Promise<{ contentType: string, text: string } | undefined> {
    return this.nodeMetrics?.scrape()
  }

  addEventListener<K extends keyof Libp2pEvents> (type: K, listener: (evt: Libp2pEvents[K]) => void): void {
    this.libp2p.addEventListener(type, listener as any)
  }

  removeEventListener<K extends keyof Libp2pEvents> (type: K, listener: (evt: Libp2pEvents[K]) => void): void {
    this.libp2p.removeEventListener(type, listener as any)
  }

  async stop (): Promise<void> {
    this.joining.stop()
    await this.libp2p.stop()
    await this.stores.close()
  }
}

/** The capability in `ref`, when it is one (a `weft:` string, a link with `?k=`, or a parsed one). */
function capabilityOf (ref: ContentRef): Capability | undefined {
  if (typeof ref === 'string') return parseCapability(ref)
  return 'key' in ref && ref.key instanceof Uint8Array ? ref as Capability : undefined
}

/** A CID given as a string is parsed here, once, at the edge of the API. */
function cidOf (cid: CID | string): CID {
  return typeof cid === 'string' ? parseCidString(cid) : cid
}

function withTimeout (options: AbortOptions | undefined, ms: number): AbortOptions {
  return options?.signal != null ? options : { ...options, signal: AbortSignal.timeout(ms) }
}
