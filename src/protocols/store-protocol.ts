/**
 * `/weft/store/1.0.0`: push blocks to a server for storage.
 *
 * The dialler writes `StoreRequest`s, one block each, keeping at most
 * `STORE_WINDOW` unanswered, then closes its writable end. The responder
 * answers each with a `StoreResponse`, in order, as soon as the block is
 * stored or refused, and closes after the last answer. Nothing that fails
 * verification is stored. See docs/protocols.md.
 */

import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { ProtocolError } from '../errors.js'
import { MAX_BLOCK_BYTES } from '../store/limits.js'
import { assertSupportedCid, describeCid, describePeer, parseCid } from './cid-parsing.js'
import { MAX_FORWARD_TARGETS, STORE_WINDOW, STORE_WINDOW_BYTES } from './limits.js'
import { StoreRequest, StoreResponse, StoreStatus } from './pb/store.js'
import { ProtocolStream } from './protocol-stream.js'
import { abortOnFailure } from './request-abort.js'
import { verifyBlock } from './verify-block.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { AbortOptions, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export const STORE_PROTOCOL = '/weft/store/1.0.0'

/**
 * What became of one pushed block: `stored`; `quota` (the server is full);
 * `too-large` (over `MAX_BLOCK_BYTES`); `hash-mismatch` (bytes do not match
 * the CID); `not-responsible` (the server does not see itself among the
 * block's closest servers: try the next closest); `invalid` (the CID is
 * malformed or unsupported); `internal` (the server failed); `limited` (the
 * pusher is over a per-peer limit of the server, which `message` names).
 */
export type StoreOutcome = 'stored' | 'quota' | 'too-large' | 'hash-mismatch' | 'not-responsible' | 'invalid' | 'internal' | 'limited'

/** One answer of `pushBlocks`; `message` explains a refusal. */
export interface StoreAnswer {
  cid: CID
  status: StoreOutcome
  message?: string
  /** Forward targets that confirmed keeping the block by the time of the answer. */
  holders?: PeerId[]
  /** Pushes to forward targets the responder goes on with after the answer. */
  pending?: number
}

/** A block to push. */
export interface BlockToStore {
  cid: CID
  bytes: Uint8Array
  /** Other members of the replica set the responder is asked to push the block on to. */
  forward?: PeerId[]
  /** How many of `forward` must confirm before the responder answers. */
  waitFor?: number
  /** Pushed by a put not finished yet: kept for the responder's lease until settled (docs/storage.md, "Unfinished puts"). */
  provisional?: boolean
}

/** What a forwarding responder did with a block's forward targets. */
export interface Forwarded {
  holders: PeerId[]
  pending: number
}

/**
 * Pushes a stored block on to `targets`, resolving once `waitFor` of them
 * confirmed (or all settled); the rest go on in the background.
 */
export type Forward = (cid: CID, bytes: Uint8Array, targets: PeerId[], waitFor: number, from: PeerId, provisional: boolean) => Promise<Forwarded>

/**
 * Whether a verified-looking block may be stored for `peer`: admitted (with
 * `undo` to call when it is not stored after all), or refused with the
 * status to answer and why.
 */
export type Admission =
  | { admitted: true, undo?: () => void }
  | { admitted: false, status: 'not-responsible' | 'limited', message: string }

/** Decides on each pushed block before its bytes are hashed (responsibility, per-peer limits). */
export type Admit = (cid: CID, bytes: number, peer: PeerId) => Promise<Admission>

/**
 * Admits a store stream from `peer`: a function to call when the stream
 * ends, or the refusal every request on it is answered with (LIMITED).
 */
export type AdmitStream = (peer: PeerId) => (() => void) | { message: string }

