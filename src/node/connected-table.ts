import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import type { PeerInfo } from '@libp2p/interface'

/** The kad-dht method every would-be routing-table entry goes through (public on its class, not on its interface). */
interface PeerConnectHook {
  onPeerConnect: (peer: PeerInfo) => Promise<void>
}

/**
 * Wraps kad-dht's factory so that its routing table only takes peers the
 * node holds a connection to.
 *
 * kad-dht (16.x) queues every peer named in every answer it receives for its
 * routing table (20 per FIND_NODE answer), and a peer not yet in the table
 * is pinged before it enters: for a peer it has no connection to, that ping
 * is a new connection (TCP, noise handshake, identify both ways), started
 * while the lookup that named it still runs and competing with it for the
 * same thread. With a table of 2^6 x 20 buckets, a node of a network of
 * hundreds wants every peer it hears of. Measured at 200 nodes over 8
 * processes: docs/performance.md ("DHT: what a lookup's answers cost").
 *
 * go-libp2p-kad-dht adds a peer only once it has answered a query or
 * connected with the DHT protocol. The same here: a peer that answers was
 * dialled by the lookup, identify names its protocols, and kad-dht's
 * topology listener then offers it (connected) through the same method;
 * a peer only named in an answer stays out until someone talks to it. The
 * peer store still gets the named peers' addresses (libp2p's discovery
 * handler), which a lookup needs to dial the ones it asks.
 */
export function connectedPeersOnly (factory: (components: KadDHTComponents) => KadDHT): (components: KadDHTComponents) => KadDHT {
  return components => {
    const dht = factory(components)
    const hook = dht as unknown as PeerConnectHook
    if (typeof hook.onPeerConnect !== 'function') throw new TypeError('kad-dht has no onPeerConnect: connectedPeersOnly needs updating for this kad-dht version')
    const offer = hook.onPeerConnect.bind(dht)
    hook.onPeerConnect = async peer => {
      if (components.connectionManager.getConnections(peer.id).length === 0) return
      await offer(peer)
    }
    return dht
  }
}
