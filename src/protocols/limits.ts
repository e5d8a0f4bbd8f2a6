/**
 * Limits of the weft wire protocols (`/weft/block/1.0.0`, `/weft/store/1.0.0`,
 * `/weft/have/1.0.0`).
 * Every peer enforces them on what it receives; docs/protocols.md lists them.
 * The largest block, `MAX_BLOCK_BYTES`, is the store's (`src/store/limits.ts`).
 */

import { MAX_BLOCK_BYTES } from '../store/limits.js'

/**
 * The largest length-prefixed message either protocol reads: one block plus
 * room for its CID and the protobuf framing. A peer announcing a longer
 * message is cut off before its body is read.
 */
export const MAX_MESSAGE_BYTES = MAX_BLOCK_BYTES + 4096

/** The most CIDs one BlockRequest may carry (also fixed in `pb/block.proto`). */
export const MAX_CIDS_PER_REQUEST = 64

/** The longest binary CID accepted off the wire or from a user. */
export const MAX_CID_BYTES = 128

/**
 * Inbound `/weft/block/1.0.0` streams allowed at once on one connection.
 * A fetcher keeps up to its read window (16) in flight, and a stream it has
 * finished with still counts here until its close has crossed the wire:
 * at 32, a fetcher at full speed was refused streams (seen in the benchmark).
 */
export const BLOCK_MAX_INBOUND_STREAMS = 128

/** Outbound `/weft/block/1.0.0` streams allowed at once on one connection. */
export const BLOCK_MAX_OUTBOUND_STREAMS = 128

/** Inbound `/weft/store/1.0.0` streams allowed at once on one connection. */
export const STORE_MAX_INBOUND_STREAMS = 16

/** Outbound `/weft/store/1.0.0` streams allowed at once on one connection. */
export const STORE_MAX_OUTBOUND_STREAMS = 32

/** Inbound `/weft/have/1.0.0` streams allowed at once on one connection. */
export const HAVE_MAX_INBOUND_STREAMS = 16

/** Outbound `/weft/have/1.0.0` streams allowed at once on one connection. */
export const HAVE_MAX_OUTBOUND_STREAMS = 16

/**
 * The largest `/weft/have/1.0.0` message either side reads: a request of
 * `MAX_CIDS_PER_REQUEST` CIDs of `MAX_CID_BYTES` each, with framing, is
 * under 8.5 KiB; an answer is one byte per CID.
 */
export const MAX_HAVE_MESSAGE_BYTES = 16_384

/** How many StoreRequests a dialler may have sent without an answer. */
export const STORE_WINDOW = 8

/** Forward targets one store request may name: a replica set's members beside the receiver, with room for wide settings. */
export const MAX_FORWARD_TARGETS = 16

/**
 * How many block bytes a dialler may have sent without an answer (one block
 * may always be in flight). Kept under the 4 MiB a libp2p stream buffers
 * before it resets: WebRTC streams (and `streamPair`) ignore `pause()`, so
 * nothing else stops unread requests piling up at a busy responder.
 */
export const STORE_WINDOW_BYTES = 3 * MAX_BLOCK_BYTES

/**
 * A peer that sends nothing for this long while we wait for a message (or
 * reads nothing while we wait to write) has its stream aborted.
 */
export const STREAM_IDLE_TIMEOUT_MS = 30_000