export interface StoreRequestHandlerOptions {
  /** Asked about each block before it is verified; without it, every block is admitted. */
  admit?: Admit
  /** Asked about each stream as it opens; without it, every stream is admitted. */
  admitStream?: AdmitStream
  /** Called after a block was verified and stored. */
  onStored?: (cid: CID, bytes: Uint8Array, peer: PeerId) => void
  /** Pushes a stored block on to the targets its request names; without it, they are ignored. */
  forward?: Forward
  /**
   * Called with each error the handler swallows: the one that made it abort a
   * stream (usually a `ProtocolError`), or a local failure answered INTERNAL.
   */
  onError?: (err: Error, peer: PeerId) => void
  /** Abort a stream that is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

export interface PushBlocksOptions extends AbortOptions {
  /** The responder, named in errors. */
  peer?: string
  /** Most unanswered requests at once. Default `STORE_WINDOW`. */
  window?: number
  /** Most unanswered block bytes at once (one block may always be in flight). Default `STORE_WINDOW_BYTES`. */
  windowBytes?: number
  /** Fail when the responder is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

const OUTCOME_OF: Partial<Record<StoreStatus, StoreOutcome>> = {
  [StoreStatus.STORED]: 'stored',
  [StoreStatus.QUOTA]: 'quota',
  [StoreStatus.TOO_LARGE]: 'too-large',
  [StoreStatus.HASH_MISMATCH]: 'hash-mismatch',
  [StoreStatus.NOT_RESPONSIBLE]: 'not-responsible',
  [StoreStatus.INVALID]: 'invalid',
  [StoreStatus.INTERNAL]: 'internal',
  [StoreStatus.LIMITED]: 'limited'
}

interface Verdict {
  status: StoreStatus
  message?: string
  holders?: Uint8Array[]
  pending?: number
}

/**
 * The responder: verifies and stores each pushed block in `blocks` as a
 * `replica` (provisional when the request says so) and answers in order. An oversized message or garbage aborts the
 * stream; the handler never throws.
 */
export function storeRequestHandler (blocks: Pick<LocalBlocks, 'put'>, options: StoreRequestHandlerOptions = {}): StreamHandler {
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const wire = new ProtocolStream(stream, { peer: peer.toString(), idleTimeout: options.idleTimeout })
    const admitted = options.admitStream?.(peer) ?? (() => {})
    // a stream over the limit is answered, not dropped: each block is
    // refused naming the limit, so the uploader knows to go elsewhere
    const refusal: Verdict | undefined = typeof admitted === 'function' ? undefined : { status: StoreStatus.LIMITED, message: admitted.message }
    try {
      while (true) {
        const request = await wire.read(StoreRequest, 'store request', { allowEnd: true })
        if (request == null) break
        const verdict = refusal ?? await storeBlock(request, blocks, peer, options)
        await wire.write({ cid: request.cid, ...verdict }, StoreResponse, `answer for ${describeCid(request.cid)}`)
      }
      await wire.closeWrite()
    } catch (err: any) {
      stream.abort(err)
      options.onError?.(err, peer)
    } finally {
      if (typeof admitted === 'function') admitted()
    }
  }
}

