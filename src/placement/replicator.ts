import { HAVE_PROTOCOL, requestHave, type Holding } from '../protocols/have-protocol.js'
import { MAX_CIDS_PER_REQUEST, STORE_WINDOW } from '../protocols/limits.js'
import { STORE_PROTOCOL } from '../protocols/store-protocol.js'
import { ByteRate, type Clock } from './byte-rate.js'
import { Slots } from './slots.js'
import { unreachable } from './unreachable.js'
import { StoreSession, type OpenStream } from './store-session.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * Blocks a sweep handles together: their replica sets are found at once, each
 * peer is asked about all of them in one have request, and pushes to a peer
 * share one store stream.
 */
export const SWEEP_BATCH = MAX_CIDS_PER_REQUEST

/** Peers a sweep asks (and pushes to) at once. */
export const PEER_CONCURRENCY = 8

/**
 * Blocks read from the store and not yet acknowledged, over all peers: a
 * sweep holds at most this many blocks in memory (8 MiB of 1 MiB leaves).
 */
export const PUSHES_IN_FLIGHT = 8

export interface ReplicatorInit {
  /** This server. */
  self: PeerId
  /** Replicas wanted per block. */
  replication: number
  blocks: Pick<LocalBlocks, 'kept' | 'get' | 'roleOf' | 'release'>
  /** Replica sets, closest first, this server among them. */
  finder: Pick<ReplicaFinder, 'candidates' | 'forgetMembership' | 'explore' | 'status' | 'down'>
  open: OpenStream
  log: Logger
  /** Block bytes a sweep may push per second (0: no limit), so repair after a loss does not take the link from gets and puts. */
  bytesPerSecond?: number
  /** For specs: the clock the rate limit reads. */
  clock?: Clock
  /**
   * Holders not counted as holding a block whatever they answer (they failed
   * a storage audit of it): skipped, so the next candidate gets the block.
   */
  excluded?: (peer: PeerId, cid: CID) => boolean
}

/** What sweeps have done since the node started, for the node's status. */
export interface RepairStats {
  /** Sweeps finished (or cut short by an error). */
  sweeps: number
  /** Whether a sweep is running now. */
  running: boolean
  /** When the last sweep ended, ms since the epoch. */
  lastSweepAt?: number
  /** How long the last sweep took. */
  lastSweepMs?: number
  /** Blocks whose replica set was checked. */
  blocksChecked: number
  /** Blocks pushed to a member of their replica set that lacked them. */
  pushed: number
  /** Replicas turned into cache: this server is no longer among the block's closest, and they hold it. */
  released: number
  /** Lookups, peers and pushes that failed (each logged with the peer or block). */
  failures: number
  /** DHT lookups this node ran while sweeping (its own neighbourhood's, and those of blocks outside it). */
  lookups: number
}

export interface SweepOptions {
  /** Servers joined or left: forget the membership learned from earlier lookups first. */
  membershipChanged?: boolean
}

/** One block's progress through a sweep. */
interface Plan {
  cid: CID
  /** Candidates, closest first (this server among them). */
  candidates: PeerId[]
  /** The next candidate to consider. */
  next: number
  /** Copies known kept: this server once reached, and peers that keep it or took it. */
  confirmed: number
  /** This server was reached before `replication` others confirmed: it is in the live set. */
  selfInSet: boolean
  /** Candidates (by index) that said they keep it. */
  keptAt: number[]
  /** Members lacking it that were left to a closer holder to push to (see `leaveToCloser`). */
  leftToCloser: number
  done: boolean
}

/** What one sweep learns about peers, so a dead peer costs one failed dial per sweep. */
interface SweepState {
  signal: AbortSignal
  session: StoreSession
  /** Peers that could not be asked or failed a push. */
  down: Set<string>
  /** Peers without the have protocol: pushed to without asking. */
  noHave: Set<string>
  pushSlots: Slots
  /**
   * A sweep for servers leaving: every holder of a block sweeps at about the
   * same time, so a missing member is pushed the block only by the holder
   * closest to the block; the others leave it to that one (measured: 50
   * servers pushed 19,564 blocks for 10,000 missing replicas before). A
   * periodic sweep pushes whatever it finds missing: it is the fallback if
   * that holder did not sweep.
   */
  leaveToCloser: boolean
}

/**
 * Replica maintenance on a server: sweeps the blocks it keeps (replicas and
 * pinned blocks) and, for each, makes sure the `replication` closest live
 * servers keep it. A member that does not (asked with `/weft/have/1.0.0`,
 * 64 blocks per request) is pushed the block over `/weft/store/1.0.0`; a
 * member that is down or refuses is replaced by the next-closest server. When
 * this server is no longer among the closest and `replication` others keep
 * the block, its own replica becomes cache (evictable).
 *
 * Bounded: blocks are taken from the store's index `SWEEP_BATCH` at a time,
 * lookups are limited by the finder, `PEER_CONCURRENCY` peers are asked at
 * once and `PUSHES_IN_FLIGHT` blocks are held in memory. Failures are
 * counted and logged, never thrown; only the signal ends a sweep early.
 */
