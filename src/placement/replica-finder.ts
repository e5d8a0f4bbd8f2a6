import { byDistance } from './xor.js'
import type { PeerId, PeerRouting } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** kad-dht's K: a lookup answers with at most this many peers. */
export const LOOKUP_SIZE = 20

/** DHT lookups run at once by one node; more only contend for the same peers' stream limits. */
export const LOOKUP_CONCURRENCY = 4

/** How long one lookup may take; it then answers with what it found. */
export const LOOKUP_TIMEOUT_MS = 20_000

/** How long a small network's full membership, learned from lookups, is trusted. */
export const MEMBERSHIP_TTL_MS = 30_000

export interface ReplicaFinderInit {
  routing: Pick<PeerRouting, 'getClosestPeers'>
  /** How many peers this node is connected to: with none, kad-dht's lookup waits for one forever. */
  connections: () => number
  /** This node, when it holds replicas itself: then it is a candidate like any other. */
  self?: PeerId
}

/**
 * Finds a block's replica candidates: the DHT servers XOR-closest to the
 * block's key (its multihash), closest first.
 *
 * A lookup answers with up to K peers. When it answers with fewer, it has
 * seen every server there is, so for a while the closest servers of any other
 * key are computed from those peers without asking the network again. A file
 * of a thousand blocks then costs a handful of lookups in a small network,
 * and one lookup per block (LOOKUP_CONCURRENCY at a time) in a large one.
 */
export class ReplicaFinder {
  private known: { peers: Map<string, PeerId>, at: number } | undefined
  private running = 0
  private readonly queue: Array<() => void> = []

  constructor (private readonly init: ReplicaFinderInit) {}

  /**
   * `withSelf: false` leaves this node out (a fetch, which has looked in its
   * own store already). `fresh: true` asks the network even when the
   * membership is known: for when the known peers fell short (a lookup cut
   * short by a busy peer must not hide the rest of the network for long).
   */
  async candidates (cid: CID, signal: AbortSignal, options: { withSelf?: boolean, fresh?: boolean } = {}): Promise<PeerId[]> {
    const key = cid.multihash.bytes
    const self = this.init.self != null && options.withSelf !== false ? [this.init.self] : []
    const known = this.known
    if (options.fresh !== true && known != null && Date.now() - known.at < MEMBERSHIP_TTL_MS) {
      return byDistance(key, [...self, ...known.peers.values()])
    }
    const found = await this.lookup(key, signal)
    if (found.length < LOOKUP_SIZE) this.remember(found)
    const peers = found.filter(p => this.init.self?.equals(p) !== true)
    return byDistance(key, [...self, ...peers])
  }

  /**
   * Forgets the membership learned from lookups, so the next `candidates`
   * asks the network: for when servers joined or left (a server's replica
   * maintenance, after a change, must see the newcomer or miss the leaver).
   */
  forgetMembership (): void {
    this.known = undefined
  }

  private remember (peers: PeerId[]): void {
    const fresh = this.known != null && Date.now() - this.known.at < MEMBERSHIP_TTL_MS
    const map = fresh && this.known != null ? this.known.peers : new Map<string, PeerId>()
    for (const peer of peers) map.set(peer.toString(), peer)
    // a union that reached K is no longer "everyone": go back to lookups
    this.known = map.size < LOOKUP_SIZE ? { peers: map, at: fresh && this.known != null ? this.known.at : Date.now() } : undefined
  }

  private async lookup (key: Uint8Array, signal: AbortSignal): Promise<PeerId[]> {
    // a node alone (a first server, a page that lost its server) has no one
    // to ask; the lookup would wait for a peer instead of answering "no one"
    if (this.init.connections() === 0) return []
    signal = AbortSignal.any([signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
    await this.slot(signal)
    try {
      const found: PeerId[] = []
      try {
        for await (const peer of this.init.routing.getClosestPeers(key, { signal })) {
          if (!found.some(p => p.equals(peer.id))) found.push(peer.id)
        }
      } catch (err) {
        // a lookup cut short by its own time limit still tells what it found
        if (!signal.aborted || (signal.reason as Error)?.name !== 'TimeoutError') throw err
      }
      return found
    } finally {
      this.running--
      this.queue.shift()?.()
    }
  }

  private async slot (signal: AbortSignal): Promise<void> {
    if (this.running < LOOKUP_CONCURRENCY) {
      this.running++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.queue.indexOf(go)
        if (i >= 0) this.queue.splice(i, 1)
        reject(signal.reason)
      }
      const go = (): void => {
        signal.removeEventListener('abort', onAbort)
        this.running++
        resolve()
      }
      this.queue.push(go)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}
