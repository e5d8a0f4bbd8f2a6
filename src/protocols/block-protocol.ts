/**
 * `/weft/block/1.0.0`: fetch blocks by CID.
 *
 * The dialler writes one `BlockRequest` (1..`MAX_CIDS_PER_REQUEST` CIDs) and
 * reads exactly one `BlockResponse` per CID, in request order; the responder
 * closes the stream after the last one. The dialler hash-checks every block
 * before handing it on. See docs/protocols.md.
 */

import { Uint8ArrayList } from 'uint8arraylist'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { HashMismatchError, ProtocolError } from '../errors.js'
import { MAX_BLOCK_BYTES } from '../store/limits.js'
import { assertRequestCids, describeCid, describePeer, parseCid } from './cid-parsing.js'
import { MAX_CIDS_PER_REQUEST, MAX_MESSAGE_BYTES } from './limits.js'
import { BlockRequest, BlockResponse, BlockStatus } from './pb/block.js'
import { ProtocolStream } from './protocol-stream.js'
import { abortOnFailure } from './request-abort.js'
import { verifyBlock } from './verify-block.js'
import type { LocalBlocks } from '../store/local-blocks.js'
import type { AbortOptions, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export const BLOCK_PROTOCOL = '/weft/block/1.0.0'

/**
 * One answer of `requestBlocks`. `bytes` is present only for `ok`, and only
 * once it hashed to `cid`. `refused`: the responder holds the block but will
 * not send it (it is larger than `MAX_BLOCK_BYTES`).
 */
export type BlockAnswer =
  | { cid: CID, status: 'ok', bytes: Uint8Array }
  | { cid: CID, status: 'not-found' | 'refused', bytes?: undefined }

export interface BlockRequestHandlerOptions {
  /** Called after a block was sent to `peer`. */
  onServed?: (cid: CID, bytes: Uint8Array, peer: PeerId) => void
  /** Called with the error that made the handler abort a stream (usually a `ProtocolError`). */
  onError?: (err: Error, peer: PeerId) => void
  /** Abort a stream that is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

export interface RequestBlocksOptions extends AbortOptions {
  /** The responder, named in errors. */
  peer?: string
  /** Fail when the responder is idle this long (ms). Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
}

/**
 * The responder: answers each requested CID with the block from `blocks`, or
 * NOT_FOUND. A request that is empty, too long, malformed or names a bad CID
 * aborts the stream; the handler never throws.
 */
export function blockRequestHandler (blocks: Pick<LocalBlocks, 'get'>, options: BlockRequestHandlerOptions = {}): StreamHandler {
  return async (stream, connection) => {
    const peer = connection.remotePeer
    const wire = new ProtocolStream(stream, { peer: peer.toString(), idleTimeout: options.idleTimeout })
    try {
      await serveBlocks(wire, blocks, peer, options)
    } catch (err: any) {
      stream.abort(err)
      options.onError?.(err, peer)
    }
  }
}

async function serveBlocks (wire: ProtocolStream, blocks: Pick<LocalBlocks, 'get'>, peer: PeerId, options: BlockRequestHandlerOptions): Promise<void> {
  const request = await wire.read(BlockRequest, 'block request', { limits: { cids: MAX_CIDS_PER_REQUEST } })
  if (request.cids.length === 0) {
    throw new ProtocolError(`${describePeer(wire.peer)} sent a block request without CIDs`, wire.peer)
  }
  const cids = request.cids.map(bytes => parseCid(bytes, wire.peer))
  // the dialler closes its side after its one request
  await wire.expectEnd('block request')

  // the next block is read from the store while this one is written: on a
  // seeder, disk and the wire then overlap instead of taking turns
  const read = async (cid: CID): Promise<Uint8Array | undefined> => blocks.get(cid)
  let next = read(cids[0])
  for (const [i, cid] of cids.entries()) {
    const bytes = await next
    if (i + 1 < cids.length) {
      next = read(cids[i + 1])
      // a write that fails leaves this read unawaited
      next.catch(() => {})
    }
    const what = `answer for ${cid}`
    if (bytes == null) {
      await wire.write({ cid: cid.bytes, status: BlockStatus.BLOCK_NOT_FOUND }, BlockResponse, what)
    } else if (bytes.byteLength > MAX_BLOCK_BYTES) {
      await wire.write({ cid: cid.bytes, status: BlockStatus.BLOCK_REFUSED }, BlockResponse, what)
    } else {
      await wire.writeEncoded(encodeBlockOk(cid, bytes), what)
      options.onServed?.(cid, bytes, peer)
    }
  }
  await wire.closeWrite()
}

/** The tag of BlockResponse's field 3 (`data`, length-delimited). */
const DATA_TAG = (3 << 3) | 2

/**
 * A BLOCK_OK answer, byte for byte as protons encodes it, without copying
 * the block into it: protons' encoding (cid and status) with field 3's tag
 * and length after it, then the block's own bytes, sent as pieces of one
 * message. protons would copy every block it sends into a fresh buffer: a
 * megabyte per block served.
 */
export function encodeBlockOk (cid: CID, data: Uint8Array): Uint8ArrayList {
  const head = BlockResponse.encode({ cid: cid.bytes, status: BlockStatus.BLOCK_OK })
  // proto3 leaves an empty bytes field out, as protons does
  if (data.byteLength === 0) return new Uint8ArrayList(head)
  return new Uint8ArrayList(head, Uint8Array.of(DATA_TAG, ...varint(data.byteLength)), data)
}

/** `value` as a protobuf varint. */
function varint (value: number): number[] {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return bytes
}

/**
 * The dialler: asks for `cids` (1..`MAX_CIDS_PER_REQUEST`) on a fresh
 * `/weft/block/1.0.0` stream and yields one answer per CID, in order, as each
 * arrives. Throws `ProtocolError` when the responder breaks the protocol and
 * `HashMismatchError` when it sends wrong bytes; aborts the stream on any
 * error, on `signal` (throwing its reason) and when the caller stops early.
 */
export async function * requestBlocks (stream: Stream, cids: CID[], options: RequestBlocksOptions = {}): AsyncGenerator<BlockAnswer, void, undefined> {
  const { signal, peer } = options
  // the peer may rightly send every answer before the caller reads the first
  const maxBufferedBytes = Math.min(cids.length, MAX_CIDS_PER_REQUEST) * (MAX_MESSAGE_BYTES + 8)
  const wire = new ProtocolStream(stream, { peer, idleTimeout: options.idleTimeout, maxBufferedBytes })
  const abort = abortOnFailure(stream, signal)
  let answered = 0

  try {
    signal?.throwIfAborted()
    assertRequestCids(cids, 'block request')

    await wire.write({ cids: cids.map(cid => cid.bytes) }, BlockRequest, 'block request', { signal })
    await wire.closeWrite({ signal })

    for (const [i, cid] of cids.entries()) {
      const response = await wire.read(BlockResponse, `answer for ${cid}`, { signal })
      const answer = await checkAnswer(response, cid, peer)
      // the responder closes after its last answer; taking that in before
      // handing the answer over closes the stream whatever the caller does next
      if (i === cids.length - 1) await wire.expectEnd('last answer', { signal })
      answered++
      yield answer
    }
  } catch (err) {
    throw abort.fail(err)
  } finally {
    abort.release()
    if (answered < cids.length) {
      stream.abort(new Error('the block request was abandoned before its last answer'))
    }
  }
}

async function checkAnswer (response: BlockResponse, cid: CID, peer: string | undefined): Promise<BlockAnswer> {
  const who = describePeer(peer)
  if (!uint8ArrayEquals(response.cid, cid.bytes)) {
    throw new ProtocolError(`${who} answered for ${describeCid(response.cid)} where the answer for ${cid} was due`, peer)
  }

  switch (response.status) {
    case BlockStatus.BLOCK_OK: {
      const bytes = response.data
      if (bytes.byteLength > MAX_BLOCK_BYTES) {
        throw new ProtocolError(`${who} sent ${cid} as ${bytes.byteLength} bytes, more than the ${MAX_BLOCK_BYTES} allowed`, peer)
      }
      try {
        await verifyBlock(cid, bytes, peer)
      } catch (err) {
        // proto3 cannot tell empty data from none: only the empty block may come without data
        if (bytes.byteLength === 0 && err instanceof HashMismatchError) {
          throw new ProtocolError(`${who} answered ${cid} with BLOCK_OK but no data`, peer)
        }
        throw err
      }
      return { cid, status: 'ok', bytes }
    }
    case BlockStatus.BLOCK_NOT_FOUND:
    case BlockStatus.BLOCK_REFUSED:
      if (response.data.byteLength > 0) {
        throw new ProtocolError(`${who} sent data with ${response.status} for ${cid}`, peer)
      }
      return { cid, status: response.status === BlockStatus.BLOCK_NOT_FOUND ? 'not-found' : 'refused' }
    default:
      throw new ProtocolError(`${who} answered ${cid} with the status ${response.status}`, peer)
  }
}