export class Replicator {
  private readonly stats: RepairStats = { sweeps: 0, running: false, blocksChecked: 0, pushed: 0, released: 0, failures: 0, lookups: 0 }

  private readonly rate: ByteRate

  constructor (private readonly init: ReplicatorInit) {
    this.rate = new ByteRate(init.bytesPerSecond ?? 0, init.clock)
  }

  status (): RepairStats {
    return { ...this.stats }
  }

  /** Checks every kept block once; rejects only with the signal's reason. */
  async sweep (signal: AbortSignal, options: SweepOptions = {}): Promise<void> {
    if (this.stats.running) throw new Error('a sweep is running already')
    const started = Date.now()
    this.stats.running = true
    const lookupsBefore = this.init.finder.status().lookups
    if (options.membershipChanged === true) this.init.finder.forgetMembership()
    const state: Omit<SweepState, 'session'> = { signal, down: new Set(), noHave: new Set(), pushSlots: new Slots(PUSHES_IN_FLIGHT), leaveToCloser: options.membershipChanged === true }
    try {
      // the blocks a server keeps lie mostly around its own id: one lookup of
      // it covers their replica sets, and only the rest cost lookups of their own
      await this.exploreOwnRegion(signal)
      let batch: CID[] = []
      for (const cid of this.init.blocks.kept()) {
        signal.throwIfAborted()
        batch.push(cid)
        if (batch.length === SWEEP_BATCH) {
          await this.repairBatch(batch, state)
          batch = []
        }
      }
      if (batch.length > 0) await this.repairBatch(batch, state)
    } finally {
      this.stats.lookups += this.init.finder.status().lookups - lookupsBefore
      this.stats.running = false
      this.stats.sweeps++
      this.stats.lastSweepAt = Date.now()
      this.stats.lastSweepMs = this.stats.lastSweepAt - started
    }
  }

  /**
   * Restores the replica sets of a few blocks now (at most SWEEP_BATCH; a
   * holder of them failed an audit), outside the sweeps. Rejects only with
   * the signal's reason.
   */
  async repair (cids: CID[], signal: AbortSignal): Promise<void> {
    await this.repairBatch(cids.slice(0, SWEEP_BATCH), { signal, down: new Set(), noHave: new Set(), pushSlots: new Slots(PUSHES_IN_FLIGHT), leaveToCloser: false })
  }

  private async exploreOwnRegion (signal: AbortSignal): Promise<void> {
    try {
      await this.init.finder.explore(this.init.self.toMultihash().bytes, signal)
    } catch (err) {
      signal.throwIfAborted()
      this.fail('looking up this server\'s own neighbourhood failed: %s', (err as Error).message)
    }
  }

  private async repairBatch (cids: CID[], base: Omit<SweepState, 'session'>): Promise<void> {
    const { signal } = base
    // a store stream per peer per batch: a stream kept across batches would
    // idle (and be cut by the peer) while the next batch's lookups run
    const state: SweepState = { ...base, session: new StoreSession(this.init.open, STORE_PROTOCOL, signal, STORE_WINDOW) }
    try {
      const plans = (await Promise.all(cids.map(async cid => this.plan(cid, signal)))).filter(plan => plan != null)
      for (let open = plans; open.length > 0; open = open.filter(plan => !plan.done)) {
        await this.round(open, state)
      }
      for (const plan of plans) await this.conclude(plan, signal)
    } finally {
      state.session.close()
    }
  }

  private async plan (cid: CID, signal: AbortSignal): Promise<Plan | undefined> {
    try {
      const candidates = await this.init.finder.candidates(cid, signal, { withSelf: true })
      return { cid, candidates, next: 0, confirmed: 0, selfInSet: false, keptAt: [], leftToCloser: 0, done: false }
    } catch (err) {
      signal.throwIfAborted()
      this.fail('finding the replica set of %c failed: %s', cid, (err as Error).message)
      return undefined
    }
  }

