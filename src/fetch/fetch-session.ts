import { BlockNotFoundError, HashMismatchError, ProtocolError } from '../errors.js'
import { requestBlocks } from '../protocols/block-protocol.js'
import { CustomProgressEvent } from 'progress-events'
import { Holders } from './holders.js'
import { WriteBehind } from '../store/write-behind.js'
import type { BlockSource } from './block-source.js'
import type { ReplicaFinder } from '../placement/replica-finder.js'
import type { OpenStream } from '../placement/store-session.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { ContentRouting, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** How many known holders a block is asked of before its own replica set is looked up. */
export const SESSION_TRIES = 2

/** Least time between two provider lookups of one root in one session. */
export const PROVIDER_RETRY_MS = 5_000

/**
 * Fetched blocks whose storing (`cacheFetched`) may still be under way while
 * the reader goes on: beyond this, a request waits for the oldest before it
 * hands its blocks over.
 */
export const CACHE_BEHIND_BLOCKS = 16

/** Pause before asking a peer again after a failure that was not its fault. */
export const RETRY_PAUSE_MS = 100

/** How long one peer may take to answer for one block before the request fails. */
export const REQUEST_TIMEOUT_MS = 15_000

/**
 * How long a peer asked for a block may stay silent before the next is asked
 * as well (a hedged request): the first good answer wins. A busy server can
 * take far longer than this to send 1 MiB; without the hedge one such peer
 * held a get for its whole time-out (seen: a root block not found in 30 s,
 * one peer asked, four others holding it).
 */
export const HEDGE_MS = 4_000

export interface FetchInit {
  blocks: LocalBlocks
  open: OpenStream
  blockProtocol: string
  /** Finds a block's replica set. */
  finder: ReplicaFinder
  contentRouting: Pick<ContentRouting, 'findProviders'>
  /**
   * Servers this node is connected to now, closest to a block first: asked
   * for a session's first block before its replica set is looked up (a node
   * that just joined through a server is connected to it, and in a small
   * network that server holds the file); the lookup runs if they do not
   * send it. Without it the first block waits for the lookup.
   */
  connectedServers?: (cid: CID) => Promise<PeerId[]>
  /** How long finding one block may take in all. */
  timeoutMs: number
  /** How long an asked peer may stay silent before the next is asked beside it (default HEDGE_MS). */
  hedgeMs?: number
  /** Keep fetched blocks in the local store (as `cache`) so this node serves them too. */
  cacheFetched: boolean
  /** Told when a peer sends wrong bytes or breaks the protocol. */
  onMisbehaviour?: (peer: PeerId, err: Error) => void
  /** Told of each block handed to the reader, from here or from a peer. */
  onProgress?: (evt: FetchProgressEvents) => void
}

/** The progress a session reports: a block handed over, and how many so far came from peers and from here. */
export type FetchProgressEvents =
  CustomProgressEvent<{ cid: CID, fetched: number, local: number }, 'weft:get:block'>

/** What a session did, for progress and stats. */
export interface FetchCounters {
  blocksFetched: number
  bytesFetched: number
  blocksLocal: number
  /** Peers dropped for misbehaving. */
  dropped: number
}

/**
 * Fetches the blocks of one DAG (one `stat` and `get` of a file): local
 * store first, then peers that already served blocks of it, then each
 * block's replica set, then the root's providers (browsers that cached the
 * file). Every block is hash-checked by the protocol client before it is
 * stored or returned. The root block is fetched once per session, however
 * often it is asked for (a `stat` then a `get`, on a node that keeps nothing).
 */
export class FetchSession implements BlockSource {
  readonly holders = new Holders()
  readonly counters: FetchCounters = { blocksFetched: 0, bytesFetched: 0, blocksLocal: 0, dropped: 0 }
  /** The fetched blocks being stored (`cacheFetched`), behind the reader. */
  private readonly caching = new WriteBehind(CACHE_BEHIND_BLOCKS)
  private providers: Promise<PeerId[]> | undefined
  private providersAt = 0
  private rootBytes: Promise<Uint8Array> | undefined
  /** A block a connected server sent before its replica set was looked up: looked up at the next ask. */
  private unlooked: CID | undefined
  /** Lookups running only to widen the holders. */
  private readonly widening = new Set<AbortController>()

  constructor (private readonly init: FetchInit, private readonly root: CID, private readonly signal: AbortSignal) {}

  /** The verified bytes of a block, or BlockNotFoundError after `timeoutMs`. */
  async get (cid: CID, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const bytes = cid.equals(this.root) ? await this.getRoot(options) : await this.find(cid, options)
    this.progress(cid)
    return bytes
  }

