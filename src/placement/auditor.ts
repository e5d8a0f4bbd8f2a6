import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { AUDIT_NONCE_BYTES, AUDIT_PROTOCOL, auditProof, requestAudit } from '../protocols/audit-protocol.js'
import { HAVE_PROTOCOL, requestHave } from '../protocols/have-protocol.js'
import { verifyBlock } from '../protocols/verify-block.js'
import { realClock, type Clock } from '../clock.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { OpenStream } from './store-session.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * How long a holder that failed an audit of a block is not counted as
 * holding it (and gets it from no one: a holder that lies about keeping it
 * would only lie again). It is then asked and audited like any other.
 */
export const FAILED_HOLDER_TTL_MS = 24 * 3_600_000

/** Failed (holder, block) pairs remembered at most; the oldest is forgotten first. */
export const MAX_FAILED_HOLDERS = 10_000

/** Failures kept for the status, newest last. */
export const RECENT_FAILURES = 10

/** Why a holder failed an audit. */
export type AuditFailureReason =
  /** its proof was not sha2-256(nonce || the block's bytes) */
  'wrong' |
  /** no answer within the deadline */
  'late' |
  /** it said kept over `/weft/have/1.0.0`, then that it does not hold the block */
  'not-held' |
  /** it refused: its audit budget was spent */
  'busy' |
  /** the stream failed or the answer broke the protocol after it said kept */
  'broken'

/** One audit a holder failed. */
export interface AuditFailure {
  cid: string
  peer: string
  reason: AuditFailureReason
  /** ms since the epoch */
  at: number
  detail?: string
}

/** What audits have found since the node started, for the node's status. */
export interface AuditStats {
  /** Audits that reached a verdict: a holder passed or failed. */
  audits: number
  passed: number
  failed: number
  /** Failures by reason. */
  failures: Record<AuditFailureReason, number>
  /** Audit rounds that found nothing to audit: no other holder, none reachable, this server's own copy missing or damaged. */
  skipped: number
  /** Block bytes this server hashed for its own audits (checking its copy, then the expected proof). */
  bytesHashed: number
  /** (Holder, block) pairs not counted as holdings now, after a failed audit. */
  failedHolders: number
  /** When the last audit reached a verdict, ms since the epoch. */
  lastAuditAt?: number
  /** The last RECENT_FAILURES failures, newest last. */
  recent: AuditFailure[]
}

/** How one audit round ended. */
export type AuditOutcome =
  { verdict: 'passed', cid: CID, peer: PeerId } |
  { verdict: 'failed', cid: CID, peer: PeerId, reason: AuditFailureReason } |
  { verdict: 'skipped', why: string }

export interface AuditorInit {
  /** This server. */
  self: PeerId
  /** Replicas per block: the other holders audited are among the block's `replication` closest. */
  replication: number
  blocks: Pick<LocalBlocks, 'kept' | 'get'>
  finder: Pick<ReplicaFinder, 'candidates'>
  open: OpenStream
  log: Logger
  /** Audits this server starts per hour; 0 starts none (`auditOnce` still works). */
  auditsPerHour: number
  /**
   * Time a holder has to answer beyond one round trip (measured by the have
   * request just before): reading and hashing a block takes milliseconds;
   * fetching it from elsewhere takes a round trip to another holder and the
   * transfer.
   */
  deadlineMs: number
  /** A holder failed: the replicator is told to restore the block's replica set. */
  onFailure?: (cid: CID, peer: PeerId, reason: AuditFailureReason) => void
  /** For specs: the clock the schedule sleeps on and the round trip is timed by. */
  clock?: Clock
  /** For specs: a random source in [0, 1) (which block, which holder, jitter). Default `Math.random`. */
  random?: () => number
  /** For specs: the nonce source. Default `crypto.getRandomValues`. */
  nonce?: () => Uint8Array
}

/**
 * Storage audits on a server: now and then (`auditsPerHour`, jittered) it
 * picks one block it keeps and one other holder among the block's closest
 * servers that says it keeps it (`/weft/have/1.0.0`), and challenges it over
 * `/weft/audit/1.0.0` with a fresh nonce. A wrong proof, no answer within
 * the deadline, "not held" or "busy" is a failure: that holder is no longer
 * counted as holding the block (`failedHolder`, which the replicator reads),
 * and `onFailure` has the block's replica set restored on another server.
 *
 * Bounded: one audit at a time, `auditsPerHour` of them, each hashing the
 * block twice here (checking this server's own copy first, so a damaged copy
 * never blames an honest holder) and once at the holder.
 */
