import type { Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'

export interface ServerWatchComponents {
  events: TypedEventTarget<Libp2pEvents>
}

/** What `watchServers` tells; each is optional. */
export interface ServerWatchEvents {
  /** A peer identified with the store protocol: a server, alive (every identify, repeats too). */
  onServer?: (peer: PeerId) => void
  /** A peer identified without it: it holds no replicas (a page, or a DHT server that stores nothing). */
  onNotServer?: (peer: PeerId) => void
  /**
   * The network's servers may have changed: a server connected and
   * identified, or a connected server lost its last connection to this node
   * or identified without the store protocol. A second connection to a
   * connected server is no change.
   */
  onMembershipChange?: (peer: PeerId) => void
}

/**
 * Follows which peers are servers, from identify (the protocols a peer
 * speaks, sent again when they change) and disconnect events: a server is
 * a peer that speaks `storeProtocol`, the one protocol only peers that take
 * replicas handle. Returns the function that stops listening.
 */
export function watchServers (components: ServerWatchComponents, storeProtocol: string, events: ServerWatchEvents): () => void {
  const connected = new Set<string>()
  const onIdentify = (evt: Libp2pEvents['peer:identify']): void => {
    const { peerId, protocols } = evt.detail
    const id = peerId.toString()
    if (protocols.includes(storeProtocol)) {
      events.onServer?.(peerId)
      if (connected.has(id)) return
      connected.add(id)
      events.onMembershipChange?.(peerId)
    } else {
      events.onNotServer?.(peerId)
      if (connected.delete(id)) events.onMembershipChange?.(peerId)
    }
  }
  const onDisconnect = (evt: Libp2pEvents['peer:disconnect']): void => {
    if (connected.delete(evt.detail.toString())) events.onMembershipChange?.(evt.detail)
  }
  components.events.addEventListener('peer:identify', onIdentify)
  components.events.addEventListener('peer:disconnect', onDisconnect)
  return () => {
    components.events.removeEventListener('peer:identify', onIdentify)
    components.events.removeEventListener('peer:disconnect', onDisconnect)
  }
}
