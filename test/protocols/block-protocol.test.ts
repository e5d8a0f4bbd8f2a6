import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { HashMismatchError, ProtocolError } from '../../src/errors.js'
import { blockRequestHandler, encodeBlockOk, requestBlocks } from '../../src/protocols/block-protocol.js'
import { MAX_CIDS_PER_REQUEST, MAX_MESSAGE_BYTES } from '../../src/protocols/limits.js'
import { BlockRequest, BlockResponse, BlockStatus } from '../../src/protocols/pb/block.js'
import { BlockStore } from '../../src/store/block-store.js'
import { MAX_BLOCK_BYTES } from '../../src/store/limits.js'
import { MemoryBlocks, closed, collect, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import { SERVER, answer, hostileResponder, isProtocolError, varint } from './hostile.js'
import type { BlockRequestHandlerOptions } from '../../src/protocols/block-protocol.js'
import type { Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

async function serverFor (blocks: MemoryBlocks, options: BlockRequestHandlerOptions = {}): Promise<{ stream: Stream, inbound: Stream, handled: Promise<void> }> {
  return dialHandler(blockRequestHandler(blocks, options), await randomPeerId())
}

describe('block protocol', () => {
  it('serves present blocks in request order', async () => {
    const [a, b, c, empty] = await Promise.all([rawBlock('a'), rawBlock('b'), rawBlock('c'), rawBlock('', 0)])
    const served: CID[] = []
    const { stream, inbound, handled } = await serverFor(new MemoryBlocks([a, b, c, empty]), { onServed: (cid) => served.push(cid) })

    const answers = await collect(requestBlocks(stream, [c.cid, a.cid, empty.cid, b.cid], { peer: SERVER }))

    assert.deepEqual(answers.map(({ cid }) => cid.toString()), [c, a, empty, b].map(({ cid }) => cid.toString()))
    assert.deepEqual(answers.map(({ status }) => status), ['ok', 'ok', 'ok', 'ok'])
    assert.deepEqual(answers.map(({ bytes }) => bytes), [c.bytes, a.bytes, empty.bytes, b.bytes])
    assert.equal(served.length, 4)
    await handled
    assert.equal(await closed(inbound), 'closed')
  })

  it('encodes a BLOCK_OK answer as protons does, the block\'s bytes sent as they are, not copied', async () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 1_048_576]) {
      const block = await rawBlock(`b${size}`, size)
      const encoded = encodeBlockOk(block.cid, block.bytes)
      assert.deepEqual(encoded.subarray(), BlockResponse.encode({ cid: block.cid.bytes, status: BlockStatus.BLOCK_OK, data: block.bytes as Uint8Array<ArrayBuffer> }), `${size} bytes`)
      if (size > 0) assert.equal([...encoded].at(-1), block.bytes, 'the block itself is the last piece')
    }
  })

  it('answers NOT_FOUND for an absent block', async () => {
    const [a, absent] = await Promise.all([rawBlock('a'), rawBlock('absent')])
    const { stream } = await serverFor(new MemoryBlocks([a]))

    const answers = await collect(requestBlocks(stream, [absent.cid, a.cid], { peer: SERVER }))

    assert.equal(answers[0].status, 'not-found')
    assert.equal(answers[0].bytes, undefined)
    assert.equal(answers[1].status, 'ok')
  })

  it('answers NOT_FOUND, never the bytes, for a block damaged in the store it serves from', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    const bytes = new MemoryBlockstore()
    const store = await BlockStore.open({ bytes, datastore: new MemoryDatastore(), maxBytes: 1_000_000 })
    await store.put(a.cid, a.bytes, 'replica')
    await store.put(b.cid, b.bytes, 'replica')
    // a bit flipped at rest, behind the store's back
    const damaged = a.bytes.slice()
    damaged[0] ^= 0x01
    await bytes.put(a.cid, damaged)
    const { stream } = await dialHandler(blockRequestHandler(store), await randomPeerId())

    const answers = await collect(requestBlocks(stream, [a.cid, b.cid], { peer: SERVER }))

    assert.deepEqual(answers.map(({ status }) => status), ['not-found', 'ok'])
    assert.equal(store.integrity().corruptBlocksDropped, 1)
  })

  it('answers a request of exactly MAX_CIDS_PER_REQUEST CIDs', async () => {
    const blocks = await Promise.all(Array.from({ length: MAX_CIDS_PER_REQUEST }, async (_, i) => rawBlock(`block ${i}`)))
    const { stream } = await serverFor(new MemoryBlocks(blocks.slice(1)))

    const answers = await collect(requestBlocks(stream, blocks.map(({ cid }) => cid), { peer: SERVER }))

    assert.equal(answers.length, MAX_CIDS_PER_REQUEST)
    assert.deepEqual(answers.slice(0, 2).map(({ status }) => status), ['not-found', 'ok'])
  })

  it('answers REFUSED for a held block larger than MAX_BLOCK_BYTES', async () => {
    const huge = await rawBlock('huge', MAX_BLOCK_BYTES + 1)
    const { stream } = await serverFor(new MemoryBlocks([huge]))

    const [answer] = await collect(requestBlocks(stream, [huge.cid], { peer: SERVER }))

    assert.equal(answer.status, 'refused')
    assert.equal(answer.bytes, undefined)
  })

  it('holds every answer of a request for a slow reader instead of resetting at 4 MiB', async () => {
    const blocks = await Promise.all(Array.from({ length: 8 }, async (_, i) => rawBlock(`block ${i}`, MAX_BLOCK_BYTES)))
    const { stream, handled } = await serverFor(new MemoryBlocks(blocks))

    let count = 0
    for await (const answer of requestBlocks(stream, blocks.map(({ cid }) => cid), { peer: SERVER })) {
      assert.equal(answer.status, 'ok')
      // the responder has written all 8 MiB and closed before the reader takes the second
      if (count++ === 0) await handled
    }
    assert.equal(count, 8)
  })

  it('rejects a responder that sends wrong bytes with a HashMismatchError naming it', async () => {
    const a = await rawBlock('a')
    const stream = await hostileResponder(BlockRequest, async (s) => {
      await answer(s, BlockResponse, { cid: a.cid.bytes, status: BlockStatus.BLOCK_OK, data: new TextEncoder().encode('not a') })
    })

    await assert.rejects(collect(requestBlocks(stream, [a.cid], { peer: SERVER })), (err) => {
      assert.ok(err instanceof HashMismatchError)
      assert.equal(err.cid, a.cid.toString())
      assert.equal(err.peer, SERVER)
      return true
    })
    assert.equal(stream.status, 'aborted')
  })

  it('rejects an oversized message from its length prefix, without waiting for the body', async () => {
    const a = await rawBlock('a')
    const stream = await hostileResponder(BlockRequest, async (s) => {
      // announce 64 MiB, send a little, then stall: a client that buffered would hang
      s.send(varint(64 * 1024 * 1024))
      s.send(new Uint8Array(1024))
    })

    const started = Date.now()
    await assert.rejects(collect(requestBlocks(stream, [a.cid], { peer: SERVER, idleTimeout: 10_000 })),
      isProtocolError(new RegExp(`longer than the ${MAX_MESSAGE_BYTES} bytes allowed`)))
    assert.ok(Date.now() - started < 5_000)
    assert.equal(stream.status, 'aborted')
  })

  it('rejects garbage bytes', async () => {
    const a = await rawBlock('a')
    const garbage = [
      new Uint8Array(12).fill(0xff), // a length prefix that never ends
      Uint8Array.from([3, 0x0a, 0xff, 0xff]), // a framed message protobuf cannot decode
      Uint8Array.from([2, 0x10, 0x63]) // status 99: no such BlockStatus
    ]
    for (const bytes of garbage) {
      const stream = await hostileResponder(BlockRequest, async (s) => { s.send(bytes) })
      await assert.rejects(collect(requestBlocks(stream, [a.cid], { peer: SERVER })), isProtocolError(/./))
      assert.equal(stream.status, 'aborted')
    }
  })

  it('rejects an answer out of order or for a CID that was not asked for', async () => {
    const [a, b, c] = await Promise.all([rawBlock('a'), rawBlock('b'), rawBlock('c')])
    for (const wrong of [b, c]) {
      const stream = await hostileResponder(BlockRequest, async (s) => {
        await answer(s, BlockResponse, { cid: wrong.cid.bytes, status: BlockStatus.BLOCK_OK, data: wrong.bytes })
      })
      await assert.rejects(collect(requestBlocks(stream, [a.cid, b.cid], { peer: SERVER })),
        isProtocolError(new RegExp(`answered for ${wrong.cid} where the answer for ${a.cid} was due`)))
    }
  })

  it('rejects an answer with an unknown status or without data', async () => {
    const a = await rawBlock('a')
    const cases: Array<[Partial<BlockResponse>, RegExp]> = [
      [{ cid: a.cid.bytes, status: BlockStatus.BLOCK_UNKNOWN }, /status BLOCK_UNKNOWN/],
      [{ cid: a.cid.bytes, status: BlockStatus.BLOCK_OK }, /BLOCK_OK but no data/]
    ]
    for (const [response, pattern] of cases) {
      const stream = await hostileResponder(BlockRequest, async (s) => { await answer(s, BlockResponse, response) })
      await assert.rejects(collect(requestBlocks(stream, [a.cid], { peer: SERVER })), isProtocolError(pattern))
    }
  })

  it('rejects a responder that closes before the last answer', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    const stream = await hostileResponder(BlockRequest, async (s) => {
      await answer(s, BlockResponse, { cid: a.cid.bytes, status: BlockStatus.BLOCK_OK, data: a.bytes })
      await s.close()
    })

    const answers: string[] = []
    await assert.rejects(async () => {
      for await (const { cid } of requestBlocks(stream, [a.cid, b.cid], { peer: SERVER })) answers.push(cid.toString())
    }, isProtocolError(new RegExp(`closed the stream while we waited for its answer for ${b.cid}`)))
    assert.deepEqual(answers, [a.cid.toString()])
  })

  it('aborts the stream on an empty request and on more than MAX_CIDS_PER_REQUEST CIDs', async () => {
    const a = await rawBlock('a')
    const requests: Array<[Uint8Array[], RegExp]> = [
      [[], /sent a block request without CIDs/],
      [new Array(MAX_CIDS_PER_REQUEST + 1).fill(a.cid.bytes), /sent a malformed block request: .*too many elements/]
    ]
    for (const [cids, pattern] of requests) {
      const errors: Error[] = []
      const { stream, inbound, handled } = await serverFor(new MemoryBlocks([a]), { onError: (err) => errors.push(err) })
      const pb = pbStream(stream)
      await pb.write({ cids } as Partial<BlockRequest>, BlockRequest)

      await assert.rejects(pb.read(BlockResponse))
      await handled
      assert.equal(inbound.status, 'aborted')
      assert.equal(errors.length, 1)
      assert.ok(errors[0] instanceof ProtocolError, String(errors[0]))
      assert.match(errors[0].message, pattern)
    }
  })

  it('aborts a stream whose request never comes', async () => {
    const errors: Error[] = []
    const { inbound, handled } = await serverFor(new MemoryBlocks(), { idleTimeout: 50, onError: (err) => errors.push(err) })

    await handled
    assert.equal(inbound.status, 'aborted')
    assert.match(errors[0].message, /idle for 50 ms while we waited for its block request/)
  })

  it('keeps serving after a hostile stream', async () => {
    const a = await rawBlock('a')
    const handler = blockRequestHandler(new MemoryBlocks([a]))
    const peer = await randomPeerId()

    const hostile = await dialHandler(handler, peer)
    hostile.stream.send(new Uint8Array(12).fill(0xff))
    await hostile.handled
    assert.equal(hostile.inbound.status, 'aborted')

    const second = await dialHandler(handler, peer)
    const answers = await collect(requestBlocks(second.stream, [a.cid], { peer: SERVER }))
    assert.deepEqual(answers.map(({ bytes }) => bytes), [a.bytes])
  })

  it('stops a request when its signal aborts, throwing the reason', async () => {
    const a = await rawBlock('a')
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    // reads the request, never answers: the caller gives up while it waits
    const stream = await hostileResponder(BlockRequest, async () => { controller.abort(reason) })

    await assert.rejects(collect(requestBlocks(stream, [a.cid], { peer: SERVER, signal: controller.signal })), (err) => err === reason)
    assert.equal(stream.status, 'aborted')
  })

  it('aborts the stream when the caller stops reading early', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    const stream = await hostileResponder(BlockRequest, async (s) => {
      await answer(s, BlockResponse, { cid: a.cid.bytes, status: BlockStatus.BLOCK_OK, data: a.bytes })
    })

    for await (const answer of requestBlocks(stream, [a.cid, b.cid], { peer: SERVER })) {
      assert.equal(answer.status, 'ok')
      break
    }
    assert.equal(stream.status, 'aborted')
  })
})
