import { raceSignal } from 'race-signal'
import { Neighbourhood } from './neighbourhood.js'
import { kadId, kadNumber, peerKadId } from './xor.js'
import type { Logger, PeerId, PeerRouting } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** kad-dht's K: a lookup answers with at most this many peers. */
export const LOOKUP_SIZE = 20

/** DHT lookups run at once by one node; more only contend for the same peers' stream limits. */
export const LOOKUP_CONCURRENCY = 4

/** How long one lookup may take; it then answers with what it found. */
export const LOOKUP_TIMEOUT_MS = 20_000

/**
 * A `fresh` request is answered by a lookup that ended this recently and
 * covers its key: the blocks of one put that all fell short (a network
 * smaller than `replication`) share one lookup instead of one each.
 */
export const FRESH_WINDOW_MS = 2_000

/** Candidates handed out beyond the replica set: replacements for members that refuse or fail. */
export const SPARE_CANDIDATES = 10

export interface ReplicaFinderInit {
  routing: Pick<PeerRouting, 'getClosestPeers'>
  /** How many peers this node is connected to: with none, kad-dht's lookup waits for one forever. */
  connections: () => number
  /** Replicas wanted per block: how many closest servers must be known for sure. */
  replication: number
  /** This node, when it holds replicas (a DHT server taking replicas): a candidate like any other. */
  self: () => PeerId | undefined
  log?: Logger
  /** For specs: the clock the neighbourhood reads (ms since the epoch). */
  now?: () => number
}

/** What finding replica sets cost, for the status and the benchmark. */
export interface FinderStats {
  /** DHT lookups run. */
  lookups: number
  /** Replica sets answered from the neighbourhood without a lookup. */
  answeredLocally: number
  /** Servers known (and not down). */
  servers: number
}

/**
 * Finds a block's replica candidates: the servers XOR-closest to the block's
 * key (its multihash), closest first.
 *
 * Candidates come from the `Neighbourhood`: every server this node learned
 * of, from lookups and from identified connections. A lookup is run only for
 * a key the neighbourhood does not cover yet, and what it shows covers the
 * keys around it too (see `Neighbourhood`), so a put of a thousand blocks
 * costs about one lookup per region its replica sets span, and a lookup's
 * answer is never taken as all there is: a lookup cut short by a busy peer
 * adds what it found and hides nothing known from elsewhere.
 */
export class ReplicaFinder {
  private readonly map: Neighbourhood
  private readonly inFlight = new Set<Promise<void>>()
  private readonly stats = { lookups: 0, answeredLocally: 0 }
  private selfKad: { peer: PeerId, kad: bigint } | undefined

  constructor (private readonly init: ReplicaFinderInit) {
    this.map = new Neighbourhood(init.now)
  }

  /**
   * `withSelf: false` leaves this node out (a fetch, which has looked in its
   * own store already). `fresh: true` runs a lookup even where the
   * neighbourhood covers the key (unless one ended in the last
   * FRESH_WINDOW_MS): for when the known servers fell short.
   */
  async candidates (cid: CID, signal: AbortSignal, options: { withSelf?: boolean, fresh?: boolean } = {}): Promise<PeerId[]> {
    const key = cid.multihash.bytes
    const target = kadNumber(await kadId(key))
    const self = await this.self()
    const { replication } = this.init
    if (options.fresh === true) {
      if (!this.map.covers(target, replication, self, Date.now() - FRESH_WINDOW_MS)) await this.lookup(key, target, signal)
    } else {
      let looked = false
      while (!this.map.covers(target, replication, self)) {
        if (this.inFlight.size < LOOKUP_CONCURRENCY) {
          await this.lookup(key, target, signal)
          looked = true
          break
        }
        // another lookup may cover this key too: wait for one to end, then look again
        await raceSignal(Promise.race(this.inFlight), signal)
      }
      if (!looked) this.stats.answeredLocally++
    }
    const count = replication + SPARE_CANDIDATES
    const closest = this.map.closest(target, count, options.withSelf === false ? undefined : self)
    return options.withSelf === false && self != null ? closest.filter(p => !p.equals(self.peer)) : closest
  }