export class Auditor {
  private readonly stats: AuditStats = {
    audits: 0, passed: 0, failed: 0, skipped: 0, bytesHashed: 0, failedHolders: 0, recent: [],
    failures: { wrong: 0, late: 0, 'not-held': 0, busy: 0, broken: 0 }
  }

  /** `${peer}/${cid}` → when the pair counts again (clock ms). Insertion order is age. */
  private readonly failedPairs = new Map<string, number>()
  private readonly clock: Clock
  private readonly random: () => number
  private readonly nonce: () => Uint8Array
  private stopping: AbortController | undefined
  private running: Promise<void> | undefined

  constructor (private readonly init: AuditorInit) {
    this.clock = init.clock ?? realClock
    this.random = init.random ?? Math.random
    this.nonce = init.nonce ?? (() => crypto.getRandomValues(new Uint8Array(AUDIT_NONCE_BYTES)))
  }

  /** Starts auditing every 3600 / `auditsPerHour` s (±25 %); nothing when it is 0. */
  start (): void {
    if (this.init.auditsPerHour <= 0 || this.running != null) return
    const stopping = this.stopping = new AbortController()
    this.running = this.loop(stopping.signal)
  }

  /** Stops the schedule, aborting an audit under way, and waits for it. */
  async stop (): Promise<void> {
    this.stopping?.abort()
    await this.running
    this.running = undefined
  }

  status (): AuditStats {
    this.expire()
    return { ...this.stats, failures: { ...this.stats.failures }, recent: [...this.stats.recent], failedHolders: this.failedPairs.size }
  }

  /** Whether `peer` failed an audit of `cid` lately: then it does not count as holding it. */
  failedHolder (peer: PeerId, cid: CID): boolean {
    const until = this.failedPairs.get(pairKey(peer, cid))
    if (until == null) return false
    if (until > this.clock.now()) return true
    this.failedPairs.delete(pairKey(peer, cid))
    return false
  }

  /** One audit round: a random kept block, a random other holder of it. Never rejects but with the signal's reason. */
  async auditOnce (signal: AbortSignal): Promise<AuditOutcome> {
    const cid = this.pickBlock()
    if (cid == null) return this.skip('this server keeps no blocks')
    return this.audit(cid, signal)
  }

  /** Audits one other holder of `cid` (which this server keeps). Never rejects but with the signal's reason. */
  async audit (cid: CID, signal: AbortSignal): Promise<AuditOutcome> {
    let holders: PeerId[]
    try {
      holders = await this.otherHolders(cid, signal)
    } catch (err) {
      signal.throwIfAborted()
      return this.skip(`finding the holders of ${cid} failed: ${(err as Error).message}`)
    }
    if (holders.length === 0) return this.skip(`${cid} has no other holder among its ${this.init.replication} closest`)
    const peer = holders[Math.floor(this.random() * holders.length)]

    let roundTripMs: number
    try {
      const asked = this.clock.now()
      const stream = await this.init.open(peer, HAVE_PROTOCOL, signal)
      const [holding] = await requestHave(stream, [cid], { signal, peer: peer.toString() })
      roundTripMs = this.clock.now() - asked
      // not a holder: nothing to audit; the replicator pushes it the block
      if (holding !== 'kept') return this.skip(`${peer} does not say it keeps ${cid} (${holding})`)
    } catch (err) {
      signal.throwIfAborted()
      return this.skip(`could not ask ${peer} about ${cid}: ${(err as Error).message}`)
    }

    const expected = await this.expectedProof(cid, signal)
    if (typeof expected === 'string') return this.skip(expected)
    const { nonce, proof } = expected

    const deadlineMs = Math.ceil(this.init.deadlineMs + roundTripMs)
    let detail: string | undefined
    let reason: AuditFailureReason | undefined
    try {
      const stream = await this.init.open(peer, AUDIT_PROTOCOL, signal)
      const reply = await requestAudit(stream, cid, nonce, { signal, peer: peer.toString(), deadlineMs })
      if (reply.status === 'busy') reason = 'busy'
      else if (reply.status === 'not-held') reason = 'not-held'
      else if (!uint8ArrayEquals(reply.proof, proof)) reason = 'wrong'
    } catch (err: any) {
      signal.throwIfAborted()
      reason = err?.name === 'AuditDeadlineError' ? 'late' : 'broken'
      detail = err?.message
    }
    this.stats.audits++
    this.stats.lastAuditAt = Date.now()
    if (reason == null) {
      this.stats.passed++
      this.failedPairs.delete(pairKey(peer, cid))
      return { verdict: 'passed', cid, peer }
    }
    this.recordFailure(cid, peer, reason, detail)
    return { verdict: 'failed', cid, peer, reason }
  }