  /**
   * Resolves once every block fetched so far is in the local store (with
   * `cacheFetched`; a block the store refused is not), however far the
   * reader went ahead of the writes.
   */
  async cached (): Promise<void> {
    await this.caching.flush()
  }

  /** A block from the local store, or on its way there (fetched by this session, being stored behind the reader). */
  private async stored (cid: CID): Promise<Uint8Array | undefined> {
    return this.caching.pending(cid.toString()) ?? await this.init.blocks.get(cid)
  }

  /** The root, found once: a failed find is tried again by the next ask. */
  private async getRoot (options: { signal?: AbortSignal }): Promise<Uint8Array> {
    const found = this.rootBytes ??= this.find(this.root, options)
    try {
      return await found
    } catch (err) {
      if (this.rootBytes === found) this.rootBytes = undefined
      throw err
    }
  }

  private progress (cid: CID): void {
    this.init.onProgress?.(new CustomProgressEvent('weft:get:block', { cid, fetched: this.counters.blocksFetched, local: this.counters.blocksLocal }))
  }

  /**
   * Finds one block. `saidNo`: a peer that already answered it does not
   * have the block (in a batch); it is not asked again, and counts among the
   * peers asked.
   */
  private async find (cid: CID, options: { signal?: AbortSignal, saidNo?: PeerId } = {}): Promise<Uint8Array> {
    const local = await this.stored(cid)
    if (local != null) {
      this.counters.blocksLocal++
      return local
    }
    this.widen()
    const timeout = AbortSignal.timeout(this.init.timeoutMs)
    const signal = AbortSignal.any([this.signal, timeout, ...(options.signal != null ? [options.signal] : [])])
    const tried = new Set<string>(options.saidNo != null ? [options.saidNo.toString()] : [])
    /** Why asks failed, other than "I don't have it": told in the error, so a broken link is not mistaken for absence. */
    const failures: string[] = []
    const from = async (peers: PeerId[]): Promise<Uint8Array | undefined> => this.fromPeers(peers, cid, tried, failures, signal)
    try {
      const known = this.holders.best(SESSION_TRIES, tried)
      const found = await from(known) ??
        await this.beside(cid, known.length === 0, signal, from) ??
        await from(await this.rootProviders(signal)) ??
        // the remembered membership may be stale or incomplete: ask the network
        await from(await this.init.finder.candidates(cid, signal, { withSelf: false, fresh: true })) ??
        await from(await this.rootProviders(signal))
      if (found != null) return found
    } catch (err) {
      if (!timeout.aborted) throw err
    }
    const failed = failures.length > 0 ? `; ${failures.length} failed to answer (${failures.slice(0, 3).join('; ')})` : ''
    if (timeout.aborted) throw new BlockNotFoundError(cid.toString(), tried.size, `gave up after ${this.init.timeoutMs} ms${failed}`)
    if (tried.size === 0) throw new BlockNotFoundError(cid.toString(), 0, 'no peers to ask: is this node connected?')
    throw new BlockNotFoundError(cid.toString(), tried.size, `${tried.size - failures.length} said they do not have it${failed}`)
  }

  /**
   * The block from its replica set. `first`: the session knows no holder yet
   * (its first block): the connected servers are asked first, and the
   * lookup runs only if they do not send it (one round trip later). The
   * replica set of a block one of them sent is still looked up, in the
   * background, once a second block is asked for, so the next blocks spread
   * over all of its servers; a one-block file (a small get) looks up nothing.
   */
  private async beside (cid: CID, first: boolean, signal: AbortSignal, from: (peers: PeerId[]) => Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
    if (first && this.init.connectedServers != null) {
      const found = await from((await this.init.connectedServers(cid)).slice(0, SESSION_TRIES))
      if (found != null) {
        this.unlooked ??= cid
        return found
      }
    }
    return from(this.replicaSet(await this.init.finder.candidates(cid, signal, { withSelf: false })))
  }

  /** Looks up, in the background, the replica set of the block a connected server sent, if that is still to do. */
  private widen (): void {
    const cid = this.unlooked
    if (cid == null) return
    this.unlooked = undefined
    const widen = new AbortController()
    this.widening.add(widen)
    this.init.finder.candidates(cid, AbortSignal.any([this.signal, widen.signal]), { withSelf: false })
      .then(peers => { this.replicaSet(peers) })
      // a lookup cut short leaves the holders as they were
      .catch(() => {})
      .finally(() => { this.widening.delete(widen) })
  }

