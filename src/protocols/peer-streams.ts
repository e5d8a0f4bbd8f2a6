import type { Connection, Logger, PeerId, PeerStore, Stream } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** Dials of a page's `/webrtc` address before a fetch settles for its relayed connection. */
export const WEBRTC_DIAL_ATTEMPTS = 3

export interface PeerStreamsComponents {
  connectionManager: ConnectionManager
  peerStore: PeerStore
}

/**
 * Opens the streams blocks travel on. A relayed connection carries 128 KiB
 * at most, less than one block: for a page reached through a relay, this
 * dials its `/webrtc` address (signalled over the relay) for a direct
 * connection first.
 */
export class PeerStreams {
  constructor (private readonly components: PeerStreamsComponents, private readonly log: Logger) {}

  /** A new stream for `protocol` to `peer`, on a connection without a data limit where one can be had. */
  readonly open = async (peer: PeerId, protocol: string, signal: AbortSignal): Promise<Stream> => {
    let connection = await this.components.connectionManager.openConnection(peer, { signal })
    if (connection.limits != null) connection = await this.unlimited(peer, connection, signal)
    return connection.newStream(protocol, { signal, runOnLimitedConnection: true })
  }

  /** @libp2p/webrtc's first dial fails now and then: a few tries before settling for the relay. */
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
}
