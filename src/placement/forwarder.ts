import { DEFAULT_RESPONSIBILITY_SLACK } from './responsibility.js'
import { Slots } from './slots.js'
import { unreachable } from './unreachable.js'
import { StoreSession, type OpenStream } from './store-session.js'
import type { Forwarded } from '../protocols/store-protocol.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * How far down its own candidate list a server accepts a forward target by
 * default: the same slack as it allows itself when it decides whether to keep
 * a pushed block (see `Responsibility`).
 */
export const FORWARD_SLACK = DEFAULT_RESPONSIBILITY_SLACK

/** Blocks a server forwards at once, over all uploaders: bounds the memory forwarding holds. */
export const FORWARDS_IN_FLIGHT = 16

/**
 * Longest a first holder waits for its targets before it answers with those
 * that confirmed (the rest pending): well inside the uploader's push
 * time-out, so one silent target costs the uploader a push to the next
 * closest, not the blame for this server's silence.
 */
export const FORWARD_ANSWER_MS = 5_000

export interface ForwarderInit {
  /** This server. */
  self: PeerId
  replication: number
  /** Members past `replication` accepted as targets (default `FORWARD_SLACK`): the rule a target applies to itself. */
  slack?: number
  finder: Pick<ReplicaFinder, 'knownClosest' | 'down'>
  open: OpenStream
  storeProtocol: string
  /** Blocks in flight per peer stream. */
  window: number
  log: Logger
  signal: AbortSignal
  /** How long the answer may wait for `waitFor` confirmations (default FORWARD_ANSWER_MS). */
  answerWithinMs?: number
}

/** What forwarding has done since start, for the node's status. */
export interface ForwardStats {
  /** Blocks pushed on to another member of their replica set that confirmed. */
  forwarded: number
  /** Forward targets refused because this server does not see them among the block's closest. */
  refusedTargets: number
  /** Pushes on that failed or were refused by the target. */
  failures: number
}

/**
 * The first holder's half of a put: a server that took a block from an
 * uploader pushes it on to the rest of the block's replica set, so the
 * uploader's link carries each byte once. Every hop verifies the block (the
 * store protocol does). A target is pushed to only when this server, too,
 * sees it among the block's closest servers: a store request cannot make a
 * server send blocks to whoever it names. The answer waits for `waitFor`
 * confirmations; the other pushes finish after it.
 */
export class Forwarder {
  private readonly session: StoreSession
  private readonly stats: ForwardStats = { forwarded: 0, refusedTargets: 0, failures: 0 }
  private readonly slots = new Slots(FORWARDS_IN_FLIGHT)

  constructor (private readonly init: ForwarderInit) {
    this.session = new StoreSession(init.open, init.storeProtocol, init.signal, init.window)
  }

  status (): ForwardStats {
    return { ...this.stats }
  }

  /** `provisional`: the uploader's put is not finished; the targets are told so too. */
  async forward (cid: CID, bytes: Uint8Array, targets: PeerId[], waitFor: number, provisional = false): Promise<Forwarded> {
    const accepted = await this.responsible(cid, targets)
    const holders: PeerId[] = []
    let settled = 0
    let answer: (() => void) | undefined
    const answered = new Promise<void>(resolve => { answer = resolve })
    const enough = (): boolean => holders.length >= waitFor || settled === accepted.length
    if (enough()) answer?.()
    for (const peer of accepted) {
      void this.pushTo(peer, cid, bytes, provisional).then(stored => {
        settled++
        if (stored) holders.push(peer)
        if (enough()) answer?.()
      })
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<void>(resolve => { timer = setTimeout(resolve, this.init.answerWithinMs ?? FORWARD_ANSWER_MS) })
    await Promise.race([answered, late])
    clearTimeout(timer)
    return { holders: [...holders], pending: accepted.length - settled }
  }

  /** Ends the forwarding streams (after their pending blocks are answered). */
  close (): void {
    this.session.close()
  }

  /**
   * The targets this server also sees among the block's closest servers it
   * knows. No lookup: the check is on every forwarded block's path, and a
   * target refused for want of knowledge costs only the uploader's push.
   */
  private async responsible (cid: CID, targets: PeerId[]): Promise<PeerId[]> {
    const closest = await this.init.finder.knownClosest(cid, this.init.replication + (this.init.slack ?? FORWARD_SLACK))
    const allowed = new Set(closest.map(String))
    const accepted = targets.filter(peer => allowed.has(peer.toString()) && !peer.equals(this.init.self))
    this.stats.refusedTargets += targets.length - accepted.length
    return accepted
  }

  /** Pushes one block to one target; true once it confirmed. Never rejects. */
  private async pushTo (peer: PeerId, cid: CID, bytes: Uint8Array, provisional: boolean): Promise<boolean> {
    try {
      await this.slots.take(this.init.signal)
    } catch {
      return false
    }
    try {
      const answer = await this.session.push(peer, cid, bytes, undefined, provisional)
      if (answer.status === 'stored') {
        this.stats.forwarded++
        return true
      }
      this.stats.failures++
      this.init.log('forwarding %c: %p refused (%s)', cid, peer, answer.status)
      return false
    } catch (err) {
      this.stats.failures++
      if (!this.init.signal.aborted) {
        if (unreachable(err)) this.init.finder.down(peer)
        this.init.log('forwarding %c to %p failed: %s', cid, peer, (err as Error).message)
      }
      return false
    } finally {
      this.slots.give()
    }
  }
}
