import delay from 'delay'
import { HAVE_PROTOCOL, requestHave } from '../protocols/have-protocol.js'
import { unreachable } from './unreachable.js'
import { StoreSession, type ForwardRequest, type OpenStream, type PushAnswer } from './store-session.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * Rounds a block below its write quorum gets: each waits (RETRY_BASE_MS,
 * doubling) and asks the network afresh, so a put that starts while servers
 * are still joining, or meets a server that just failed, waits for the
 * network instead of failing at once: about 7.5 s in all.
 */
export const PLACE_ATTEMPTS = 5

/** The first wait before a block below its quorum is tried again. */
export const RETRY_BASE_MS = 500

/**
 * How long a server may stay silent, with blocks pushed to it waiting, before
 * a block waiting on it goes to the next closest instead: a server that
 * accepts the stream and never answers (or stalls) costs a put this long
 * once, not the whole put. Silence, not slowness: on a slow link a block may
 * wait longer behind the others in its stream, as long as the server keeps
 * answering the ones before it. A late answer is ignored (an extra replica).
 */
export const PUSH_TIMEOUT_MS = 15_000

/** First holders a block is sent to, one after another, while each refuses or fails, before the uploader pushes to every member itself. */
export const FORWARD_HEADS = 3

export interface PlacerInit {
  /** Replicas wanted per block. */
  replication: number
  /** Replicas a block needs for the put to succeed. */
  writeQuorum: number
  /** Finds each block's candidates, closest first (this node among them when it holds replicas). */
  finder: Pick<ReplicaFinder, 'candidates' | 'down'>
  open: OpenStream
  storeProtocol: string
  /** This node, when it holds replicas itself (a server); it is then a candidate like any other. */
  self?: PeerId
  /** Stores a block here as a replica; used when `self` is among a block's closest. */
  storeHere: (cid: CID, bytes: Uint8Array) => Promise<void>
  /**
   * Push blocks as provisional replicas, kept for the servers' lease until
   * the put settles them (docs/storage.md, "Unfinished puts"). Default false.
   */
  provisional?: boolean
  /** Blocks in flight per peer stream. */
  window: number
  /** How long one push may wait for its answer (default PUSH_TIMEOUT_MS). */
  pushTimeoutMs?: number
  /**
   * Send each block once, to the closest member of its replica set, which
   * pushes it on to the others (default true). Where that member does not
   * forward (an older server) or some pushes fail, the rest go from here.
   */
  forward?: boolean
  signal: AbortSignal
}

/** Where one block went. */
export interface BlockPlacement {
  cid: CID
  /** Servers that acknowledged it (this node counted only when it holds replicas). */
  replicas: number
  /** Pushes the first holder was still making to other members when it answered. */
  pending: number
  /** Why candidates did not take it, every one, e.g. `12D3…: quota (…)`, `12D3…: timed out after 15 s`. */
  refusals: string[]
  /** Members of the replica set that kept it already (an earlier put of the same bytes): not sent to them again. */
  alreadyKept: number
  /** Whether any byte of it was sent (false when its replica set kept it already). */
  sent: boolean
  /**
   * Every server that holds it or may hold it from this put: those that
   * confirmed or kept it already, and the forward targets named, whose
   * push may still be under way. The put settles it at each of them.
   */
  reached: PeerId[]
}

/**
 * Pushes blocks to their replica sets for one put. Each block goes once, to
 * its closest candidate, which pushes it on to the rest of the set (see
 * `Forwarder`); what that does not cover goes from here to the
 * next-closest candidates at once. Every refusal or failure is
 * replaced by the next-closest candidate. A block still short of
 * `replication` asks the network for servers it may not know of yet, once;
 * a block short of `writeQuorum` keeps trying, with backoff, up to
 * PLACE_ATTEMPTS rounds. Servers that cannot be reached are reported to the finder, so
 * the blocks after them go elsewhere from the start.
 */
export class Placer {
  private readonly session: StoreSession

  constructor (private readonly init: PlacerInit) {
    this.session = new StoreSession(init.open, init.storeProtocol, init.signal, init.window)
  }

  /** Block bytes this put has sent (a block sent to three servers counts three times). */
  bytesSent = 0

