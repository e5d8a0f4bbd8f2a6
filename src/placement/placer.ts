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
  /** Servers its lookup found (the block cannot have more replicas than that). */
  candidates: number
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

  async place (cid: CID, bytes: Uint8Array): Promise<BlockPlacement> {
    const { replication, signal } = this.init
    let candidates = await this.init.finder.candidates(cid, signal)
    if (candidates.length < Math.min(replication, this.mostCandidates)) {
      // a lookup that found fewer servers than an earlier one did was cut
      // short (a busy or departing peer); one more try before settling
      candidates = await this.init.finder.candidates(cid, signal)
    }
    this.mostCandidates = Math.max(this.mostCandidates, candidates.length)
    const refusals: string[] = []
    let replicas = 0
    let next = 0
    while (replicas < replication && next < candidates.length) {
      const batch = candidates.slice(next, next + replication - replicas)
      next += batch.length
      const results = await Promise.all(batch.map(async peer => this.storeAt(peer, cid, bytes)))
      for (const [i, result] of results.entries()) {
        if (result == null) replicas++
        else refusals.push(`${batch[i].toString()}: ${result}`)
      }
    }
    return { cid, replicas, candidates: candidates.length, refusals }
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