async function storeBlock (request: StoreRequest, blocks: Pick<LocalBlocks, 'put'>, peer: PeerId, options: StoreRequestHandlerOptions): Promise<Verdict> {
  const { data } = request
  if (data.byteLength > MAX_BLOCK_BYTES) {
    return { status: StoreStatus.TOO_LARGE, message: `the block is ${data.byteLength} bytes, more than the ${MAX_BLOCK_BYTES} allowed` }
  }

  let cid: CID
  let targets: PeerId[]
  try {
    cid = parseCid(request.cid, peer.toString())
    targets = parseTargets(request.forward)
  } catch (err: any) {
    return { status: StoreStatus.INVALID, message: err.message }
  }

  let undo: (() => void) | undefined
  if (options.admit != null) {
    let admission: Admission
    try {
      admission = await options.admit(cid, data.byteLength, peer)
    } catch (err: any) {
      return internal(err, peer, options)
    }
    if (!admission.admitted) {
      return { status: admission.status === 'limited' ? StoreStatus.LIMITED : StoreStatus.NOT_RESPONSIBLE, message: admission.message }
    }
    undo = admission.undo
  }

  try {
    await verifyBlock(cid, data, peer.toString())
  } catch (err: any) {
    undo?.()
    return err?.name === 'HashMismatchError'
      ? { status: StoreStatus.HASH_MISMATCH, message: `the bytes do not hash to ${cid}` }
      : { status: StoreStatus.INVALID, message: err.message }
  }

  try {
    await blocks.put(cid, data, 'replica', { provisional: request.provisional })
  } catch (err: any) {
    undo?.()
    if (err?.name === 'QuotaExceededError') {
      return { status: StoreStatus.QUOTA, message: err.message }
    }
    return internal(err, peer, options)
  }

  options.onStored?.(cid, data, peer)
  if (options.forward == null || targets.length === 0) return { status: StoreStatus.STORED }
  try {
    const forwarded = await options.forward(cid, data, targets, Math.min(request.waitFor, targets.length), peer, request.provisional)
    return { status: StoreStatus.STORED, holders: forwarded.holders.map(p => p.toMultihash().bytes), pending: forwarded.pending }
  } catch (err: any) {
    // stored here all the same: the uploader pushes to the others itself
    options.onError?.(err, peer)
    return { status: StoreStatus.STORED }
  }
}

/** The PeerIds a store request asks to forward to; throws naming what is wrong. */
function parseTargets (forward: Uint8Array[]): PeerId[] {
  if (forward.length > MAX_FORWARD_TARGETS) {
    throw new Error(`asked to forward to ${forward.length} peers, more than the ${MAX_FORWARD_TARGETS} allowed`)
  }
  return forward.map((bytes, i) => {
    try {
      return peerIdFromMultihash(Digest.decode(bytes))
    } catch {
      throw new Error(`forward target ${i} is not a PeerId`)
    }
  })
}

/** A local failure: the peer learns only that it happened, the node gets the error. */
function internal (err: Error, peer: PeerId, options: StoreRequestHandlerOptions): Verdict {
  options.onError?.(err, peer)
  return { status: StoreStatus.INTERNAL, message: 'the server failed to store the block' }
}

/**
 * The dialler: pushes `blocks` on a fresh `/weft/store/1.0.0` stream with up
 * to `window` requests (and `windowBytes` bytes) unanswered and yields one
 * answer per block, in order.
 * A block over `MAX_BLOCK_BYTES` or with a CID weft cannot verify is answered
 * here (`too-large`, `invalid`) without being sent. Throws `ProtocolError`
 * when the responder answers out of order, with an unknown status or ends
 * early; aborts the stream on any error, on `signal` (throwing its reason)
 * and when the caller stops early.
 */
