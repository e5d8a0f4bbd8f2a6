import type { PeerId } from '@libp2p/interface'

/**
 * How long a region learned from a lookup is trusted. Servers that join
 * within it are still seen when this node connects to them (identify) or a
 * later lookup names them; the limit only bounds how long a newcomer nobody
 * told us of can be missed.
 */
export const REGION_TTL_MS = 60_000

/** How long a server that failed a dial or a push is left out of replica sets, unless it is seen again first. */
export const DOWN_MS = 120_000

/** A server this node knows of, with its Kademlia id as a number for XOR arithmetic. */
interface Known {
  peer: PeerId
  kad: bigint
  /** Left out of replica sets until then (ms since the epoch), unless seen again. */
  downUntil: number
  /** When it was last seen alive (ms since the epoch). */
  seenAt: number
}

/**
 * What one lookup showed: every server within `radius` of `centre` (by XOR
 * distance) was among its answers. A lookup that found fewer servers than it
 * can return saw the whole network: its radius is unbounded (`undefined`).
 */
interface Region {
  centre: bigint
  radius: bigint | undefined
  at: number
}

/**
 * The servers this node knows, and where in the key space that knowledge is
 * complete enough to place a block without asking the network.
 *
 * A lookup for key `c` that answers with the K servers closest to `c`, the
 * farthest at distance `r`, leaves no unknown server within `r` of `c`. For
 * another key `k`, any unknown server `p` has `d(p, k) >= d(p, c) - d(c, k) >
 * r - d(c, k)` (the XOR metric's triangle inequality). So when the n-th
 * closest known server to `k` lies within `r - d(c, k)`, no unknown server can
 * be among `k`'s n closest: one lookup answers for every key near enough to
 * its own, and a put or a repair sweep needs about one lookup per region of
 * the key space a replica set spans, not one per block.
 *
 * Known servers only accumulate (lookups, identify) so the test stays sound
 * as the map grows; a server that failed is left out for a while, which can
 * only make a key look less covered, never wrongly covered.
 */
export class Neighbourhood {
  private readonly known = new Map<string, Known>()
  private regions: Region[] = []

  constructor (private readonly now: () => number = Date.now) {}

  /** Servers known and not down. */
  get size (): number {
    const now = this.now()
    let live = 0
    for (const known of this.known.values()) if (known.downUntil <= now) live++
    return live
  }

  /** A server seen alive (in a lookup's answer, identified on a connection): known, and no longer down. */
  seen (peer: PeerId, kad: bigint): void {
    const key = peer.toString()
    const known = this.known.get(key)
    if (known != null) {
      known.downUntil = 0
      known.seenAt = this.now()
    } else {
      this.known.set(key, { peer, kad, downUntil: 0, seenAt: this.now() })
    }
  }

  /** A server that could not be reached or refused to hold replicas: left out for `DOWN_MS`, or until seen again. */
  down (peer: PeerId): void {
    const known = this.known.get(peer.toString())
    if (known != null) known.downUntil = this.now() + DOWN_MS
  }

  /** Forgets a server entirely (it left, or is not a server after all). */
  forget (peer: PeerId): void {
    this.known.delete(peer.toString())
  }

  /**
   * Records what a lookup for `centre` showed: `found` are the servers it
   * learned of (already passed to `seen`), `limit` how many a lookup returns.
   * The region reaches to the `limit`-th closest of them: a lookup walks
   * towards its centre, so it knows the servers nearest it best.
   */
  learned (centre: bigint, found: bigint[], limit: number): void {
    let radius: bigint | undefined
    if (found.length >= limit) {
      const distances = found.map(kad => kad ^ centre).sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
      radius = distances[limit - 1]
    }
    const now = this.now()
    this.regions = this.regions.filter(region => now - region.at < REGION_TTL_MS)
    this.regions.push({ centre, radius, at: now })
  }

  /** Forgets every region: servers joined or left, so what lookups showed may be out of date. */
  forgetRegions (): void {
    this.regions = []
  }

  /**
   * The live known servers closest to `target`, closest first, at most
   * `count`; `extra` (this node, when it holds replicas) competes like any
   * other. `withDown`: servers left out for failing count too (who belongs
   * to a replica set, rather than who to push to). `seenSince`: only servers
   * seen alive at or after that time (ms since the epoch) count. `only`:
   * only the known servers it says yes to (`extra` always counts).
   */
  closest (target: bigint, count: number, extra?: { peer: PeerId, kad: bigint }, options: { withDown?: boolean, seenSince?: number, only?: (peer: PeerId) => boolean } = {}): PeerId[] {
    return this.ranked(target, extra, options.withDown === true, options.seenSince ?? 0, options.only).slice(0, count).map(r => r.peer)
  }

  /**
   * Whether the `wanted` closest servers to `target` are known for sure: some
   * fresh region covers it (see the class comment). `extra` counts as known.
   * `since`: only regions learned at or after that time count.
   */
  covers (target: bigint, wanted: number, extra?: { peer: PeerId, kad: bigint }, since = 0): boolean {
    const now = this.now()
    const fresh = this.regions.filter(region => now - region.at < REGION_TTL_MS && region.at >= since)
    if (fresh.length === 0) return false
    const nth = this.nthDistance(target, wanted, extra)
    return fresh.some(region => {
      if (region.radius == null) return true
      if (nth == null) return false
      const offset = region.centre ^ target
      return offset <= region.radius && nth <= region.radius - offset
    })
  }

  /** The distance from `target` to its `n`-th closest live server, or undefined when fewer are known. */
  private nthDistance (target: bigint, n: number, extra?: { peer: PeerId, kad: bigint }): bigint | undefined {
    return this.ranked(target, extra, false)[n - 1]?.distance
  }

  /** The known servers (and `extra`) by XOR distance to `target`, closest first; those down left out unless `withDown`. */
  private ranked (target: bigint, extra: { peer: PeerId, kad: bigint } | undefined, withDown: boolean, seenSince = 0, only?: (peer: PeerId) => boolean): Array<{ peer: PeerId, distance: bigint }> {
    const now = this.now()
    const ranked: Array<{ peer: PeerId, distance: bigint }> = []
    for (const known of this.known.values()) {
      if (known.downUntil > now && !withDown) continue
      if (known.seenAt < seenSince) continue
      if (extra != null && known.peer.equals(extra.peer)) continue
      if (only != null && !only(known.peer)) continue
      ranked.push({ peer: known.peer, distance: known.kad ^ target })
    }
    if (extra != null) ranked.push({ peer: extra.peer, distance: extra.kad ^ target })
    return ranked.sort((a, b) => a.distance < b.distance ? -1 : a.distance > b.distance ? 1 : 0)
  }
}
