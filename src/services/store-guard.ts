import { STORE_PROTOCOL, type Admit, type AdmitStream } from '../protocols/store-protocol.js'
import type { Responsibility } from '../placement/responsibility.js'
import type { PeerLimits, PeerLimitStats } from '../protocols/peer-limits.js'

/** What the guard of a server's store did since start, for the status. */
export interface GuardStats extends PeerLimitStats {
  /** Servers this node knows of (and not down): what its responsibility check ranks. */
  knownServers: number
}

/**
 * Decides which pushed blocks a server keeps: only those it is responsible
 * for (see `Responsibility`), and from a peer outside the block's replica
 * set only within that peer's limits (see `PeerLimits`).
 *
 * A push from a fellow member of the block's replica set (a first holder
 * forwarding an upload, a server repairing) is replication, not an upload:
 * it is not charged to that server, or a busy neighbour forwarding every
 * upload of its region would soon be refused. An uploader is charged for the
 * block it sends to the first holder; what the first holder forwards is
 * bounded by the forwarder's own checks (it forwards only blocks it stored,
 * only to servers it sees in the replica set).
 *
 * A block a server is not responsible for is refused, not kept as cache:
 * a stranger's pushes must not be able to evict what fetches cached, and
 * the uploader gains nothing from a copy where no one looks for it.
 */
export class StoreGuard {
  private readonly allowed: Set<string> | undefined

  /** `allowPeers`: when not empty, the only PeerIds whose pushes are taken (`storage.allowPeers`). */
  constructor (private readonly responsibility: Responsibility, private readonly limits: PeerLimits, allowPeers: string[] = []) {
    this.allowed = allowPeers.length > 0 ? new Set(allowPeers) : undefined
  }

  readonly admit: Admit = async (cid, bytes, peer) => {
    if (this.allowed != null && !this.allowed.has(peer.toString())) {
      this.limits.count('notAllowed')
      return { admitted: false, status: 'limited', message: `${peer.toString()} is not in storage.allowPeers: this server takes blocks only from the peers listed there` }
    }
    const members = await this.responsibility.members(cid)
    if (!members.self) {
      this.limits.count('notResponsible')
      return { admitted: false, status: 'not-responsible', message: `this server is not among the ${this.responsibility.width} closest servers it knows to ${cid.toString()}: try a closer one` }
    }
    if (members.has(peer)) return { admitted: true }
    const refusal = this.limits.chargeStore(peer, bytes)
    if (refusal != null) return { admitted: false, status: 'limited', message: refusal.message }
    return { admitted: true, undo: () => { this.limits.refundStore(peer, bytes) } }
  }

  readonly admitStream: AdmitStream = peer => {
    const opened = this.limits.openStream(peer, STORE_PROTOCOL)
    return typeof opened === 'function' ? opened : { message: opened.message }
  }
}
