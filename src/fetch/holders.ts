import type { PeerId } from '@libp2p/interface'

/** What a fetch session knows of one peer. */
export interface Holder {
  id: PeerId
  /** Requests to it now in flight. */
  inflight: number
  /** Blocks it sent. */
  served: number
  /** Blocks it said it does not have. */
  misses: number
}

/**
 * The peers a fetch session has found holding blocks of the DAG it reads, and
 * how each did. The best candidate for the next block is a peer that has
 * served more than it missed, with the fewest requests in flight: that is
 * what spreads a file's blocks over every seeder (swarming). Peers that sent
 * wrong bytes or broke the protocol are dropped for the rest of the session.
 */
export class Holders {
  private readonly peers = new Map<string, Holder>()
  private readonly dropped = new Set<string>()

  /** Adds a peer believed to hold the DAG (it served the root, or is a provider). */
  add (id: PeerId): void {
    const key = id.toString()
    if (this.dropped.has(key) || this.peers.has(key)) return
    this.peers.set(key, { id, inflight: 0, served: 0, misses: 0 })
  }

  get (id: PeerId): Holder | undefined {
    return this.peers.get(id.toString())
  }

  /** Whether a peer misbehaved in this session. */
  isDropped (id: PeerId): boolean {
    return this.dropped.has(id.toString())
  }

  drop (id: PeerId): void {
    this.dropped.add(id.toString())
    this.peers.delete(id.toString())
  }

  /** Up to `count` peers worth asking first, best first, skipping `exclude`. */
  best (count: number, exclude: Set<string>): PeerId[] {
    return [...this.peers.values()]
      .filter(h => !exclude.has(h.id.toString()) && h.served >= h.misses)
      .sort((a, b) => a.inflight - b.inflight || b.served - a.served)
      .slice(0, count)
      .map(h => h.id)
  }
}