  /**
   * The known servers closest to a block, this node among them when it holds
   * replicas, without asking the network whatever the neighbourhood covers:
   * for checks on a hot path that a wrong "no" only makes costlier (a
   * forwarding server's check of the targets it is given).
   */
  async knownClosest (cid: CID, count: number, options: { seenSince?: number, withDown?: boolean, only?: (peer: PeerId) => boolean } = {}): Promise<PeerId[]> {
    const target = kadNumber(await kadId(cid.multihash.bytes))
    // a member that failed a push lately is still a member, unless the caller says otherwise
    return this.map.closest(target, count, await this.self(), { withDown: true, ...options })
  }

  /**
   * Runs a lookup for `key` (a server's own id, before a repair sweep): its
   * region then answers for the blocks around it.
   */
  async explore (key: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.lookup(key, kadNumber(await kadId(key)), signal)
  }

  /** A server seen alive outside lookups (it identified on a connection with the store protocol). */
  async seen (peer: PeerId): Promise<void> {
    this.map.seen(peer, kadNumber(await peerKadId(peer)))
  }

  /** A server that failed a dial or a push: left out of replica sets for a while. */
  down (peer: PeerId): void {
    this.map.down(peer)
  }

  /** A peer that is no server after all (it does not speak the store protocol). */
  forget (peer: PeerId): void {
    this.map.forget(peer)
  }

  /**
   * Forgets what lookups showed, so the next `candidates` asks the network:
   * for when servers joined or left (a server's replica maintenance, after a
   * change, must see the newcomer or miss the leaver).
   */
  forgetMembership (): void {
    this.map.forgetRegions()
  }

  status (): FinderStats {
    return { ...this.stats, servers: this.map.size }
  }

  private async self (): Promise<{ peer: PeerId, kad: bigint } | undefined> {
    const peer = this.init.self()
    if (peer == null) return undefined
    if (this.selfKad == null || !this.selfKad.peer.equals(peer)) this.selfKad = { peer, kad: kadNumber(await peerKadId(peer)) }
    return this.selfKad
  }

  /** One lookup, counted among those in flight; learns what it found. Never rejects but with the caller's signal. */
  private async lookup (key: Uint8Array, target: bigint, signal: AbortSignal): Promise<void> {
    // a node alone (a first server, a page that lost its server) has no one
    // to ask; the lookup would wait for a peer instead of answering "no one"
    if (this.init.connections() === 0) return
    const running = this.run(key, target, signal)
    this.inFlight.add(running)
    try {
      await running
    } finally {
      this.inFlight.delete(running)
    }
    signal.throwIfAborted()
  }

  private async run (key: Uint8Array, target: bigint, callerSignal: AbortSignal): Promise<void> {
    this.stats.lookups++
    const signal = AbortSignal.any([callerSignal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
    const found = new Map<string, PeerId>()
    // servers the answering peers named: in their routing tables, so DHT
    // servers, even when this node's own request to them timed out (a busy
    // network), which would keep them out of the lookup's answer
    const named = new Map<string, PeerId>()
    const onProgress = (evt: { type: string, detail?: any }): void => {
      if (evt.type !== 'kad-dht:query:peer-response') return
      for (const peer of evt.detail?.closer ?? []) named.set(peer.id.toString(), peer.id)
    }
    let complete = true
    try {
      for await (const peer of this.init.routing.getClosestPeers(key, { signal, onProgress })) {
        found.set(peer.id.toString(), peer.id)
      }
    } catch (err) {
      // a lookup cut short still tells what it found; it shows no region
      complete = false
      if (!callerSignal.aborted) this.init.log?.('lookup for %b ended early: %s', key, (err as Error).message)
    }
    for (const [id, peer] of found) named.set(id, peer)
    const self = this.init.self()
    const kads: bigint[] = []
    for (const peer of named.values()) {
      if (self?.equals(peer) === true) continue
      const kad = kadNumber(await peerKadId(peer))
      this.map.seen(peer, kad)
      kads.push(kad)
    }
    if (complete) this.map.learned(target, kads, LOOKUP_SIZE)
  }
}
