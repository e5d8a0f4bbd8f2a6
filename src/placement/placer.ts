import { StoreSession, type OpenStream } from './store-session.js'
import type { ReplicaFinder } from './replica-finder.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface PlacerInit {
  /** Replicas wanted per block. */
  replication: number
  /** Replicas a block needs for the put to succeed (capped at the servers available). */
  writeQuorum: number
  /** Finds each block's candidates, closest first (this node among them when it holds replicas). */
  finder: ReplicaFinder
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
  /** Acknowledged replicas. */
  replicas: number
  /** Why candidates did not take it, e.g. `12D3…: quota (…)`. */
  refusals: string[]
}

/**
 * Pushes blocks to their replica sets for one put. Each block goes to its
 * `replication` closest candidates at once; every refusal or failure is
 * replaced by the next-closest candidate until the block has `replication`
 * replicas or no candidates are left.
 */
export class Placer {
  private readonly session: StoreSession

  constructor (private readonly init: PlacerInit) {
    this.session = new StoreSession(init.open, init.storeProtocol, init.signal, init.window)
  }

  /** The most candidates any block's lookup found: how many servers this put can count on. */
  mostCandidates = 0
  private networkIsSmall = false

  async place (cid: CID, bytes: Uint8Array): Promise<BlockPlacement> {
    const { replication, signal } = this.init
    let candidates = await this.init.finder.candidates(cid, signal)
    const refusals: string[] = []
    const tried = new Set<string>()
    let replicas = await this.storeAtClosest(candidates, cid, bytes, replication, tried, refusals)
    if (replicas < replication && !this.networkIsSmall) {
      // too few candidates, or too many refused: a fresh lookup may know
      // servers the remembered membership (or a cut-short lookup) did not
      const known = candidates.length
      candidates = await this.init.finder.candidates(cid, signal, { fresh: true })
      // a network with fewer servers than `replication` gives every block
      // fewer: once a fresh lookup shows no one new, stop asking per block
      if (candidates.length <= known) this.networkIsSmall = true
      replicas += await this.storeAtClosest(candidates, cid, bytes, replication - replicas, tried, refusals)
    }
    this.mostCandidates = Math.max(this.mostCandidates, candidates.length, tried.size)
    return { cid, replicas, refusals }
  }

  /** Stores at the closest untried candidates, replacing each failure with the next; returns how many took it. */
  private async storeAtClosest (candidates: PeerId[], cid: CID, bytes: Uint8Array, wanted: number, tried: Set<string>, refusals: string[]): Promise<number> {
    const untried = candidates.filter(p => !tried.has(p.toString()))
    let stored = 0
    let next = 0
    while (stored < wanted && next < untried.length) {
      const batch = untried.slice(next, next + wanted - stored)
      next += batch.length
      for (const peer of batch) tried.add(peer.toString())
      const results = await Promise.all(batch.map(async peer => this.storeAt(peer, cid, bytes)))
      for (const [i, result] of results.entries()) {
        if (result == null) stored++
        else refusals.push(`${batch[i].toString()}: ${result}`)
      }
    }
    return stored
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
      return `failed: ${(err as Error).message}`
    }
  }
}
