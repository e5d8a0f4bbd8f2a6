// What a replica holder (a server) runs beyond what every node does: it
// takes pushed blocks it is responsible for (/weft/store/1.0.0) and forwards
// them along the replica set, answers `have` and storage audits, sweeps its
// blocks to keep their replica sets whole, and audits the other holders.
// Loaded by the storage service only on nodes that hold replicas, so a page's
// bundle carries none of it.
import { Auditor, type AuditStats } from '../placement/auditor.js'
import { Forwarder } from '../placement/forwarder.js'
import { RepairSchedule } from '../placement/repair-schedule.js'
import { Replicator, type RepairStats } from '../placement/replicator.js'
import { Responsibility } from '../placement/responsibility.js'
import { AuditBudget, auditRequestHandler, emptyAnswerStats, AUDIT_MAX_INBOUND_STREAMS, AUDIT_MAX_OUTBOUND_STREAMS, AUDIT_PROTOCOL, type AuditAnswerStats } from '../protocols/audit-protocol.js'
import { haveRequestHandler, HAVE_PROTOCOL } from '../protocols/have-protocol.js'
import { HAVE_MAX_INBOUND_STREAMS, HAVE_MAX_OUTBOUND_STREAMS, STORE_MAX_INBOUND_STREAMS, STORE_MAX_OUTBOUND_STREAMS, STORE_WINDOW } from '../protocols/limits.js'
import { gateStreams } from '../protocols/peer-gate.js'
import { storeRequestHandler, STORE_PROTOCOL, type Forward } from '../protocols/store-protocol.js'
import { StoreGuard } from './store-guard.js'
import type { ReplicaFinder } from '../placement/replica-finder.js'
import type { OpenStream } from '../placement/store-session.js'
import type { PeerLimits } from '../protocols/peer-limits.js'
import type { ServingStats, WeftStorageComponents } from './storage-types.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { Logger, PeerId } from '@libp2p/interface'

/** What a replica holder is made of: the storage service's parts and settings. */
export interface ReplicaHoldingInit {
  components: Pick<WeftStorageComponents, 'peerId' | 'registrar' | 'connectionManager'>
  blocks: LocalBlocks
  finder: ReplicaFinder
  open: OpenStream
  limits: PeerLimits
  log: Logger
  /** Aborts when the node stops. */
  signal: AbortSignal
  replication: number
  responsibilitySlack: number
  allowPeers: string[]
  /** 0: no sweeps. */
  repairIntervalMs: number
  repairBytesPerSecond: number
  audits: { perHour: number, deadlineMs: number, bytesPerHour: number }
  /** The service's counters; blocks stored for peers are counted here. */
  serving: Pick<ServingStats, 'blocksStored' | 'bytesStored'>
  onError: (err: Error, peer: PeerId) => void
  onRefused: (err: Error, peer: PeerId) => void
}

/** A replica holder's protocols, repair and audits, running; `stop` ends them all. */
export class ReplicaHolding {
  private readonly forwarder: Forwarder
  private readonly repair: { replicator: Replicator, schedule: RepairSchedule } | undefined
  private readonly auditor: Auditor
  private readonly answered: AuditAnswerStats = emptyAnswerStats()

