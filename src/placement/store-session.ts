import { pushable, type Pushable } from 'it-pushable'
import { pushBlocks, type BlockToStore, type StoreOutcome } from '../protocols/store-protocol.js'
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Opens a stream of a protocol to a peer (dialling it if needed). */
export type OpenStream = (peer: PeerId, protocol: string, signal: AbortSignal) => Promise<Stream>

/** An answer of a peer to one block pushed to it. */
export interface PushAnswer {
  status: StoreOutcome
  message?: string
  /** Forward targets that confirmed keeping the block (when it was pushed with some). */
  holders?: PeerId[]
  /** Pushes to forward targets still going on at the peer. */
  pending?: number
}

/** Asks the peer to push the block on to other members of its replica set. */
export interface ForwardRequest {
  forward: PeerId[]
  waitFor: number
}

interface Waiting {
  resolve: (answer: PushAnswer) => void
  reject: (err: Error) => void
}

/**
 * One pipelined store stream to one peer for the life of a put: blocks bound
 * for the same peer share it, so a file's hundreds of blocks cost one dial
 * and one protocol negotiation per peer, not per block. When the stream fails
 * its pending blocks fail and go elsewhere; a later push opens a new one.
 */
class PeerPusher {
  private readonly queue: Pushable<BlockToStore> = pushable({ objectMode: true })
  private readonly waiting: Waiting[] = []
  private failure: Error | undefined
  /** When the peer last answered a block, or when the oldest block still waiting was pushed after a quiet spell. */
  private heardAt = Date.now()

  constructor (readonly peer: PeerId, stream: Promise<Stream>, signal: AbortSignal, window: number) {
    void this.run(stream, signal, window)
  }

  /** Whether the stream failed: every later push is refused at once. */
  get failed (): boolean {
    return this.failure != null
  }

  /**
   * How long blocks have been waiting on this peer with no answer: 0 when
   * none waits. A peer answering slowly but steadily is never silent.
   */
  silentFor (now = Date.now()): number {
    return this.waiting.length === 0 ? 0 : now - this.heardAt
  }

  async push (cid: CID, bytes: Uint8Array, forward?: ForwardRequest, provisional = false): Promise<PushAnswer> {
    if (this.failure != null) throw this.failure
    // an idle stream starts its silence with this block, not with its last answer
    if (this.waiting.length === 0) this.heardAt = Date.now()
    const answer = new Promise<PushAnswer>((resolve, reject) => { this.waiting.push({ resolve, reject }) })
    this.queue.push({ cid, bytes, ...forward, provisional })
    return answer
  }

  end (): void {
    this.queue.end()
  }

  private async run (opening: Promise<Stream>, signal: AbortSignal, window: number): Promise<void> {
    try {
      const stream = await opening
      for await (const answer of pushBlocks(stream, this.queue, { signal, peer: this.peer.toString(), window })) {
        const { cid: _cid, ...rest } = answer
        this.heardAt = Date.now()
        this.waiting.shift()?.resolve(rest)
      }
      if (this.waiting.length > 0) throw new Error(`peer ${this.peer.toString()} closed the store stream with ${this.waiting.length} block(s) unanswered`)
    } catch (err) {
      this.failure = err as Error
      this.queue.end()
      for (const waiting of this.waiting.splice(0)) waiting.reject(this.failure)
    }
  }
}

/** The store streams of one put, one per peer, opened on first use. */
export class StoreSession {
  private readonly pushers = new Map<string, PeerPusher>()

  constructor (private readonly open: OpenStream, private readonly protocol: string, private readonly signal: AbortSignal, private readonly window: number) {}

  /** Pushes one block; `provisional` for a put's blocks (docs/storage.md, "Unfinished puts"), false for repair's. */
  async push (peer: PeerId, cid: CID, bytes: Uint8Array, forward?: ForwardRequest, provisional = false): Promise<PushAnswer> {
    const key = peer.toString()
    let pusher = this.pushers.get(key)
    // a stream that failed is not reused: a later block (a retry) dials afresh
    if (pusher == null || pusher.failed) {
      pusher = new PeerPusher(peer, this.open(peer, this.protocol, this.signal), this.signal, this.window)
      this.pushers.set(key, pusher)
    }
    return pusher.push(cid, bytes, forward, provisional)
  }

  /** How long blocks pushed to `peer` have waited with no answer from it (0 when none waits). */
  silentFor (peer: PeerId): number {
    return this.pushers.get(peer.toString())?.silentFor() ?? 0
  }

  /** Ends every stream (after their pending blocks are answered). */
  close (): void {
    for (const pusher of this.pushers.values()) pusher.end()
  }
}