  async place (cid: CID, bytes: Uint8Array): Promise<BlockPlacement> {
    const { replication, writeQuorum, signal } = this.init
    const refusals: string[] = []
    /** Servers asked this round or before, and those that keep the block: a replica is a server, counted once. */
    const tried = new Set<string>()
    const holders = new Set<string>()
    const sentBefore = this.bytesSent
    const reached = new Map<string, PeerId>()
    const first = await this.init.finder.candidates(cid, signal)
    for (const peer of first) reached.set(peer.toString(), peer)
    const kept = await this.alreadyKept(first.slice(0, replication), cid)
    for (const peer of kept) {
      tried.add(peer.toString())
      holders.add(peer.toString())
    }
    /** Forward targets named, which may hold it once their push from the first holder ends. */
    const named = new Set<string>()
    const reachedOf = (): PeerId[] => [...reached.values()].filter(p => holders.has(p.toString()) || named.has(p.toString()))
    if (holders.size >= replication) return { cid, replicas: holders.size, pending: 0, refusals, alreadyKept: kept.length, sent: false, reached: reachedOf() }
    const untried = first.filter(p => !tried.has(p.toString()))
    const pending = await this.storeForwarded(untried, cid, bytes, tried, holders, refusals, named)
    // pushes a first holder still makes are a promise, not a replica: the
    // quorum is always reached by servers that confirmed
    const wanted = Math.max(replication - pending, writeQuorum)
    await this.storeAtClosest(first, cid, bytes, wanted, tried, holders, refusals)
    for (let attempt = 1; holders.size < wanted && attempt < PLACE_ATTEMPTS; attempt++) {
      // at the quorum, one fresh look for closer servers is enough: repair completes the set
      if (holders.size >= writeQuorum && attempt > 1) break
      if (attempt > 1) await delay(RETRY_BASE_MS * 2 ** (attempt - 2), { signal })
      const candidates = await this.init.finder.candidates(cid, signal, { fresh: true })
      for (const peer of candidates) if (!reached.has(peer.toString())) reached.set(peer.toString(), peer)
      // below the quorum, servers that refused (no room yet, a broken stream) are asked again
      if (holders.size < writeQuorum && attempt > 1) for (const peer of candidates) if (!holders.has(peer.toString())) tried.delete(peer.toString())
      await this.storeAtClosest(candidates, cid, bytes, wanted, tried, holders, refusals)
    }
    return { cid, replicas: holders.size, pending, refusals, alreadyKept: kept.length, sent: this.bytesSent > sentBefore, reached: reachedOf() }
  }

  /**
   * The members of the replica set that keep the block already, asked with
   * `/weft/have/1.0.0`: the closest first, and the others only when it
   * does, so a new block costs one small request and a block an earlier
   * put placed (the same file again, a put cut short and run again) costs
   * no block bytes at all.
   */
  private async alreadyKept (set: PeerId[], cid: CID): Promise<PeerId[]> {
    const others = set.filter(p => this.init.self?.equals(p) !== true)
    if (others.length === 0) return []
    const [closest, ...rest] = others
    if (!await this.keeps(closest, cid)) return []
    const answers = await Promise.all(rest.map(async peer => this.keeps(peer, cid)))
    return [closest, ...rest.filter((_, i) => answers[i])]
  }

  private async keeps (peer: PeerId, cid: CID): Promise<boolean> {
    // a server silent on a small question is not waited on longer than on a push
    const signal = AbortSignal.any([this.init.signal, AbortSignal.timeout(this.init.pushTimeoutMs ?? PUSH_TIMEOUT_MS)])
    try {
      const stream = await this.init.open(peer, HAVE_PROTOCOL, signal)
      const [holding] = await requestHave(stream, [cid], { signal, peer: peer.toString() })
      return holding === 'kept'
    } catch {
      this.init.signal.throwIfAborted()
      // an older server without the protocol, or one that cannot be
      // reached: the push finds out which, and says so
      return false
    }
  }

