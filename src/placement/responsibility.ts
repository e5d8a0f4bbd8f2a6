import type { ReplicaFinder } from './replica-finder.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * How far past `replication` a server still counts itself (or another
 * server) among a block's replica set: the uploader's view of the closest
 * servers may differ from this server's by a few (churn, a lookup cut
 * short), never by many. Also the forwarder's tolerance for the targets it
 * is named.
 */
export const DEFAULT_RESPONSIBILITY_SLACK = 3

/**
 * A server not seen alive for this long (in a lookup's answer, identified
 * on a connection) no longer pushes this one out of a block's replica set.
 * Known servers are never forgotten otherwise, so without it the servers
 * that left over days would pile up closer to keys and make a server refuse
 * blocks it is, among the live servers, responsible for. Three default repair
 * intervals: each sweep looks up the server's own region, so live
 * neighbours are seen again well within it.
 */
export const RESPONSIBILITY_MEMORY_MS = 30 * 60_000

export interface ResponsibilityInit {
  /** This server. */
  self: PeerId
  replication: number
  /** Members beyond `replication` still accepted. Default `DEFAULT_RESPONSIBILITY_SLACK`. */
  slack?: number
  finder: Pick<ReplicaFinder, 'knownClosest'>
  /**
   * Whether a known server is alive as far as this node can tell: it has a
   * connection to it now. Only such servers push this one out of a block's
   * replica set. Default: every known server counts.
   */
  alive?: (peer: PeerId) => boolean
  /** For specs: ms since the epoch. */
  now?: () => number
}

/** Where a block's replica set lies, as this server sees it. */
export interface BlockMembers {
  /** Whether this server is among the block's `replication + slack` closest servers it knows. */
  self: boolean
  /** Whether `peer` is. */
  has: (peer: PeerId) => boolean
}

/**
 * The rule every path that stores a replica follows (a push from an
 * uploader, a forwarded push, a repair push): a server keeps a block as a
 * replica only when it sees itself among the block's `replication + slack`
 * closest servers it knows. The check asks no one: it reads the servers this
 * node learned of from lookups and identified connections, so in a network
 * smaller than `replication + slack` every server is responsible for every
 * block, and a server that knows too few servers accepts rather than
 * refuses (not knowing of a closer server is no reason to turn a block away).
 */
export class Responsibility {
  readonly slack: number

  constructor (private readonly init: ResponsibilityInit) {
    this.slack = init.slack ?? DEFAULT_RESPONSIBILITY_SLACK
  }

  /** How many of a block's closest servers count as its replica set, slack included. */
  get width (): number {
    return this.init.replication + this.slack
  }

  async members (cid: CID): Promise<BlockMembers> {
    const now = this.init.now?.() ?? Date.now()
    // a server that failed a push or a dial lately, or that this node holds no
    // connection to, may well be gone: counting it would refuse blocks this
    // server is, among the live servers, responsible for (the churn spec saw
    // it: killed servers named in lookups long after they died)
    const closest = await this.init.finder.knownClosest(cid, this.width, {
      seenSince: now - RESPONSIBILITY_MEMORY_MS,
      withDown: false,
      ...(this.init.alive != null ? { only: this.init.alive } : {})
    })
    const ids = new Set(closest.map(String))
    return {
      self: ids.has(this.init.self.toString()),
      has: peer => ids.has(peer.toString())
    }
  }

  /** The peers of `peers` this server also sees in the block's replica set (itself left out). */
  async among (cid: CID, peers: PeerId[]): Promise<PeerId[]> {
    const members = await this.members(cid)
    return peers.filter(peer => members.has(peer) && !peer.equals(this.init.self))
  }
}
