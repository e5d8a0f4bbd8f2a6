import { compareDistance, peerKadId } from '../placement/xor.js'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** The parts of kad-dht's routing table a neighbourhood reads: its closest peers, and its `peer:add` and `peer:remove` events. */
export interface TableView extends EventTarget {
  closestPeers: (kadId: Uint8Array, options?: { count?: number }) => PeerId[]
}

/** The kad-dht parts the intake uses: the method every would-be routing-table entry goes through (public on its class, not on its interface), and the table. */
interface DhtParts {
  onPeerConnect: (peer: PeerInfo) => Promise<void>
  k: number
  routingTable: TableView
}

/**
 * Which peers named in answers a routing table takes: `all` (kad-dht's own),
 * `connected` (only peers the node holds a connection to, as
 * go-libp2p-kad-dht), `close` (those, and any that would be among the
 * node's k closest).
 */
export type TableIntake = 'all' | 'connected' | 'close'

/** kad-dht's factory with the given intake (`connectedPeersOnly`, or the factory itself for `all`). */
export function withTableIntake (intake: TableIntake, factory: (components: KadDHTComponents) => KadDHT): (components: KadDHTComponents) => KadDHT {
  return intake === 'all' ? factory : connectedPeersOnly(factory, { neighbours: intake === 'close' })
}

/**
 * Wraps kad-dht's factory so that its routing table takes a peer named in
 * an answer only when the node holds a connection to it, or (`neighbours`)
 * when it would be among the node's own k closest peers.
 *
 * kad-dht (16.x) queues every peer named in every answer it receives for its
 * routing table (20 per FIND_NODE answer), and a peer not yet in the table
 * is pinged before it enters: for a peer it has no connection to, that ping
 * is a new connection (TCP, noise handshake, identify both ways). With a
 * table of 2^6 x 20 buckets, a node of a network of hundreds wants every
 * peer it hears of, and every table refresh (a lookup per bucket every
 * 5 min) dials the peers its answers name: measured at 500 nodes over 8
 * processes, that kept 1.2 of 2 cores busy with no lookup running
 * (docs/performance.md, "DHT: what a lookup's answers cost").
 *
 * go-libp2p-kad-dht adds a peer only once it has answered a query or
 * connected with the DHT protocol. Here: a peer that answers was dialled by
 * the lookup, identify names its protocols, and kad-dht's topology listener
 * offers it (connected) through the same method, so it enters. A peer only
 * named stays out, except a neighbour: a node must know its own
 * neighbourhood completely, since lookups for keys near it end at it and
 * its answers name the replica sets there (with only connected peers, 1 in
 * 10 lookups at 500 nodes missed a replica set). But in a young network a
 * table's k-th closest is far, so most named peers pass: at 500 nodes the
 * idle load stayed at 1.3 cores. Weft's nodes therefore run kad-dht's own
 * intake; these are for the benchmark's rows. The peer store still gets
 * every named peer's addresses (libp2p's discovery handler), which a lookup
 * needs to dial the ones it asks.
 */
export function connectedPeersOnly (factory: (components: KadDHTComponents) => KadDHT, options: { neighbours?: boolean } = {}): (components: KadDHTComponents) => KadDHT {
  return components => {
    const dht = factory(components)
    const parts = dht as unknown as DhtParts
    if (typeof parts.onPeerConnect !== 'function' || parts.routingTable == null) throw new TypeError('kad-dht has no onPeerConnect or routingTable: connectedPeersOnly needs updating for this kad-dht version')
    const offer = parts.onPeerConnect.bind(dht)
    const neighbours = new OwnClosest(components.peerId, parts.routingTable, parts.k)
    parts.onPeerConnect = async peer => {
      if (components.connectionManager.getConnections(peer.id).length === 0 && (options.neighbours !== true || !await neighbours.wouldJoin(peer.id))) return
      await offer(peer)
    }
    return dht
  }
}

/**
 * Whether a peer would be among a node's k closest in its routing table (or
 * the table holds fewer than k); the k-th's distance is read again only
 * after the table changed.
 */
export class OwnClosest {
  private self?: Uint8Array
  /** The k-th closest peer's kad id, or null when the table holds fewer than k; undefined: read it again. */
  private kth?: Uint8Array | null

  constructor (private readonly peerId: PeerId, private readonly table: TableView, private readonly k: number) {
    const changed = (): void => { this.kth = undefined }
    table.addEventListener('peer:add', changed)
    table.addEventListener('peer:remove', changed)
  }

  async wouldJoin (peer: PeerId): Promise<boolean> {
    this.self ??= await peerKadId(this.peerId)
    if (this.kth === undefined) {
      const closest = this.table.closestPeers(this.self, { count: this.k })
      this.kth = closest.length < this.k ? null : await peerKadId(closest[closest.length - 1])
    }
    if (this.kth === null) return true
    return compareDistance(this.self, await peerKadId(peer), this.kth) < 0
  }
}