  /**
   * Gives each open block the next candidates it needs (skipping peers down
   * this sweep, counting this server when reached), asks them, then pushes
   * where missing. A block with no candidate left to ask is done.
   */
  private async round (plans: Plan[], state: SweepState): Promise<void> {
    const asks = new Map<string, { peer: PeerId, plans: Array<{ plan: Plan, index: number }> }>()
    for (const plan of plans) {
      let asked = 0
      while (plan.confirmed + plan.leftToCloser + asked < this.init.replication && plan.next < plan.candidates.length) {
        const index = plan.next++
        const peer = plan.candidates[index]
        if (peer.equals(this.init.self)) {
          plan.confirmed++
          plan.selfInSet = true
          continue
        }
        const key = peer.toString()
        if (state.down.has(key) || this.init.excluded?.(peer, plan.cid) === true) continue
        const ask = asks.get(key) ?? { peer, plans: [] }
        ask.plans.push({ plan, index })
        asks.set(key, ask)
        asked++
      }
      if (asked === 0) plan.done = true
    }
    // every answer first, so each block's holders are known before anyone pushes to it
    const visits = [...asks.values()]
    const holdings = new Map<string, Holding[] | undefined>()
    await eachLimited(visits, PEER_CONCURRENCY, async ({ peer, plans }) => {
      holdings.set(peer.toString(), await this.holdings(peer, plans.map(p => p.plan.cid), state))
    })
    const pushes: Array<{ peer: PeerId, plans: Plan[] }> = []
    for (const { peer, plans } of visits) {
      const held = holdings.get(peer.toString())
      if (held == null) continue
      plans.forEach(({ plan, index }, i) => {
        if (held[i] !== 'kept') return
        plan.confirmed++
        plan.keptAt.push(index)
      })
      pushes.push({ peer, plans: plans.filter((_, i) => held[i] !== 'kept').map(p => p.plan) })
    }
    await eachLimited(pushes, PEER_CONCURRENCY, async ({ peer, plans }) => {
      await Promise.all(plans.map(async plan => {
        if (state.leaveToCloser && this.closerHolder(plan)) {
          plan.leftToCloser++
        } else if (await this.push(peer, plan.cid, state)) {
          plan.confirmed++
        }
      }))
    })
  }

  /** Whether a candidate closer to the block than this server said it keeps it: that one pushes to the members missing it. */
  private closerHolder (plan: Plan): boolean {
    const own = plan.candidates.findIndex(p => p.equals(this.init.self))
    return plan.keptAt.some(index => own === -1 || index < own)
  }

  /** What `peer` holds of `cids`; all `none` for a peer without the have protocol; undefined when it cannot be asked. */
  private async holdings (peer: PeerId, cids: CID[], state: SweepState): Promise<Holding[] | undefined> {
    const { signal } = state
    if (state.noHave.has(peer.toString())) return cids.map(() => 'none')
    try {
      const stream = await this.init.open(peer, HAVE_PROTOCOL, signal)
      return await requestHave(stream, cids, { signal, peer: peer.toString() })
    } catch (err: any) {
      signal.throwIfAborted()
      if (err?.name === 'UnsupportedProtocolError') {
        // an older server: the store protocol stores a block once however often it comes
        state.noHave.add(peer.toString())
        return cids.map(() => 'none')
      }
      state.down.add(peer.toString())
      if (unreachable(err)) this.init.finder.down(peer)
      this.fail('could not ask %p about %d block(s), from %c: %s', peer, cids.length, cids[0], err?.message)
      return undefined
    }
  }

  /** Pushes one block to `peer`; true once it answered `stored`. */
  private async push (peer: PeerId, cid: CID, state: SweepState): Promise<boolean> {
    const { signal } = state
    if (state.down.has(peer.toString())) return false
    await state.pushSlots.take(signal)
    try {
      const bytes = await this.read(cid, signal)
      if (bytes == null) return false
      await this.rate.take(bytes.byteLength, signal)
      const answer = await state.session.push(peer, cid, bytes)
      if (answer.status === 'stored') {
        this.stats.pushed++
        return true
      }
      this.fail('%p refused %c: %s%s', peer, cid, answer.status, answer.message != null ? ` (${answer.message})` : '')
      return false
    } catch (err) {
      signal.throwIfAborted()
      state.down.add(peer.toString())
      if (unreachable(err)) this.init.finder.down(peer)
      this.fail('pushing %c to %p failed: %s', cid, peer, (err as Error).message)
      return false
    } finally {
      state.pushSlots.give()
    }
  }

  private async read (cid: CID, signal: AbortSignal): Promise<Uint8Array | undefined> {
    try {
      const bytes = await this.init.blocks.get(cid, { signal })
      if (bytes == null) this.fail('%c is no longer stored here: not pushed', cid)
      return bytes
    } catch (err) {
      signal.throwIfAborted()
      this.fail('reading %c to push it failed: %s', cid, (err as Error).message)
      return undefined
    }
  }

  /** Counts a checked block; releases its replica when `replication` closer servers keep it. */
  private async conclude (plan: Plan, signal: AbortSignal): Promise<void> {
    this.stats.blocksChecked++
    if (plan.selfInSet || plan.confirmed < this.init.replication) return
    if (this.init.blocks.roleOf(plan.cid) !== 'replica') return
    try {
      await this.init.blocks.release(plan.cid, { signal })
      this.stats.released++
      this.init.log('released %c: %d closer servers keep it', plan.cid, plan.confirmed)
    } catch (err) {
      signal.throwIfAborted()
      this.fail('releasing %c failed: %s', plan.cid, (err as Error).message)
    }
  }

  private fail (format: string, ...args: unknown[]): void {
    this.stats.failures++
    this.init.log.error(`repair: ${format}`, ...args)
  }
}

/** Runs `fn` over `items`, at most `limit` at once; rejects with the first error after all have settled. */
async function eachLimited<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++])
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker))
  const failed = results.find(r => r.status === 'rejected')
  if (failed != null) throw failed.reason
}