export async function * pushBlocks (stream: Stream, blocks: AsyncIterable<BlockToStore> | Iterable<BlockToStore>, options: PushBlocksOptions = {}): AsyncGenerator<StoreAnswer, void, undefined> {
  const { signal, peer } = options
  const window = options.window ?? STORE_WINDOW
  const windowBytes = options.windowBytes ?? STORE_WINDOW_BYTES
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`the store window must be a positive integer, not ${window}`)
  }
  if (!(windowBytes > 0)) {
    throw new RangeError(`the store window must allow some bytes, not ${windowBytes}`)
  }

  const wire = new ProtocolStream(stream, { peer, idleTimeout: options.idleTimeout })
  const source = Symbol.asyncIterator in blocks ? blocks[Symbol.asyncIterator]() : blocks[Symbol.iterator]()
  const abort = abortOnFailure(stream, signal)
  /** Blocks taken from `source` and not yet answered, in order; `local` when answered without asking. */
  const pending: Array<{ cid: CID, size: number, local?: StoreAnswer }> = []
  let pendingBytes = 0
  let sourceDone = false
  let failed: Error | undefined
  // the writer and the reader run side by side: the source may be a queue
  // that gives its next block only once an earlier one is answered, so the
  // reader must never wait for the window to fill
  let wake: (() => void) | undefined
  const changed = async (): Promise<void> => new Promise(resolve => { wake = resolve })
  const notify = (): void => { const w = wake; wake = undefined; w?.() }

  const writer = (async () => {
    try {
      while (true) {
        // take no block from the source before the window has room for one
        while (pending.length >= window) {
          await changed()
          if (failed != null) return
        }
        const next = await source.next()
        signal?.throwIfAborted()
        if (next.done === true) break
        const { cid, bytes, forward, waitFor, provisional } = next.value
        const local = refuseLocally(cid, bytes)
        if (local != null) {
          pending.push({ cid, size: 0, local })
          notify()
          continue
        }
        while (pendingBytes > 0 && pendingBytes + bytes.byteLength > windowBytes) {
          await changed()
          if (failed != null) return
        }
        pending.push({ cid, size: bytes.byteLength })
        pendingBytes += bytes.byteLength
        notify()
        await wire.write({ cid: cid.bytes, data: bytes, forward: forward?.map(p => p.toMultihash().bytes) ?? [], waitFor: waitFor ?? 0, provisional: provisional ?? false }, StoreRequest, `store request for ${cid}`, { signal })
      }
      sourceDone = true
      await wire.closeWrite({ signal })
      notify()
    } catch (err: any) {
      failed ??= err
      notify()
    }
  })()

  try {
    signal?.throwIfAborted()
    while (true) {
      if (failed != null) throw failed
      const head = pending[0]
      if (head == null) {
        if (sourceDone) {
          // take in the responder's close, so the stream closes fully
          await wire.expectEnd('last answer', { signal })
          break
        }
        await changed()
        continue
      }
      const answer = head.local ?? await readAnswer(wire, head.cid, signal)
      pending.shift()
      pendingBytes -= head.size
      yield answer
      // the window counts answers the caller has not taken yet
      notify()
    }
  } catch (err) {
    const error = abort.fail(err)
    failed ??= error as Error
    throw error
  } finally {
    abort.release()
    if (!sourceDone || pending.length > 0) {
      failed ??= new Error('the store push was abandoned before its last answer')
      stream.abort(failed)
      notify()
      if (!sourceDone) await closeSource(source)
    }
    // the writer ends by itself once the source does (it catches its own errors)
    void writer
  }
}

async function closeSource (source: AsyncIterator<BlockToStore> | Iterator<BlockToStore>): Promise<void> {
  try {
    await source.return?.()
  } catch {
    // the caller's iterator failed while being closed: the push has failed already
  }
}

function refuseLocally (cid: CID, bytes: Uint8Array): StoreAnswer | undefined {
  if (bytes.byteLength > MAX_BLOCK_BYTES) {
    return { cid, status: 'too-large', message: `the block is ${bytes.byteLength} bytes, more than the ${MAX_BLOCK_BYTES} allowed` }
  }
  try {
    assertSupportedCid(cid)
  } catch (err: any) {
    return { cid, status: 'invalid', message: err.message }
  }
  return undefined
}

async function readAnswer (wire: ProtocolStream, cid: CID, signal: AbortSignal | undefined): Promise<StoreAnswer> {
  const response = await wire.read(StoreResponse, `answer for ${cid}`, { signal })
  const who = describePeer(wire.peer)
  if (!uint8ArrayEquals(response.cid, cid.bytes)) {
    throw new ProtocolError(`${who} answered for ${describeCid(response.cid)} where the answer for ${cid} was due`, wire.peer)
  }
  const status = OUTCOME_OF[response.status]
  if (status == null) {
    throw new ProtocolError(`${who} answered ${cid} with the status ${response.status}`, wire.peer)
  }
  const answer: StoreAnswer = response.message === '' ? { cid, status } : { cid, status, message: response.message }
  if (status === 'stored' && (response.holders.length > 0 || response.pending > 0)) {
    try {
      answer.holders = response.holders.map(bytes => peerIdFromMultihash(Digest.decode(bytes)))
    } catch {
      throw new ProtocolError(`${who} named a holder of ${cid} that is not a PeerId`, wire.peer)
    }
    answer.pending = response.pending
  }
  return answer
}