  /**
   * The reader is done: background lookups that would only widen the holders
   * are stopped (a node about to stop would otherwise unwind them there).
   */
  settle (): void {
    this.unlooked = undefined
    for (const widen of this.widening) widen.abort()
    this.widening.clear()
  }

  /**
   * The verified bytes of several blocks, in order. Those not stored here go
   * to the session's least busy holder in one request, on one stream (a
   * stream per block costs the fetcher ~1 ms of CPU per MiB); any it does not
   * send, each then finds on its own, as `get` does.
   */
  async getMany (cids: CID[], options: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    const found = await Promise.all(cids.map(async cid => this.stored(cid)))
    const missing = cids.filter((_, i) => found[i] == null)
    if (missing.length > 0) this.widen()
    this.counters.blocksLocal += cids.length - missing.length
    const [peer] = missing.length > 1 ? this.holders.best(1, new Set()) : []
    let lacking = new Set<string>()
    if (peer != null) {
      const signal = AbortSignal.any([this.signal, ...(options.signal != null ? [options.signal] : [])])
      // a holder that has served nothing yet (a provider, an untried member
      // of a replica set) may be a tab closed since it announced, whose dial
      // through its relay hangs: it gets as long as a hedge to open the
      // stream, and the batch's blocks are otherwise found one by one, hedged
      const holder = this.holders.get(peer)
      const untried = (holder?.served ?? 0) === 0
      const sent = await this.request(peer, missing, signal, untried ? this.init.hedgeMs ?? HEDGE_MS : REQUEST_TIMEOUT_MS)
      for (const [i, cid] of cids.entries()) found[i] ??= sent.blocks.get(cid.toString())
      lacking = sent.lacking
      // a holder that sent nothing and failed (a page whose tab was closed,
      // a server gone) ranks below those that serve: the next batch, and
      // this batch's blocks found one by one, go elsewhere
      if (sent.failed != null && sent.blocks.size === 0 && holder != null) holder.misses++
    }
    const all = await Promise.all(cids.map(async (cid, i) => found[i] ?? this.find(cid, {
      ...options,
      ...(peer != null && lacking.has(cid.toString()) ? { saidNo: peer } : {})
    })))
    cids.forEach(cid => { this.progress(cid) })
    return all
  }

  /**
   * A block's replica set likely holds its neighbours too (in a small
   * network every server holds every block): its peers join the session's
   * holders untried, so the next blocks spread over all of them at once
   * instead of all going to the first that answered. One that turns out
   * not to hold them misses, and drops out of the ranking.
   */
  private replicaSet (peers: PeerId[]): PeerId[] {
    for (const peer of peers) this.holders.add(peer)
    return peers
  }

  /**
   * Asks `peers` in order, one at a time, until one sends the block; a peer
   * silent for HEDGE_MS is not waited for alone: the next is asked beside it.
   */
  private async fromPeers (peers: PeerId[], cid: CID, tried: Set<string>, failures: string[], signal: AbortSignal): Promise<Uint8Array | undefined> {
    const queue = peers.filter(peer => !tried.has(peer.toString()) && !this.holders.isDropped(peer))
    const asking = new Set<Promise<Uint8Array | undefined>>()
    let next = 0
    const askNext = (): void => {
      const peer = queue[next++]
      tried.add(peer.toString())
      const asked: Promise<Uint8Array | undefined> = this.ask(peer, cid, signal, failures).finally(() => { asking.delete(asked) })
      asking.add(asked)
      // one still asking when another answered is not awaited any more
      asked.catch(() => {})
    }
    if (queue.length > 0) askNext()
    while (asking.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const hedge = next < queue.length ? new Promise<'hedge'>(resolve => { timer = setTimeout(() => { resolve('hedge') }, this.init.hedgeMs ?? HEDGE_MS) }) : undefined
      const first = await Promise.race([...asking, ...(hedge != null ? [hedge] : [])]).finally(() => { clearTimeout(timer) })
      if (first instanceof Uint8Array) return first
      // silent for too long, or said no: ask the next one too
      if (next < queue.length && (first === 'hedge' || asking.size === 0)) askNext()
    }
    return undefined
  }

