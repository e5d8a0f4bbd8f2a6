import { transportOf, type TransportName } from './transport-of.js'
import type { NodeServices } from './common-options.js'
import type { Role, WeftConfig } from '../config/config.js'
import type { SingleKadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, Connection, Libp2pEvents, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import type { Libp2p } from 'libp2p'

/** A snapshot of what a node is doing, for `weft status` and the page. */
export interface NodeStatus {
  peerId: string
  role: Role
  multiaddrs: string[]
  /** Open connections counted by transport. */
  connections: Partial<Record<TransportName, number>>
  /** PeerIds of the peers this node has a connection to. */
  connectedPeers: string[]
  /** Peers in the DHT routing table. */
  routingTableSize: number
}

/** Default time a DHT lookup may take when the caller passes no signal. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000

/**
 * A running weft node: libp2p with the weft services, over the node's
 * persistent stores. Made by `createNode`.
 */
export class WeftNode {
  readonly config: WeftConfig
  /** The underlying libp2p node, for anything weft does not wrap. */
  readonly libp2p: Libp2p<NodeServices>
  private readonly datastore: Datastore & { close?: () => Promise<void> }

  constructor (config: WeftConfig, libp2p: Libp2p<NodeServices>, datastore: Datastore & { close?: () => Promise<void> }) {
    this.config = config
    this.libp2p = libp2p
    this.datastore = datastore
  }

  get peerId (): PeerId {
    return this.libp2p.peerId
  }

  get role (): Role {
    return this.config.role
  }

  /** The addresses other peers can reach this node on, each ending in `/p2p/<id>`. */
  getMultiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  getConnections (peer?: PeerId): Connection[] {
    return this.libp2p.getConnections(peer)
  }

  /** Connects to a peer by multiaddr or (if its addresses are known) by PeerId. */
  async dial (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<Connection> {
    return this.libp2p.dial(peer, withTimeout(options, this.config.connections.dialTimeoutMs))
  }

  /** Looks a peer's addresses up in the DHT. */
  async findPeer (peer: PeerId, options?: AbortOptions): Promise<PeerInfo> {
    return this.libp2p.peerRouting.findPeer(peer, withTimeout(options, DEFAULT_QUERY_TIMEOUT_MS))
  }

  /** The DHT server peers whose ids are XOR-closest to `key`, closest first. */
  async getClosestPeers (key: Uint8Array, options?: AbortOptions): Promise<PeerInfo[]> {
    const found: PeerInfo[] = []
    for await (const peer of this.libp2p.peerRouting.getClosestPeers(key, withTimeout(options, DEFAULT_QUERY_TIMEOUT_MS))) {
      found.push(peer)
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
      routingTableSize: (this.libp2p.services.dht as Partial<SingleKadDHT>).routingTable?.size ?? 0
    }
  }

  addEventListener<K extends keyof Libp2pEvents> (type: K, listener: (evt: Libp2pEvents[K]) => void): void {
    this.libp2p.addEventListener(type, listener as any)
  }

  removeEventListener<K extends keyof Libp2pEvents> (type: K, listener: (evt: Libp2pEvents[K]) => void): void {
    this.libp2p.removeEventListener(type, listener as any)
  }

  /** Stops libp2p and closes the stores. The node cannot be started again: make a new one. */
  async stop (): Promise<void> {
    await this.libp2p.stop()
    await this.datastore.close?.()
  }
}

function withTimeout (options: AbortOptions | undefined, ms: number): AbortOptions {
  return options?.signal != null ? options : { ...options, signal: AbortSignal.timeout(ms) }
}
