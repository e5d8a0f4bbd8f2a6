/**
 * `/weft/have/1.0.0`: which of some blocks a peer holds, without their bytes.
 *
 * The dialler writes one `HaveRequest` (1..`MAX_CIDS_PER_REQUEST` CIDs) and
 * closes its side; the responder answers with one `HaveResponse`, a byte per
 * CID in request order, and closes. Replica maintenance asks this before it
 * pushes a block, so a server that holds it already is not sent a megabyte
 * again. See docs/protocols.md.
 */

import { ProtocolError } from '../errors.js'
import { assertRequestCids, describePeer, parseCid } from './cid-parsing.js'
import { MAX_CIDS_PER_REQUEST, MAX_HAVE_MESSAGE_BYTES } from './limits.js'
import { HaveRequest, HaveResponse } from './pb/have.js'
import { ProtocolStream } from './protocol-stream.js'
import { abortOnFailure } from './request-abort.js'
import type { BlockRole, LocalBlocks } from '../store/local-blocks.js'
import type { AbortOptions, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export const HAVE_PROTOCOL = '/weft/have/1.0.0'

/**
 * What a peer holds of one block: `none`; `cached` (it may evict it at any
 * time); `kept` (it keeps it: a replica or pinned).
 */
export type Holding = 'none' | 'cached' | 'kept'

/** The wire value of each holding: its index. */
const HOLDINGS: readonly Holding[] = ['none', 'cached', 'kept']

export interface HaveRequestHandlerOptions {
  /** Called with the error that made the handler abort a stream (usually a `ProtocolError`). */
  onError?: (err: Error, peer: PeerId) => void
  /** Abort a stream that is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

export interface RequestHaveOptions extends AbortOptions {
  /** The responder, named in errors. */
  peer?: string
  /** Fail when the responder is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
  /** The put that stored these blocks finished: the responder settles its provisional replicas of them before answering. */
  settle?: boolean
}

function holdingOf (role: BlockRole | undefined): Holding {
  if (role == null) return 'none'
  return role === 'cache' ? 'cached' : 'kept'
}

/**
 * The responder: answers from `blocks`' in-memory index (no disk read),
 * after settling the provisional replicas named when the request says
 * `settle`. A request that is empty, too long, malformed or names a bad CID
 * aborts the stream; the handler never throws.
 */
export function haveRequestHandler (blocks: Pick<LocalBlocks, 'roleOf' | 'settle'>, options: HaveRequestHandlerOptions = {}): StreamHandler {
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const wire = new ProtocolStream(stream, { peer: peer.toString(), idleTimeout: options.idleTimeout, maxMessageBytes: MAX_HAVE_MESSAGE_BYTES })
    try {
      const request = await wire.read(HaveRequest, 'have request', { limits: { cids: MAX_CIDS_PER_REQUEST } })
      if (request.cids.length === 0) {
        throw new ProtocolError(`${describePeer(wire.peer)} sent a have request without CIDs`, wire.peer)
      }
      const cids = request.cids.map(bytes => parseCid(bytes, wire.peer))
      // the dialler closes its side after its one request
      await wire.expectEnd('have request')
      if (request.settle) await blocks.settle?.(cids)
      const holdings = Uint8Array.from(cids, cid => HOLDINGS.indexOf(holdingOf(blocks.roleOf(cid))))
      await wire.write({ holdings }, HaveResponse, 'have answer')
      await wire.closeWrite()
    } catch (err: any) {
      stream.abort(err)
      options.onError?.(err, peer)
    }
  }
}

/**
 * The dialler: asks what the responder holds of `cids`
 * (1..`MAX_CIDS_PER_REQUEST`) on a fresh `/weft/have/1.0.0` stream, and
 * resolves with one holding per CID, in order. Throws `ProtocolError` when
 * the responder breaks the protocol (an answer of the wrong length, an
 * unknown value, more after the answer); aborts the stream on any error and
 * on `signal` (throwing its reason).
 */
export async function requestHave (stream: Stream, cids: CID[], options: RequestHaveOptions = {}): Promise<Holding[]> {
  const { signal, peer } = options
  const wire = new ProtocolStream(stream, { peer, idleTimeout: options.idleTimeout, maxMessageBytes: MAX_HAVE_MESSAGE_BYTES })
  const abort = abortOnFailure(stream, signal)
  try {
    signal?.throwIfAborted()
    assertRequestCids(cids, 'have request')
    await wire.write({ cids: cids.map(cid => cid.bytes), settle: options.settle ?? false }, HaveRequest, 'have request', { signal })
    await wire.closeWrite({ signal })
    const response = await wire.read(HaveResponse, 'have answer', { signal })
    const who = describePeer(peer)
    if (response.holdings.byteLength !== cids.length) {
      throw new ProtocolError(`${who} answered ${response.holdings.byteLength} holdings to a have request of ${cids.length} CIDs`, peer)
    }
    const holdings = Array.from(response.holdings, (value, i) => {
      const holding = HOLDINGS[value]
      if (holding == null) throw new ProtocolError(`${who} answered ${cids[i]} with the unknown holding ${value}`, peer)
      return holding
    })
    await wire.expectEnd('have answer', { signal })
    return holdings
  } catch (err) {
    throw abort.fail(err)
  } finally {
    abort.release()
  }
}
