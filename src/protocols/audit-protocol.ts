/**
 * `/weft/audit/1.0.0`: a storage audit. The auditor writes one
 * `AuditChallenge` (a block's CID and a fresh random nonce) and closes its
 * side; the holder answers with one `AuditAnswer`: the proof
 * sha2-256(nonce || block bytes), or that it does not hold the block, or that
 * its audit budget is spent. The nonce is new for every challenge, so no
 * answer can be computed ahead or kept instead of the bytes; the auditor
 * gives the holder a deadline short enough that fetching the block from
 * another holder on demand does not pass over a slow or distant link (see
 * docs/protocols.md, "Storage audits", for what that does and does not
 * catch). A responder hashes at most its budget of bytes per hour.
 */

import { sha256 } from 'multiformats/hashes/sha2'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { AuditDeadlineError, ProtocolError } from '../errors.js'
import { describePeer, parseCid } from './cid-parsing.js'
import { AuditAnswer, AuditChallenge, AuditStatus } from './pb/audit.js'
import { ProtocolStream } from './protocol-stream.js'
import { abortOnFailure } from './request-abort.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { AbortOptions, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export const AUDIT_PROTOCOL = '/weft/audit/1.0.0'

/** Bytes of a challenge's nonce: exactly this many, from a cryptographic random source. */
export const AUDIT_NONCE_BYTES = 32

/** Bytes of a proof: a sha2-256 digest. */
export const AUDIT_PROOF_BYTES = 32

/** The largest audit message either side reads: a challenge is a CID (at most 128 bytes) and a nonce. */
export const MAX_AUDIT_MESSAGE_BYTES = 512

/** Inbound `/weft/audit/1.0.0` streams allowed at once on one connection: an auditor runs one audit at a time. */
export const AUDIT_MAX_INBOUND_STREAMS = 4

/** Outbound `/weft/audit/1.0.0` streams allowed at once on one connection. */
export const AUDIT_MAX_OUTBOUND_STREAMS = 4

/** How much of a responder's hourly budget one challenging peer may use: an eighth. */
export const AUDIT_PEER_SHARE = 8

/** Challenging peers whose spending a responder remembers; the longest-unseen is forgotten first. */
export const AUDIT_BUDGET_PEERS = 1024

/** sha2-256(nonce || bytes): the answer to a challenge. */
export async function auditProof (nonce: Uint8Array, bytes: Uint8Array): Promise<Uint8Array> {
  return (await sha256.digest(uint8ArrayConcat([nonce, bytes]))).digest
}

/** What a responder hashed answering audits, for the status. */
export interface AuditAnswerStats {
  /** Challenges answered with a proof. */
  proved: number
  /** Challenges for blocks not held here. */
  notHeld: number
  /** Challenges refused: the budget was spent. */
  busy: number
  /** Block bytes hashed for proofs. */
  bytesHashed: number
}

/**
 * A responder's audit budget: `bytesPerHour` of block bytes hashed for all
 * challengers together, and an `AUDIT_PEER_SHARE`th of it for any one, each
 * a bucket that refills continuously and holds one hour's worth. A peer
 * flooding challenges spends its own share and no one else's, so honest
 * auditors still get answers. A challenge is answered while its peer's
 * bucket and the total are not in debt, and charged the block's size after
 * (a bucket may go into debt by one block). 0 for no limit.
 */
export class AuditBudget {
  private readonly total: Bucket
  private readonly peers = new Map<string, Bucket>()

  constructor (private readonly bytesPerHour: number, private readonly now: () => number = () => performance.now()) {
    this.total = new Bucket(bytesPerHour, now())
  }

  /** Whether a challenge from `peer` may be answered now. */
  allows (peer: string): boolean {
    if (this.bytesPerHour <= 0) return true
    const now = this.now()
    return this.total.level(now) > 0 && this.bucketOf(peer, now).level(now) > 0
  }

  /** Charges `bytes` hashed for `peer`. */
  charge (peer: string, bytes: number): void {
    if (this.bytesPerHour <= 0) return
    const now = this.now()
    this.total.spend(bytes, now)
    this.bucketOf(peer, now).spend(bytes, now)
  }

  private bucketOf (peer: string, now: number): Bucket {
    let bucket = this.peers.get(peer)
    if (bucket != null) {
      // most recently seen last: the first entry is the one to forget
      this.peers.delete(peer)
    } else {
      bucket = new Bucket(this.bytesPerHour / AUDIT_PEER_SHARE, now)
      if (this.peers.size >= AUDIT_BUDGET_PEERS) this.peers.delete(this.peers.keys().next().value as string)
    }
    this.peers.set(peer, bucket)
    return bucket
  }
}

/** A token bucket of one hour's `perHour`, full at first. */
class Bucket {
  private available: number

  constructor (private readonly perHour: number, private last: number) {
    this.available = perHour
  }

  level (now: number): number {
    this.available = Math.min(this.perHour, this.available + (now - this.last) / 3_600_000 * this.perHour)
    this.last = now
    return this.available
  }

  spend (bytes: number, now: number): void {
    this.level(now)
    this.available -= bytes
  }
}

export interface AuditRequestHandlerOptions {
  /** Called with the error that made the handler abort a stream (usually a `ProtocolError`). */
  onError?: (err: Error, peer: PeerId) => void
  /** Abort a stream that is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
  /** Bytes hashed per hour; default none (no limit). */
  budget?: AuditBudget
  /** Counts what was answered; the caller reads it for the status. */
  stats?: AuditAnswerStats
}

/** A fresh `AuditAnswerStats`, all zero. */
export function emptyAnswerStats (): AuditAnswerStats {
  return { proved: 0, notHeld: 0, busy: 0, bytesHashed: 0 }
}