  private async loop (signal: AbortSignal): Promise<void> {
    const intervalMs = 3_600_000 / this.init.auditsPerHour
    while (!signal.aborted) {
      try {
        await this.clock.sleep(intervalMs * (0.75 + this.random() / 2), signal)
        await this.auditOnce(signal)
      } catch (err) {
        if (signal.aborted) return
        this.init.log.error('audit: %s', (err as Error).message)
      }
    }
  }

  /** A uniformly random block of those kept (one pass over the index: reservoir sampling). */
  private pickBlock (): CID | undefined {
    let chosen: CID | undefined
    let seen = 0
    for (const cid of this.init.blocks.kept()) {
      seen++
      if (this.random() * seen < 1) chosen = cid
    }
    return chosen
  }

  /** The block's closest servers besides this one, less those that failed an audit of it. */
  private async otherHolders (cid: CID, signal: AbortSignal): Promise<PeerId[]> {
    const candidates = await this.init.finder.candidates(cid, signal, { withSelf: true })
    const others: PeerId[] = []
    let members = 0
    for (const peer of candidates) {
      if (members >= this.init.replication) break
      if (peer.equals(this.init.self)) {
        members++
        continue
      }
      if (this.failedHolder(peer, cid)) continue
      members++
      others.push(peer)
    }
    return others
  }

  /** The nonce and the proof an honest holder answers, from this server's own verified copy; else why not. */
  private async expectedProof (cid: CID, signal: AbortSignal): Promise<{ nonce: Uint8Array, proof: Uint8Array } | string> {
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.init.blocks.get(cid, { signal })
    } catch (err) {
      signal.throwIfAborted()
      return `reading ${cid} here failed: ${(err as Error).message}`
    }
    if (bytes == null) return `${cid} is no longer stored here`
    try {
      await verifyBlock(cid, bytes)
    } catch (err) {
      this.stats.bytesHashed += bytes.byteLength
      this.init.log.error('audit: this server\'s own copy of %c is damaged; not auditing others with it', cid)
      return `this server's own copy of ${cid} is damaged: ${(err as Error).message}`
    }
    const nonce = this.nonce()
    this.stats.bytesHashed += 2 * bytes.byteLength
    return { nonce, proof: await auditProof(nonce, bytes) }
  }

  private recordFailure (cid: CID, peer: PeerId, reason: AuditFailureReason, detail: string | undefined): void {
    this.stats.failed++
    this.stats.failures[reason]++
    this.stats.recent.push({ cid: cid.toString(), peer: peer.toString(), reason, at: Date.now(), ...(detail != null ? { detail } : {}) })
    if (this.stats.recent.length > RECENT_FAILURES) this.stats.recent.shift()
    const key = pairKey(peer, cid)
    this.failedPairs.delete(key)
    this.failedPairs.set(key, this.clock.now() + FAILED_HOLDER_TTL_MS)
    if (this.failedPairs.size > MAX_FAILED_HOLDERS) this.failedPairs.delete(this.failedPairs.keys().next().value as string)
    this.init.log.error('audit: %p failed the audit of %c (%s%s): no longer counted as holding it', peer, cid, reason, detail != null ? `: ${detail}` : '')
    this.init.onFailure?.(cid, peer, reason)
  }

  private skip (why: string): AuditOutcome {
    this.stats.skipped++
    this.init.log('audit skipped: %s', why)
    return { verdict: 'skipped', why }
  }

  /** Drops expired pairs from the front (oldest first), so the count in the status is current. */
  private expire (): void {
    const now = this.clock.now()
    for (const [key, until] of this.failedPairs) {
      if (until > now) break
      this.failedPairs.delete(key)
    }
  }
}

function pairKey (peer: PeerId, cid: CID): string {
  return `${peer.toString()}/${uint8ArrayToString(cid.multihash.bytes, 'base64')}`
}
