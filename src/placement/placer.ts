import { StoreSession, type OpenStream } from './store-session.js'
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
  /** Blocks in flight per peer stream. */
  window: number
  signal: AbortSignal
}

/** Where one block went. */
export interface BlockPlacement {
  cid: CID
  /** Servers that acknowledged it (this node counted only when it holds replicas). */
  replicas: number
  /** Why candidates did not take it, e.g. `12D3…: quota (…)`. */
  refusals: string[]
}

/**
 * Pushes blocks to their replica sets for one put. Each block goes to its
 * `replication` closest candidates at once; every refusal or failure is
 * replaced by the next-closest candidate. A block still short of
 * `replication` asks the network for servers it may not know of yet, once;
 * a block short of `writeQuorum` keeps trying, with backoff, up to
 * PLACE_ATTEMPTS rounds. Servers that fail are reported to the finder, so
 * the blocks after them go elsewhere from the start.
 */
export class Placer {
  private readonly session: StoreSession

  constructor (private readonly init: PlacerInit) {
    this.session = new StoreSession(init.open, init.storeProtocol, init.signal, init.window)
  }

  async place (cid: CID, bytes: Uint8Array): Promise<BlockPlacement> {
    const { replication, writeQuorum, signal } = this.init
    const refusals: string[] = []
    /** Servers asked this round or before, and those that keep the block: a replica is a server, counted once. */
    const tried = new Set<string>()
    const holders = new Set<string>()
    await this.storeAtClosest(await this.init.finder.candidates(cid, signal), cid, bytes, tried, holders, refusals)
    for (let attempt = 1; holders.size < replication && attempt < PLACE_ATTEMPTS; attempt++) {
      // at the quorum, one fresh look for closer servers is enough: repair completes the set
      if (holders.size >= writeQuorum && attempt > 1) break
      if (attempt > 1) await delay(RETRY_BASE_MS * 2 ** (attempt - 2), signal)
      const candidates = await this.init.finder.candidates(cid, signal, { fresh: true })
      // below the quorum, servers that refused (no room yet, a broken stream) are asked again
      if (holders.size < writeQuorum && attempt > 1) for (const peer of candidates) if (!holders.has(peer.toString())) tried.delete(peer.toString())
      await this.storeAtClosest(candidates, cid, bytes, tried, holders, refusals)
    }
    return { cid, replicas: holders.size, refusals }
  }

  /** Stores at the closest untried candidates until `replication` servers hold it, replacing each failure with the next. */
  private async storeAtClosest (candidates: PeerId[], cid: CID, bytes: Uint8Array, tried: Set<string>, holders: Set<string>, refusals: string[]): Promise<void> {
    const untried = candidates.filter(p => !tried.has(p.toString()))
    let next = 0
    while (holders.size < this.init.replication && next < untried.length) {
      const batch = untried.slice(next, next + this.init.replication - holders.size)
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
    try {
      if (this.init.self?.equals(peer) === true) {
        await this.init.storeHere(cid, bytes)
        return undefined
      }
      const answer = await this.session.push(peer, cid, bytes)
      if (answer.status === 'stored') return undefined
      return answer.message != null ? `${answer.status} (${answer.message})` : answer.status
    } catch (err) {
      this.init.signal.throwIfAborted()
      // a server that cannot be reached is left out of the replica sets of
      // the blocks after this one, for this put and the node's next ones
      this.init.finder.down(peer)
      return `failed: ${(err as Error).message}`
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason. */
async function delay (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
