/**
 * What one peer may take from a server: bytes it stores (per hour and in
 * all), streams it holds open per protocol, bytes it is served per second.
 * Weft has no payments, so these limits are what keeps one script from
 * filling a farmer's disk or link. See docs/security.md.
 */

import { realClock, type Clock } from '../clock.js'
import type { PeerId } from '@libp2p/interface'

/** The limits, each 0 for none. Named in refusals by their setting. */
export interface PeerLimitSettings {
  /** `storage.peerStoreBytesPerHour`: block bytes one peer may store here per hour (a bucket refilling over the hour). */
  storeBytesPerHour: number
  /** `storage.peerStoreBytes`: block bytes one peer may store here in all, since the server started. */
  storeBytes: number
  /** `storage.peerStreams`: streams one peer may have open at once, per weft protocol, over all its connections. */
  streams: number
  /** `storage.peerServeBytesPerSecond`: block bytes served to one peer per second; more waits its turn. */
  serveBytesPerSecond: number
}

/** Why a server refused a peer something: a limit (by setting), responsibility, or `storage.allowPeers`. */
export type RefusalReason = 'notResponsible' | 'peerStoreBytesPerHour' | 'peerStoreBytes' | 'peerStreams' | 'notAllowed'

/** What the limits did since start, for the status. */
export interface PeerLimitStats {
  /** Refusals by reason. */
  refusals: Record<RefusalReason, number>
  /** Blocks whose serving waited for the peer's share (`storage.peerServeBytesPerSecond`). */
  servesPaced: number
}

/** Peers tracked at most; past it, those that hold nothing open and used no bytes lately are forgotten. */
export const MAX_TRACKED_PEERS = 10_000

/** A refusal: `limit` is the setting, `message` says what the peer did. */
export interface LimitRefusal {
  limit: RefusalReason
  message: string
}

/**
 * A token bucket of `capacity` refilling at `capacity` per `periodMs`:
 * `tryTake` takes only what is there (a refusal never waits), `take` waits
 * for its share (pacing).
 */
class Bucket {
  private level: number
  private last: number

  constructor (private readonly capacity: number, private readonly periodMs: number, private readonly clock: Clock) {
    this.level = capacity
    this.last = clock.now()
  }

  get full (): boolean {
    this.refill()
    return this.level >= this.capacity
  }

  /** Takes `n` if there, else takes nothing; one item bigger than the bucket passes only when it is full. */
  tryTake (n: number): boolean {
    this.refill()
    if (this.level >= n || (this.level >= this.capacity && n > this.capacity)) {
      this.level -= n
      return true
    }
    return false
  }

  give (n: number): void {
    this.level = Math.min(this.capacity, this.level + n)
  }

  /** Takes `n`, going into debt, and resolves once the debt is paid off; true when it had to wait. */
  async take (n: number, signal: AbortSignal): Promise<boolean> {
    this.refill()
    this.level -= n
    if (this.level >= 0) return false
    await this.clock.sleep(-this.level / this.capacity * this.periodMs, signal)
    return true
  }

  private refill (): void {
    const now = this.clock.now()
    this.level = Math.min(this.capacity, this.level + (now - this.last) / this.periodMs * this.capacity)
    this.last = now
  }
}

interface PeerUse {
  hour?: Bucket
  stored: number
  streams: Map<string, number>
  serve?: Bucket
}

const HOUR_MS = 3_600_000

/**
 * Per-peer accounting for one server. In memory: a restart forgets it (the
 * total is "since start"), and past `MAX_TRACKED_PEERS` peers idle ones are
 * forgotten, so the accounting itself cannot be grown without bound.
 */
export class PeerLimits {
  private readonly peers = new Map<string, PeerUse>()
  private readonly stats: PeerLimitStats = {
    refusals: { notResponsible: 0, peerStoreBytesPerHour: 0, peerStoreBytes: 0, peerStreams: 0, notAllowed: 0 },
    servesPaced: 0
  }

  constructor (readonly settings: PeerLimitSettings, private readonly clock: Clock = realClock) {}

  status (): PeerLimitStats {
    return { refusals: { ...this.stats.refusals }, servesPaced: this.stats.servesPaced }
  }

  /** Counts a refusal made elsewhere (responsibility). */
  count (reason: RefusalReason): void {
    this.stats.refusals[reason]++
  }

  /**
   * Charges `bytes` a peer asks to store against its limits, or refuses
   * naming the limit (and charges nothing). Undo with `refundStore` when the
   * block is not stored after all.
   */
  chargeStore (peer: PeerId, bytes: number): LimitRefusal | undefined {
    const { storeBytesPerHour, storeBytes } = this.settings
    const use = this.use(peer)
    if (storeBytes > 0 && use.stored + bytes > storeBytes) {
      return this.refuse('peerStoreBytes', `${peer.toString()} has stored ${use.stored} bytes here, and ${bytes} more would pass storage.peerStoreBytes (${storeBytes})`)
    }
    if (storeBytesPerHour > 0) {
      use.hour ??= new Bucket(storeBytesPerHour, HOUR_MS, this.clock)
      if (!use.hour.tryTake(bytes)) {
        return this.refuse('peerStoreBytesPerHour', `${peer.toString()} stored more than storage.peerStoreBytesPerHour (${storeBytesPerHour}) in the last hour: try later`)
      }
    }
    use.stored += bytes
    return undefined
  }

  refundStore (peer: PeerId, bytes: number): void {
    const use = this.peers.get(peer.toString())
    if (use == null) return
    use.stored = Math.max(0, use.stored - bytes)
    use.hour?.give(bytes)
  }

  /**
   * A stream of `protocol` opened by `peer`: a function to call when it
   * ends, or a refusal when the peer has `storage.peerStreams` open already.
   */
  openStream (peer: PeerId, protocol: string): (() => void) | LimitRefusal {
    const { streams } = this.settings
    const use = this.use(peer)
    const open = use.streams.get(protocol) ?? 0
    if (streams > 0 && open >= streams) {
      return this.refuse('peerStreams', `${peer.toString()} has ${open} ${protocol} streams open, the most storage.peerStreams (${streams}) allows`)
    }
    use.streams.set(protocol, open + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const now = (use.streams.get(protocol) ?? 1) - 1
      if (now > 0) use.streams.set(protocol, now)
      else use.streams.delete(protocol)
    }
  }

  /** Resolves once `bytes` may be served to `peer` within its share; rejects with the signal's reason. */
  async paceServe (peer: PeerId, bytes: number, signal: AbortSignal): Promise<void> {
    const { serveBytesPerSecond } = this.settings
    if (serveBytesPerSecond <= 0) return
    const use = this.use(peer)
    use.serve ??= new Bucket(serveBytesPerSecond, 1000, this.clock)
    if (await use.serve.take(bytes, signal)) this.stats.servesPaced++
  }

  private refuse (limit: RefusalReason, message: string): LimitRefusal {
    this.stats.refusals[limit]++
    return { limit, message }
  }

  private use (peer: PeerId): PeerUse {
    const key = peer.toString()
    let use = this.peers.get(key)
    if (use == null) {
      if (this.peers.size >= MAX_TRACKED_PEERS) this.forgetIdle()
      use = { stored: 0, streams: new Map() }
      this.peers.set(key, use)
    }
    return use
  }

  /** Forgets peers with nothing open and full buckets: they would start afresh anyway, but for their total. */
  private forgetIdle (): void {
    for (const [key, use] of this.peers) {
      if (use.streams.size === 0 && use.hour?.full !== false && use.serve?.full !== false) this.peers.delete(key)
    }
  }
}
