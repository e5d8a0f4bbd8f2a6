// What the protocol specs share to play a hostile or hand-written peer.
import assert from 'node:assert/strict'
import { pbStream } from '@libp2p/utils'
import { ProtocolError } from '../../src/errors.js'
import { dialHandler, randomPeerId } from '../support/fakes.js'
import type { OutgoingMessage } from '../../src/protocols/protocol-stream.js'
import type { Stream } from '@libp2p/interface'
import type { ProtobufDecoder, ProtobufEncoder } from '@libp2p/utils'

/** The name the dialler gives the responder: errors must carry it. */
export const SERVER = '12D3KooWServerPeerNamedInErrors'

/** An unsigned varint, for writing length prefixes by hand. */
export function varint (value: number): Uint8Array {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  bytes.push(value)
  return Uint8Array.from(bytes)
}

/**
 * A client stream whose other end reads one `Request` and then runs
 * `respond` on the raw stream: a responder written by hand.
 */
export async function hostileResponder<Request> (codec: { decode: ProtobufDecoder<Request> }, respond: (stream: Stream, request: Request) => Promise<void>): Promise<Stream> {
  const handler = async (inbound: Stream): Promise<void> => {
    const pb = pbStream(inbound)
    const request = await pb.read(codec)
    await respond(pb.unwrap(), request)
  }
  const { stream, handled } = await dialHandler(handler, await randomPeerId())
  handled.catch(() => {})
  return stream
}

/** Writes one message, as a responder written by hand answers. */
export async function answer<Message> (stream: Stream, codec: { encode: ProtobufEncoder<Partial<Message>> }, message: OutgoingMessage<Message>): Promise<void> {
  await pbStream(stream).write(message as Partial<Message>, codec)
}

/** For `assert.rejects`: a `ProtocolError` naming `SERVER`, its message matching `pattern`. */
export function isProtocolError (pattern: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`)
    assert.equal(err.peer, SERVER)
    assert.match(err.message, pattern)
    return true
  }
}
