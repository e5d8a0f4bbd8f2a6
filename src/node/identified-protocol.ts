import type { Libp2pEvents, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'

/**
 * Which connected peers handle one protocol, by their own identify.
 *
 * Not the peer store's `protocols` alone: libp2p (3.x) adds to those every
 * protocol a peer opened a stream of (`connection.js`, "the peer store should
 * ensure that the peer is registered with that protocol"). A page that sent
 * this node one DHT query is then listed as speaking the DHT protocol, as if
 * it answered queries: weft's routing-table top-up took pages into a
 * server's table, whose answers then named them to every fetcher (seen: a
 * page's get waiting 12.3 s for a dial to a page whose tab was closed;
 * docs/performance.md, "Pages in the routing table").
 */
export class IdentifiedProtocol {
  /** Each connected peer's answer, by its last identify. */
  private readonly handles = new Map<string, boolean>()
  private readonly onIdentify = (evt: Libp2pEvents['peer:identify']): void => {
    this.handles.set(evt.detail.peerId.toString(), evt.detail.protocols.includes(this.protocol))
  }

  private readonly onDisconnect = (evt: Libp2pEvents['peer:disconnect']): void => {
    this.handles.delete(evt.detail.toString())
  }

  constructor (private readonly events: TypedEventTarget<Libp2pEvents>, readonly protocol: string) {
    events.addEventListener('peer:identify', this.onIdentify)
    events.addEventListener('peer:disconnect', this.onDisconnect)
  }

  /** true or false by the peer's identify; undefined when no identify of it was seen since it connected. */
  handledBy (peer: PeerId): boolean | undefined {
    return this.handles.get(peer.toString())
  }

  /**
   * Whether the peer handles the protocol: by its identify, or for a peer
   * whose identify this did not see (it connected before this was made), by
   * the peer store.
   */
  async isHandledBy (peer: PeerId, peerStore: PeerStore): Promise<boolean> {
    const said = this.handledBy(peer)
    if (said !== undefined) return said
    const record = await peerStore.get(peer).catch(() => undefined)
    return record?.protocols.includes(this.protocol) === true
  }

  /** How many of `peers` handle the protocol (`isHandledBy`). */
  async countAmong (peers: PeerId[], peerStore: PeerStore): Promise<number> {
    const handled = await Promise.all(peers.map(async peer => this.isHandledBy(peer, peerStore)))
    return handled.filter(Boolean).length
  }

  stop (): void {
    this.events.removeEventListener('peer:identify', this.onIdentify)
    this.events.removeEventListener('peer:disconnect', this.onDisconnect)
  }
}