  /**
   * Asks one peer for one block; undefined when it has not got it or failed
   * (noted in `failures`). A failure that is not the peer's fault (a reset
   * stream, a busy peer refusing one more) is tried once more after a pause.
   */
  private async ask (peer: PeerId, cid: CID, signal: AbortSignal, failures: string[]): Promise<Uint8Array | undefined> {
    const first = await this.askOnce(peer, cid, signal)
    if (!('failed' in first)) return first.bytes
    let failed = first.failed
    if (!this.holders.isDropped(peer)) {
      await new Promise(resolve => setTimeout(resolve, RETRY_PAUSE_MS))
      signal.throwIfAborted()
      const second = await this.askOnce(peer, cid, signal)
      if (!('failed' in second)) return second.bytes
      failed = second.failed
      const holder = this.holders.get(peer)
      if (holder != null) holder.misses++
    }
    failures.push(`${peer.toString()}: ${failed}`)
    return undefined
  }

  private async askOnce (peer: PeerId, cid: CID, signal: AbortSignal): Promise<{ bytes: Uint8Array | undefined } | { failed: string }> {
    const sent = await this.request(peer, [cid], signal)
    if (sent.failed != null) return { failed: sent.failed }
    return { bytes: sent.blocks.get(cid.toString()) }
  }

  /**
   * One block request to one peer: the blocks it sent and those it said it
   * does not have, by CID string, and why it failed, if it did. Its holder's
   * counters are kept; a peer that sent wrong bytes or broke the protocol is
   * dropped for the session.
   */
  private async request (peer: PeerId, cids: CID[], signal: AbortSignal, openWithinMs = REQUEST_TIMEOUT_MS): Promise<{ blocks: Map<string, Uint8Array>, lacking: Set<string>, failed?: string }> {
    this.holders.add(peer)
    const holder = this.holders.get(peer)
    if (holder != null) holder.inflight += cids.length
    const blocks = new Map<string, Uint8Array>()
    const lacking = new Set<string>()
    // the peer has `openWithinMs` to open the stream and then, between any
    // two answers, REQUEST_TIMEOUT_MS before the next peer is asked
    const opening = AbortSignal.any([signal, AbortSignal.timeout(openWithinMs)])
    try {
      const stream = await this.init.open(peer, this.init.blockProtocol, opening)
      for await (const answer of requestBlocks(stream, cids, { signal, peer: peer.toString(), idleTimeout: REQUEST_TIMEOUT_MS })) {
        if (answer.bytes == null) {
          if (holder != null) holder.misses++
          lacking.add(answer.cid.toString())
          continue
        }
        if (holder != null) holder.served++
        this.counters.blocksFetched++
        this.counters.bytesFetched += answer.bytes.byteLength
        // stored while the next answers are read (a WebRTC stream whose reader
        // falls 4 MiB behind is reset) and after they are handed over
        if (this.init.cacheFetched) this.caching.add(answer.cid.toString(), answer.bytes, this.cache(answer.cid, answer.bytes))
        blocks.set(answer.cid.toString(), answer.bytes)
      }
      return { blocks, lacking }
    } catch (err) {
      signal.throwIfAborted()
      if (err instanceof HashMismatchError || (err instanceof ProtocolError && !err.transient)) {
        this.holders.drop(peer)
        this.counters.dropped++
        this.init.onMisbehaviour?.(peer, err)
        // no second chance for a peer that lied
        return { blocks, lacking, failed: `dropped: ${err.message}` }
      }
      return { blocks, lacking, failed: (err as Error).message }
    } finally {
      if (holder != null) holder.inflight -= cids.length
      await this.caching.room()
    }
  }

  private async cache (cid: CID, bytes: Uint8Array): Promise<void> {
    try {
      await this.init.blocks.put(cid, bytes, 'cache')
    } catch {
      // a full store must not fail the read: the bytes are verified and
      // returned either way, only not kept
    }
  }

  /** Providers of the root: peers that announced they hold the whole DAG. Looked up once. */
  private async rootProviders (signal: AbortSignal): Promise<PeerId[]> {
    const earlier = this.providers
    // a lookup that found no one is asked again by a later block: a provider
    // may have announced since (a page that just shared the file); but not
    // more often than PROVIDER_RETRY_MS, or many failing blocks at once
    // would flood the DHT (and the peers' kad stream limits) with lookups
    if (earlier != null && (await earlier).length === 0 && Date.now() - this.providersAt > PROVIDER_RETRY_MS) this.providers = undefined
    if (this.providers == null) this.providersAt = Date.now()
    this.providers ??= (async () => {
      const found: PeerId[] = []
      try {
        for await (const provider of this.init.contentRouting.findProviders(this.root, { signal })) {
          found.push(provider.id)
        }
      } catch {
        // a lookup that finds no one (or is cut short) leaves us with what it found
      }
      for (const id of found) this.holders.add(id)
      return found
    })()
    return this.providers
  }
}
