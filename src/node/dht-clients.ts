import { IdentifiedProtocol } from './identified-protocol.js'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** The kad-dht parts this reads: the method every would-be routing-table entry goes through, and the table. */
interface DhtParts {
  onPeerConnect: (peer: PeerInfo) => Promise<void>
  routingTable: EventTarget & {
    find: (peer: PeerId) => Promise<PeerId | undefined>
    remove: (peer: PeerId) => Promise<void>
  }
}

/**
 * Wraps kad-dht's factory so that its routing table keeps out every peer
 * that identified without the DHT protocol: DHT clients (pages, the CLI's
 * nodes), which answer no query.
 *
 * The peer store lists the DHT protocol for a client once it sent a query
 * (see IdentifiedProtocol); whatever offers the table such a peer (weft's
 * top-up did, and another node's answers may name one) is turned away, and
 * a client that got in before its identify ended leaves once it is known.
 */
export function keepClientsOut (protocol: string, factory: (components: KadDHTComponents) => KadDHT): (components: KadDHTComponents) => KadDHT {
  return components => {
    const dht = factory(components)
    const parts = dht as unknown as DhtParts
    if (typeof parts.onPeerConnect !== 'function' || parts.routingTable == null) throw new TypeError('kad-dht has no onPeerConnect or routingTable: keepClientsOut needs updating for this kad-dht version')
    const servers = new IdentifiedProtocol(components.events, protocol)
    const isClient = (peer: PeerId): boolean => servers.handledBy(peer) === false
    const removeIfIn = async (peer: PeerId): Promise<void> => {
      if (await parts.routingTable.find(peer) != null) await parts.routingTable.remove(peer)
    }
    const offer = parts.onPeerConnect.bind(dht)
    parts.onPeerConnect = async peer => {
      if (isClient(peer.id)) return
      await offer(peer)
    }
    components.events.addEventListener('peer:identify', evt => {
      if (isClient(evt.detail.peerId)) void removeIfIn(evt.detail.peerId).catch(() => {})
    })
    parts.routingTable.addEventListener('peer:add', evt => {
      const peer = (evt as CustomEvent<PeerId>).detail
      if (isClient(peer)) void removeIfIn(peer).catch(() => {})
    })
    return dht
  }
}
