import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { ProtocolError } from '../../src/errors.js'
import { haveRequestHandler, requestHave, type HaveRequestHandlerOptions } from '../../src/protocols/have-protocol.js'
import { MAX_CIDS_PER_REQUEST, MAX_HAVE_MESSAGE_BYTES } from '../../src/protocols/limits.js'
import { HaveRequest, HaveResponse } from '../../src/protocols/pb/have.js'
import { MemoryBlocks, closed, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import { SERVER, answer, hostileResponder, isProtocolError, varint } from './hostile.js'
import type { Stream } from '@libp2p/interface'

async function serverFor (blocks: MemoryBlocks, options: HaveRequestHandlerOptions = {}): Promise<{ stream: Stream, inbound: Stream, handled: Promise<void> }> {
  return dialHandler(haveRequestHandler(blocks, options), await randomPeerId())
}

/** Sends `bytes` as the whole request to a real responder and returns the error it reports. */
async function hostileRequest (bytes: Uint8Array[]): Promise<{ error: Error, inbound: Stream }> {
  const errors: Error[] = []
  const { stream, inbound, handled } = await serverFor(new MemoryBlocks(), { onError: (err) => errors.push(err) })
  for (const chunk of bytes) stream.send(chunk)
  await stream.close().catch(() => {})
  await handled
  assert.equal(errors.length, 1)
  return { error: errors[0], inbound }
}

describe('have protocol', () => {
  it('answers kept, cached or none per CID, in request order', async () => {
    const [replica, pinned, cache, absent] = await Promise.all(['replica', 'pinned', 'cache', 'absent'].map(async text => rawBlock(text)))
    const blocks = new MemoryBlocks()
    await blocks.put(replica.cid, replica.bytes, 'replica')
    await blocks.put(pinned.cid, pinned.bytes, 'pinned')
    await blocks.put(cache.cid, cache.bytes, 'cache')
    const { stream, inbound, handled } = await serverFor(blocks)

    const holdings = await requestHave(stream, [absent.cid, cache.cid, pinned.cid, replica.cid], { peer: SERVER })

    assert.deepEqual(holdings, ['none', 'cached', 'kept', 'kept'])
    await handled
    assert.equal(await closed(inbound), 'closed')
  })

  it('answers a request of exactly MAX_CIDS_PER_REQUEST CIDs', async () => {
    const all = await Promise.all(Array.from({ length: MAX_CIDS_PER_REQUEST }, async (_, i) => rawBlock(`block ${i}`)))
    const blocks = new MemoryBlocks()
    for (const { cid, bytes } of all.filter((_, i) => i % 2 === 0)) await blocks.put(cid, bytes, 'replica')
    const { stream } = await serverFor(blocks)

    const holdings = await requestHave(stream, all.map(({ cid }) => cid), { peer: SERVER })

    assert.deepEqual(holdings, all.map((_, i) => i % 2 === 0 ? 'kept' : 'none'))
  })

  it('refuses to ask about no CIDs, more than MAX_CIDS_PER_REQUEST, or a CID it cannot name', async () => {
    const a = await rawBlock('a')
    const sha512 = CID.createV1(raw.code, createDigest(0x13, new Uint8Array(64)))
    const { stream } = await serverFor(new MemoryBlocks())
    await assert.rejects(requestHave(stream, []), RangeError)
    const second = await serverFor(new MemoryBlocks())
    await assert.rejects(requestHave(second.stream, new Array(MAX_CIDS_PER_REQUEST + 1).fill(a.cid)), RangeError)
    const third = await serverFor(new MemoryBlocks())
    await assert.rejects(requestHave(third.stream, [sha512]), (err: Error) => err.name === 'InvalidCIDError')
  })

  it('aborts the stream on an empty request, too many CIDs, a malformed or unsupported CID, naming the peer', async () => {
    const a = await rawBlock('a')
    const sha512 = CID.createV1(raw.code, createDigest(0x13, new Uint8Array(64)))
    const requests: Array<[Uint8Array[], RegExp]> = [
      [[], /sent a have request without CIDs/],
      [new Array(MAX_CIDS_PER_REQUEST + 1).fill(a.cid.bytes), /sent a malformed have request: .*too many elements/],
      [[Uint8Array.from([1, 2, 3])], /sent a malformed CID/],
      [[sha512.bytes], /unsupported hash function/]
    ]
    for (const [cids, pattern] of requests) {
      const request = HaveRequest.encode({ cids: cids as Array<Uint8Array<ArrayBuffer>> })
      const { error, inbound } = await hostileRequest([varint(request.byteLength), request])
      assert.ok(error instanceof ProtocolError, String(error))
      assert.match(error.message, pattern)
      assert.match(error.message, /^peer 12D3KooW/)
      assert.equal(inbound.status, 'aborted')
    }
  })

  it('aborts a request longer than MAX_HAVE_MESSAGE_BYTES from its length prefix', async () => {
    const { error, inbound } = await hostileRequest([varint(MAX_HAVE_MESSAGE_BYTES + 1), new Uint8Array(16)])
    assert.ok(error instanceof ProtocolError)
    assert.match(error.message, new RegExp(`longer than the ${MAX_HAVE_MESSAGE_BYTES} bytes allowed`))
    assert.equal(inbound.status, 'aborted')
  })

  it('aborts a request followed by more instead of the close', async () => {
    const a = await rawBlock('a')
    const errors: Error[] = []
    const { stream, inbound, handled } = await serverFor(new MemoryBlocks(), { onError: (err) => errors.push(err) })
    const pb = pbStream(stream)
    await pb.write({ cids: [a.cid.bytes] } as Partial<HaveRequest>, HaveRequest)
    await pb.write({ cids: [a.cid.bytes] } as Partial<HaveRequest>, HaveRequest)
    await handled
    assert.equal(inbound.status, 'aborted')
    assert.match(errors[0].message, /sent more after its have request/)
  })

  it('aborts a stream whose request never comes', async () => {
    const errors: Error[] = []
    const { inbound, handled } = await serverFor(new MemoryBlocks(), { idleTimeout: 50, onError: (err) => errors.push(err) })

    await handled
    assert.equal(inbound.status, 'aborted')
    assert.match(errors[0].message, /idle for 50 ms while we waited for its have request/)
  })

  it('rejects an answer with too few or too many holdings', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    for (const holdings of [Uint8Array.from([2]), Uint8Array.from([2, 2, 2])]) {
      const stream = await hostileResponder(HaveRequest, async (s) => { await answer(s, HaveResponse, { holdings }) })
      await assert.rejects(requestHave(stream, [a.cid, b.cid], { peer: SERVER }),
        isProtocolError(new RegExp(`answered ${holdings.length} holdings to a have request of 2 CIDs`)))
      assert.equal(stream.status, 'aborted')
    }
  })

  it('rejects an unknown holding value', async () => {
    const a = await rawBlock('a')
    const stream = await hostileResponder(HaveRequest, async (s) => { await answer(s, HaveResponse, { holdings: Uint8Array.from([3]) }) })
    await assert.rejects(requestHave(stream, [a.cid], { peer: SERVER }), isProtocolError(new RegExp(`answered ${a.cid} with the unknown holding 3`)))
  })

  it('rejects garbage, an oversized answer, more after the answer and a close without one', async () => {
    const a = await rawBlock('a')
    const responders: Array<[(s: Stream) => Promise<void>, RegExp]> = [
      [async (s) => { s.send(new Uint8Array(12).fill(0xff)) }, /./],
      [async (s) => { s.send(Uint8Array.from([3, 0x0a, 0xff, 0xff])) }, /sent a malformed have answer/],
      [async (s) => { s.send(varint(MAX_HAVE_MESSAGE_BYTES + 1)) }, new RegExp(`longer than the ${MAX_HAVE_MESSAGE_BYTES} bytes allowed`)],
      [async (s) => { await answer(s, HaveResponse, { holdings: Uint8Array.from([2]) }); await answer(s, HaveResponse, { holdings: Uint8Array.from([2]) }) }, /sent more after its have answer/],
      [async (s) => { await s.close() }, /closed the stream while we waited for its have answer/]
    ]
    for (const [respond, pattern] of responders) {
      const stream = await hostileResponder(HaveRequest, respond)
      await assert.rejects(requestHave(stream, [a.cid], { peer: SERVER }), isProtocolError(pattern))
      // a responder that closed its side first leaves nothing to abort
      assert.ok(['aborted', 'closed'].includes(stream.status), stream.status)
    }
  })

  it('keeps serving after a hostile stream', async () => {
    const a = await rawBlock('a')
    const blocks = new MemoryBlocks()
    await blocks.put(a.cid, a.bytes, 'replica')
    const handler = haveRequestHandler(blocks)
    const peer = await randomPeerId()

    const hostile = await dialHandler(handler, peer)
    hostile.stream.send(new Uint8Array(12).fill(0xff))
    await hostile.handled
    assert.equal(hostile.inbound.status, 'aborted')

    const second = await dialHandler(handler, peer)
    assert.deepEqual(await requestHave(second.stream, [a.cid], { peer: SERVER }), ['kept'])
  })

  it('stops a request when its signal aborts, throwing the reason', async () => {
    const a = await rawBlock('a')
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    // reads the request, never answers: the caller gives up while it waits
    const stream = await hostileResponder(HaveRequest, async () => { controller.abort(reason) })

    await assert.rejects(requestHave(stream, [a.cid], { peer: SERVER, signal: controller.signal }), (err) => err === reason)
    assert.equal(stream.status, 'aborted')
  })
})