  private constructor (private readonly init: ReplicaHoldingInit) {
    const { components, log, signal } = init
    this.forwarder = new Forwarder({
      self: components.peerId,
      replication: init.replication,
      slack: init.responsibilitySlack,
      finder: init.finder,
      open: init.open,
      storeProtocol: STORE_PROTOCOL,
      window: STORE_WINDOW,
      log,
      signal
    })
    this.auditor = new Auditor({
      self: components.peerId,
      replication: init.replication,
      blocks: init.blocks,
      finder: init.finder,
      open: init.open,
      log,
      auditsPerHour: init.audits.perHour,
      deadlineMs: init.audits.deadlineMs,
      // a holder that failed an audit no longer counts: its block goes to the next closest at once
      onFailure: (cid) => {
        this.repair?.replicator.repair([cid], signal).catch((err: Error) => {
          if (!signal.aborted) log.error('repair of %c after a failed audit failed: %s', cid, err.message)
        })
      }
    })
    if (init.repairIntervalMs > 0) {
      const replicator = new Replicator({
        self: components.peerId,
        replication: init.replication,
        blocks: init.blocks,
        finder: init.finder,
        open: init.open,
        log,
        bytesPerSecond: init.repairBytesPerSecond,
        excluded: (peer, cid) => this.auditor.failedHolder(peer, cid)
      })
      const schedule = new RepairSchedule({
        intervalMs: init.repairIntervalMs,
        sweep: async (sweepSignal, reason) => { await replicator.sweep(sweepSignal, { membershipChanged: reason === 'membership' }) },
        log
      })
      this.repair = { replicator, schedule }
    }
  }

  /** Registers the store, have and audit handlers, then starts repair and audits. */
  static async start (init: ReplicaHoldingInit): Promise<ReplicaHolding> {
    const holding = new ReplicaHolding(init)
    await holding.handle()
    holding.repair?.schedule.start()
    holding.auditor.start()
    return holding
  }

  private async handle (): Promise<void> {
    const { registrar, peerId } = this.init.components
    const { blocks, limits, onError, onRefused, serving } = this.init
    const common = { runOnLimitedConnection: true }
    const forward: Forward = async (cid, bytes, targets, waitFor, _from, provisional) => this.forwarder.forward(cid, bytes, targets, waitFor, provisional)
    const responsibility = new Responsibility({
      self: peerId,
      replication: this.init.replication,
      slack: this.init.responsibilitySlack,
      finder: this.init.finder,
      alive: peer => this.init.components.connectionManager.getConnections(peer).length > 0
    })
    const guard = new StoreGuard(responsibility, limits, this.init.allowPeers)
    await registrar.handle(STORE_PROTOCOL, storeRequestHandler(blocks, {
      onError,
      forward,
      admit: guard.admit,
      admitStream: guard.admitStream,
      onStored: (_cid, bytes) => { serving.blocksStored++; serving.bytesStored += bytes.byteLength }
    }), {
      ...common, maxInboundStreams: STORE_MAX_INBOUND_STREAMS, maxOutboundStreams: STORE_MAX_OUTBOUND_STREAMS
    })
    await registrar.handle(HAVE_PROTOCOL, gateStreams(haveRequestHandler(blocks, { onError }), HAVE_PROTOCOL, limits, onRefused), {
      ...common, maxInboundStreams: HAVE_MAX_INBOUND_STREAMS, maxOutboundStreams: HAVE_MAX_OUTBOUND_STREAMS
    })
    await registrar.handle(AUDIT_PROTOCOL, auditRequestHandler(blocks, { onError, stats: this.answered, budget: new AuditBudget(this.init.audits.bytesPerHour) }), {
      ...common, maxInboundStreams: AUDIT_MAX_INBOUND_STREAMS, maxOutboundStreams: AUDIT_MAX_OUTBOUND_STREAMS
    })
  }

  /** Servers joined or left: a sweep soon. */
  membershipChanged (): void {
    this.repair?.schedule.membershipChanged()
  }

  repairStats (): RepairStats | undefined {
    return this.repair?.replicator.status()
  }

  auditStats (): AuditStats & { answered: AuditAnswerStats } {
    return { ...this.auditor.status(), answered: { ...this.answered } }
  }

  async stop (): Promise<void> {
    await this.auditor.stop()
    await this.repair?.schedule.stop()
    this.forwarder.close()
    const { registrar } = this.init.components
    await registrar.unhandle(STORE_PROTOCOL)
    await registrar.unhandle(HAVE_PROTOCOL)
    await registrar.unhandle(AUDIT_PROTOCOL)
  }
}
