/**
 * The framing of weft's protocol streams (`ProtocolStream`): length-prefixed
 * protobuf messages from a remote peer we do not trust.
 */

import { lpStream } from '@libp2p/utils'
import { HashMismatchError, ProtocolError } from '../errors.js'
import { describePeer } from './cid-parsing.js'
import { MAX_MESSAGE_BYTES, STREAM_IDLE_TIMEOUT_MS } from './limits.js'
import type { AbortOptions, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A protons message type, as the generated `pb/*.ts` files export it. */
export interface MessageCodec<T> {
  encode: (message: Partial<T>) => Uint8Array
  decode: (bytes: Uint8Array | Uint8ArrayList, options?: DecodeOptions<T>) => T
}

/**
 * A message to write: any field may be left out, and bytes fields take any
 * `Uint8Array` (protons types them `Uint8Array<ArrayBuffer>`, which block
 * bytes from a store need not be).
 */
export type OutgoingMessage<T> = {
  [K in keyof T]?: T[K] extends Uint8Array ? Uint8Array : T[K] extends Uint8Array[] ? Uint8Array[] : T[K]
}

export interface ReadOptions<T> extends AbortOptions {
  /** Limits on repeated fields, checked while decoding (protons `limits`). */
  limits?: DecodeOptions<T>['limits']
  /**
   * Resolve with `undefined` instead of throwing when the peer closed its
   * side cleanly where a message would start.
   */
  allowEnd?: boolean
}

export interface ProtocolStreamOptions {
  /** The remote peer, named in errors. */
  peer?: string
  /** Default `STREAM_IDLE_TIMEOUT_MS`. */
  idleTimeout?: number
  /** The longest message read (default `MAX_MESSAGE_BYTES`); a protocol of small messages sets less. */
  maxMessageBytes?: number
  /**
   * Unread bytes to hold before the stream is reset, when the peer may
   * rightly send more than libp2p's default 4 MiB ahead of our reads (the
   * answers to a block request).
   */
  maxBufferedBytes?: number
}

/** Reads a frame without decoding it (for `expectEnd`, where any message is one too many). */
const ANY_MESSAGE: MessageCodec<Uint8Array | Uint8ArrayList> = {
  encode: () => new Uint8Array(0),
  decode: (bytes) => bytes
}

/** What libp2p streams and `lpStream` buffer unread by default before they reset. */
const LIBP2P_READ_BUFFER_BYTES = 4 * 1024 * 1024

/**
 * One side of a weft protocol stream: length-prefixed protobuf messages, each
 * at most `MAX_MESSAGE_BYTES` (or a protocol's smaller limit), read from a
 * peer we do not trust.
 *
 * - A read or write fails when nothing moves for `idleTimeout` ms.
 * - Between reads the stream is paused, so a peer that runs ahead is held back
 *   by the muxer's flow control instead of filling our memory.
 * - Every failure caused by the peer (oversized message, garbage, early end,
 *   reset, silence) becomes a `ProtocolError` naming it; an abort through the
 *   caller's `signal` throws the signal's reason instead.
 */
export class ProtocolStream {
  readonly stream: Stream
  readonly peer: string | undefined
  readonly #lp: LengthPrefixedStream<Stream>
  readonly #idleTimeout: number
  readonly #maxMessageBytes: number
  /** Bytes received and bytes consumed as whole messages: equal at a message boundary. */
  #received = 0
  #consumed = 0
  #readTimer: ReturnType<typeof setTimeout> | undefined
  /** The pending read's idle signal, re-armed on every arriving byte. */
  #readIdle: AbortController | undefined
  /** Why the stream closed, when it was aborted or reset: a later read only sees "EOF". */
  #closeError: Error | undefined

  constructor (stream: Stream, options: ProtocolStreamOptions = {}) {
    this.stream = stream
    this.peer = options.peer
    this.#idleTimeout = options.idleTimeout ?? STREAM_IDLE_TIMEOUT_MS
    this.#maxMessageBytes = Math.min(options.maxMessageBytes ?? MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES)
    const maxBufferSize = Math.max(options.maxBufferedBytes ?? 0, LIBP2P_READ_BUFFER_BYTES)
    // a paused stream buffers up to maxReadBufferLength; muxers do not reliably
    // hold the sender back below it (yamux windows grow to 16 MiB, WebRTC has none)
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, maxBufferSize)
    this.#lp = lpStream(stream, { maxDataLength: this.#maxMessageBytes, lengthDecoder: decodeLength, maxBufferSize })
    stream.addEventListener('message', (evt) => {
      this.#received += evt.data.byteLength
      // restart the pending read's idle clock (Node's timer.refresh() does not
      // exist in browsers, where timers are plain numbers)
      if (this.#readIdle != null) this.#armReadTimer(this.#readIdle)
    })
    stream.addEventListener('close', (evt) => {
      this.#closeError = evt.error
    })
  }

  /** Reads and decodes one message; `what` names it in errors ("block request"). */
  async read<T> (codec: MessageCodec<T>, what: string, options: ReadOptions<T> & { allowEnd: true }): Promise<T | undefined>
  async read<T> (codec: MessageCodec<T>, what: string, options?: ReadOptions<T>): Promise<T>
  async read<T> (codec: MessageCodec<T>, what: string, options: ReadOptions<T> = {}): Promise<T | undefined> {
    const idle = new AbortController()
    this.#readIdle = idle
    this.#armReadTimer(idle)
    const signal = options.signal == null ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    if (this.stream.readStatus === 'paused') this.stream.resume()

    let frame: Uint8ArrayList
    try {
      frame = await this.#lp.read({ signal })
    } catch (err: any) {
      if (options.allowEnd === true && err?.name === 'UnexpectedEOFError' && this.#received === this.#consumed) {
        return undefined
      }
      throw this.#failure(err, `while we waited for its ${what}`, options.signal, idle.signal)
    } finally {
      clearTimeout(this.#readTimer)
      this.#readTimer = undefined
      this.#readIdle = undefined
      if (this.stream.readStatus === 'readable') this.stream.pause()
    }
    this.#consumed += varintLength(frame.byteLength) + frame.byteLength

    try {
      return codec.decode(frame, { limits: options.limits })
    } catch (err: any) {
      throw new ProtocolError(`${describePeer(this.peer)} sent a malformed ${what}: ${err.message}`, this.peer, { cause: err })
    }
  }

  /**
   * Waits for the peer to close its side where no more messages are due.
   * Reading the end is what lets the stream close fully: a stream paused
   * after its last message never takes in the peer's close, stays open on
   * both sides and counts against the peer's per-connection stream limit
   * until, after a few dozen requests, the peer refuses new streams.
   * A message where the end was due is a ProtocolError.
   */
  async expectEnd (after: string, options: AbortOptions = {}): Promise<void> {
    const extra = await this.read(ANY_MESSAGE, `close after its ${after}`, { ...options, allowEnd: true })
    if (extra !== undefined) {
      throw new ProtocolError(`${describePeer(this.peer)} sent more after its ${after}`, this.peer)
    }
  }

  /** Encodes and writes one message, waiting while the stream needs to drain. */
  async write<T> (message: OutgoingMessage<T>, codec: MessageCodec<T>, what: string, options: AbortOptions = {}): Promise<void> {
    await this.#withIdleTimeout(`while we sent our ${what}`, options, async (signal) => {
      await this.#lp.write(codec.encode(message as Partial<T>), { signal })
    })
  }

  /**
   * Writes one message already encoded (`encodeBlockOk`: a header and the
   * block, in pieces that are not joined); `what` names it in errors.
   */
  async writeEncoded (bytes: Uint8Array | Uint8ArrayList, what: string, options: AbortOptions = {}): Promise<void> {
    await this.#withIdleTimeout(`while we sent our ${what}`, options, async (signal) => {
      await this.#lp.write(bytes, { signal })
    })
  }

  /** Closes our writable end once everything written has been sent. */
  async closeWrite (options: AbortOptions = {}): Promise<void> {
    await this.#withIdleTimeout('while we closed the stream', options, async (signal) => {
      await this.stream.close({ signal })
    })
  }

  #armReadTimer (idle: AbortController): void {
    clearTimeout(this.#readTimer)
    this.#readTimer = setTimeout(() => { idle.abort() }, this.#idleTimeout)
  }

  async #withIdleTimeout (context: string, options: AbortOptions, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const idle = new AbortController()
    const timer = setTimeout(() => { idle.abort() }, this.#idleTimeout)
    const signal = options.signal == null ? idle.signal : AbortSignal.any([options.signal, idle.signal])
    try {
      await fn(signal)
    } catch (err) {
      throw this.#failure(err, context, options.signal, idle.signal)
    } finally {
      clearTimeout(timer)
    }
  }

  #failure (err: any, context: string, callerSignal: AbortSignal | undefined, idleSignal: AbortSignal): unknown {
    if (callerSignal?.aborted === true) return callerSignal.reason
    if (err instanceof ProtocolError || err instanceof HashMismatchError) return err
    if (this.#closeError != null && (err?.name === 'UnexpectedEOFError' || err?.name === 'StreamStateError')) {
      err = this.#closeError
    }

    const who = describePeer(this.peer)
    const cause = { cause: err }
    // a reset, an early close or silence may be the network's doing, or a busy peer's
    const transient = { cause: err, transient: true }
    if (idleSignal.aborted) {
      return new ProtocolError(`${who} was idle for ${this.#idleTimeout} ms ${context}`, this.peer, transient)
    }
    switch (err?.name) {
      case 'InvalidDataLengthError':
      case 'InvalidDataLengthLengthError':
        return new ProtocolError(`${who} sent a message longer than the ${this.#maxMessageBytes} bytes allowed ${context}`, this.peer, cause)
      case 'InvalidMessageLengthError':
        return new ProtocolError(`${who} sent an invalid message length ${context}`, this.peer, cause)
      case 'UnexpectedEOFError':
        return new ProtocolError(`${who} closed the stream ${context}`, this.peer, transient)
      case 'StreamResetError':
        return new ProtocolError(`${who} reset the stream ${context}`, this.peer, transient)
      case 'StreamBufferError':
        return new ProtocolError(`${who} sent more than we buffer unread ${context}: ${err.message}`, this.peer, cause)
      default:
        if (this.stream.status === 'reset') {
          return new ProtocolError(`${who} reset the stream ${context}`, this.peer, transient)
        }
        return new ProtocolError(`stream to ${who} failed ${context}: ${err?.message ?? String(err)}`, this.peer, transient)
    }
  }
}

/** The most bytes a message length may take: the varint length of `MAX_MESSAGE_BYTES`. */
const MAX_LENGTH_BYTES = varintLength(MAX_MESSAGE_BYTES)

/**
 * The varint length prefix of a message. `lpStream` calls this after each
 * byte and waits for more on a `RangeError`; its own decoder gives up only
 * after 8 bytes and then with a `RangeError` too, so a peer sending endless
 * 0xff bytes would be read forever. Here a prefix longer than any allowed
 * length fails at once.
 */
function decodeLength (data: Uint8ArrayList): number {
  let value = 0
  for (let i = 0; i < data.byteLength; i++) {
    const byte = data.get(i)
    value += (byte & 0x7f) * 2 ** (7 * i)
    if (byte < 0x80) return value
    if (i + 1 >= MAX_LENGTH_BYTES) {
      throw Object.assign(new Error(`message length prefix longer than ${MAX_LENGTH_BYTES} bytes`), { name: 'InvalidDataLengthLengthError' })
    }
  }
  throw new RangeError('the message length prefix is incomplete')
}

/** Bytes of the (minimal) unsigned varint encoding `value`. */
function varintLength (value: number): number {
  let length = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    length++
  }
  return length
}