  /**
   * Sends the block to its closest candidate only, asking it to push the
   * block on to the rest of the replica set; returns how many of those
   * pushes it was still making when it answered. A first holder that refuses
   * or fails is replaced by the next closest as first holder (up to
   * FORWARD_HEADS in all), so one full or broken server does not turn the
   * block into a push from here to every member. Every member named counts
   * as tried: those that failed are replaced from here, by the next closest.
   */
  private async storeForwarded (candidates: PeerId[], cid: CID, bytes: Uint8Array, tried: Set<string>, holders: Set<string>, refusals: string[], named: Set<string>): Promise<number> {
    const { replication, writeQuorum } = this.init
    /** Members still wanted besides those keeping the block already. */
    const wanted = replication - holders.size
    for (let heads = 0; heads < FORWARD_HEADS; heads++) {
      const set = candidates.filter(p => !tried.has(p.toString())).slice(0, wanted)
      // a server uploading keeps its own replica and pushes to the rest itself
      if (this.init.forward === false || set.length < 2 || set.some(p => this.init.self?.equals(p) === true)) return 0
      const [head, ...rest] = set
      tried.add(head.toString())
      const answer = await this.pushTo(head, cid, bytes, { forward: rest, waitFor: writeQuorum - 1 })
      if (typeof answer === 'string') {
        refusals.push(`${head.toString()}: ${answer}`)
        continue
      }
      holders.add(head.toString())
      // an answer without any (an older server that does not forward): the rest go from here
      if (answer.holders == null && answer.pending == null) return 0
      for (const peer of rest) {
        tried.add(peer.toString())
        named.add(peer.toString())
      }
      for (const peer of answer.holders ?? []) if (rest.some(p => p.equals(peer))) holders.add(peer.toString())
      // with nothing pending, a member named and not confirmed did not take it
      // from the first holder (which does not say why): reported all the same
      if ((answer.pending ?? 0) === 0) {
        for (const peer of rest) if (!holders.has(peer.toString())) refusals.push(`${peer.toString()}: refused or failed the push on from ${head.toString()}`)
      }
      return Math.min(answer.pending ?? 0, rest.length)
    }
    return 0
  }

  /** Stores at the closest untried candidates until `wanted` servers hold it, replacing each failure with the next. */
  private async storeAtClosest (candidates: PeerId[], cid: CID, bytes: Uint8Array, wanted: number, tried: Set<string>, holders: Set<string>, refusals: string[]): Promise<void> {
    const untried = candidates.filter(p => !tried.has(p.toString()))
    let next = 0
    while (holders.size < wanted && next < untried.length) {
      const batch = untried.slice(next, next + wanted - holders.size)
      next += batch.length
      for (const peer of batch) tried.add(peer.toString())
      const results = await Promise.all(batch.map(async peer => this.storeAt(peer, cid, bytes)))
      for (const [i, result] of results.entries()) {
        if (result == null) holders.add(batch[i].toString())
        else refusals.push(`${batch[i].toString()}: ${result}`)
      }
    }
  }

  /** Ends the put's streams. */
  close (): void {
    this.session.close()
  }

  /** Stores a block at one peer; returns why not, or undefined when stored. */
  private async storeAt (peer: PeerId, cid: CID, bytes: Uint8Array): Promise<string | undefined> {
    if (this.init.self?.equals(peer) === true) {
      try {
        await this.init.storeHere(cid, bytes)
        return undefined
      } catch (err) {
        this.init.signal.throwIfAborted()
        return `failed: ${(err as Error).message}`
      }
    }
    const answer = await this.pushTo(peer, cid, bytes)
    return typeof answer === 'string' ? answer : undefined
  }

  /** Pushes a block to a peer; returns its answer when it stored the block, else why not. */
  private async pushTo (peer: PeerId, cid: CID, bytes: Uint8Array, forward?: ForwardRequest): Promise<PushAnswer | string> {
    const timeoutMs = this.init.pushTimeoutMs ?? PUSH_TIMEOUT_MS
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      this.bytesSent += bytes.byteLength
      const answering = this.session.push(peer, cid, bytes, forward, this.init.provisional === true)
      // a late answer (or failure) after the time-out is no one's business
      answering.catch(() => {})
      const timedOut = new Promise<'timeout'>(resolve => {
        // re-armed while the peer keeps answering the blocks ahead of this one
        const check = (): void => {
          const silent = this.session.silentFor(peer)
          if (silent >= timeoutMs) resolve('timeout')
          else timer = setTimeout(check, timeoutMs - silent)
        }
        timer = setTimeout(check, timeoutMs)
      })
      const answer = await Promise.race([answering, timedOut])
      if (answer === 'timeout') {
        // the blocks after this one go to others from the start
        this.init.finder.down(peer)
        return `timed out after ${formatSeconds(timeoutMs)}`
      }
      if (answer.status === 'stored') return answer
      return answer.message != null ? `${answer.status} (${answer.message})` : answer.status
    } catch (err) {
      this.init.signal.throwIfAborted()
      // a server that cannot be reached is left out of the replica sets of
      // the blocks after this one, for this put and the node's next ones
      if (unreachable(err)) this.init.finder.down(peer)
      return `failed: ${(err as Error).message}`
    } finally {
      clearTimeout(timer)
    }
  }
}

function formatSeconds (ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`
}