/**
 * The holder: answers a challenge from its own store's bytes (a missing block
 * file is found here: the store then forgets the block). A challenge that is
 * malformed, names a bad CID, carries a nonce of the wrong length or is
 * followed by more aborts the stream; the handler never throws.
 */
export function auditRequestHandler (blocks: Pick<LocalBlocks, 'get'>, options: AuditRequestHandlerOptions = {}): StreamHandler {
  const stats = options.stats ?? emptyAnswerStats()
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const wire = new ProtocolStream(stream, { peer: peer.toString(), idleTimeout: options.idleTimeout, maxMessageBytes: MAX_AUDIT_MESSAGE_BYTES })
    try {
      const challenge = await wire.read(AuditChallenge, 'audit challenge')
      const cid = parseCid(challenge.cid, wire.peer)
      if (challenge.nonce.byteLength !== AUDIT_NONCE_BYTES) {
        throw new ProtocolError(`${describePeer(wire.peer)} sent an audit challenge with a nonce of ${challenge.nonce.byteLength} bytes, not ${AUDIT_NONCE_BYTES}`, wire.peer)
      }
      await wire.expectEnd('audit challenge')
      let answer: Partial<AuditAnswer>
      if (options.budget != null && !options.budget.allows(peer.toString())) {
        stats.busy++
        answer = { status: AuditStatus.AUDIT_BUSY }
      } else {
        const bytes = await blocks.get(cid)
        if (bytes == null) {
          stats.notHeld++
          answer = { status: AuditStatus.AUDIT_NOT_HELD }
        } else {
          options.budget?.charge(peer.toString(), bytes.byteLength)
          stats.proved++
          stats.bytesHashed += bytes.byteLength
          answer = { status: AuditStatus.AUDIT_PROOF, proof: await auditProof(challenge.nonce, bytes) as Uint8Array<ArrayBuffer> }
        }
      }
      await wire.write(answer, AuditAnswer, 'audit answer')
      await wire.closeWrite()
    } catch (err: any) {
      stream.abort(err)
      options.onError?.(err, peer)
    }
  }
}

/** What a holder answered a challenge. */
export type AuditReply =
  { status: 'proof', proof: Uint8Array } |
  { status: 'not-held' } |
  { status: 'busy' }

export interface RequestAuditOptions extends AbortOptions {
  /** The holder, named in errors. */
  peer?: string
  /** How long after the challenge is sent the answer must have come (ms). */
  deadlineMs: number
  /** Fail when the holder is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

/**
 * The auditor: sends the challenge (`cid`, `nonce` of `AUDIT_NONCE_BYTES`) on
 * a fresh `/weft/audit/1.0.0` stream and resolves with the holder's reply.
 * Throws `AuditDeadlineError` when the answer has not come `deadlineMs` after
 * the challenge was sent, `ProtocolError` when the holder breaks the protocol
 * (an unknown status, a proof of the wrong length, more after the answer);
 * aborts the stream on any error and on `signal` (throwing its reason).
 * Checking the proof is the caller's: it needs the block's bytes.
 */
export async function requestAudit (stream: Stream, cid: CID, nonce: Uint8Array, options: RequestAuditOptions): Promise<AuditReply> {
  const { signal, peer, deadlineMs } = options
  if (nonce.byteLength !== AUDIT_NONCE_BYTES) throw new RangeError(`an audit nonce is ${AUDIT_NONCE_BYTES} bytes, got ${nonce.byteLength}`)
  const wire = new ProtocolStream(stream, { peer, idleTimeout: options.idleTimeout, maxMessageBytes: MAX_AUDIT_MESSAGE_BYTES })
  const deadline = new AbortController()
  const timer = setTimeout(() => { deadline.abort(new AuditDeadlineError(cid.toString(), peer, deadlineMs)) }, deadlineMs)
  const timed = signal == null ? deadline.signal : AbortSignal.any([signal, deadline.signal])
  const abort = abortOnFailure(stream, timed)
  try {
    timed.throwIfAborted()
    await wire.write({ cid: cid.bytes, nonce }, AuditChallenge, 'audit challenge', { signal: timed })
    await wire.closeWrite({ signal: timed })
    const answer = await wire.read(AuditAnswer, 'audit answer', { signal: timed })
    clearTimeout(timer)
    const reply = replyOf(answer, cid, peer)
    // in time: the close may follow at the stream's own pace
    await wire.expectEnd('audit answer', { signal })
    return reply
  } catch (err) {
    throw abort.fail(err)
  } finally {
    clearTimeout(timer)
    abort.release()
  }
}

function replyOf (answer: AuditAnswer, cid: CID, peer: string | undefined): AuditReply {
  const who = describePeer(peer)
  const proof = answer.proof ?? new Uint8Array(0)
  switch (answer.status) {
    case AuditStatus.AUDIT_PROOF:
      if (proof.byteLength !== AUDIT_PROOF_BYTES) {
        throw new ProtocolError(`${who} answered the audit of ${cid} with a proof of ${proof.byteLength} bytes, not ${AUDIT_PROOF_BYTES}`, peer)
      }
      return { status: 'proof', proof }
    case AuditStatus.AUDIT_NOT_HELD:
    case AuditStatus.AUDIT_BUSY:
      if (proof.byteLength > 0) throw new ProtocolError(`${who} answered the audit of ${cid} with a proof and the status ${answer.status}`, peer)
      return { status: answer.status === AuditStatus.AUDIT_BUSY ? 'busy' : 'not-held' }
    default:
      throw new ProtocolError(`${who} answered the audit of ${cid} with the unknown status ${String(answer.status)}`, peer)
  }
}
