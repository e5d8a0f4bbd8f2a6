import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { ProtocolError, QuotaExceededError } from '../../src/errors.js'
import { MAX_FORWARD_TARGETS, MAX_MESSAGE_BYTES, STORE_WINDOW } from '../../src/protocols/limits.js'
import { StoreRequest, StoreResponse, StoreStatus } from '../../src/protocols/pb/store.js'
import { pushBlocks, storeRequestHandler } from '../../src/protocols/store-protocol.js'
import { MAX_BLOCK_BYTES } from '../../src/store/limits.js'
import { MemoryBlocks, collect, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import { SERVER, varint } from './hostile.js'
import type { BlockToStore, StoreRequestHandlerOptions } from '../../src/protocols/store-protocol.js'
import type { OutgoingMessage } from '../../src/protocols/protocol-stream.js'
import type { Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

async function serverFor (blocks: MemoryBlocks, options: StoreRequestHandlerOptions = {}): Promise<{ stream: Stream, inbound: Stream, handled: Promise<void> }> {
  return dialHandler(storeRequestHandler(blocks, options), await randomPeerId())
}

/** Sends `requests` by hand, closes, and returns the answers. */
async function sendByHand (stream: Stream, requests: Array<OutgoingMessage<StoreRequest>>): Promise<StoreResponse[]> {
  const pb = pbStream(stream)
  for (const request of requests) await pb.write(request as Partial<StoreRequest>, StoreRequest)
  await stream.close()
  const answers: StoreResponse[] = []
  for (let i = 0; i < requests.length; i++) answers.push(await pb.read(StoreResponse))
  return answers
}

/** A client stream whose other end answers each request with `respond` (a responder written by hand). */
type Respond = (request: StoreRequest, index: number) => OutgoingMessage<StoreResponse> | undefined | Promise<OutgoingMessage<StoreResponse> | undefined>

async function hostileResponder (respond: Respond): Promise<Stream> {
  const handler = async (inbound: Stream): Promise<void> => {
    const pb = pbStream(inbound)
    for (let i = 0; ; i++) {
      const response = await respond(await pb.read(StoreRequest), i)
      if (response == null) {
        await inbound.close()
        return
      }
      await pb.write(response as Partial<StoreResponse>, StoreResponse)
    }
  }
  const { stream, handled } = await dialHandler(handler, await randomPeerId())
  handled.catch(() => {})
  return stream
}

async function blocksOf (count: number, size?: number): Promise<BlockToStore[]> {
  return Promise.all(Array.from({ length: count }, async (_, i) => rawBlock(`block ${i}`, size)))
}

describe('store protocol', () => {
  it('passes a block\'s forward targets to the responder\'s forwarder and returns the holders and pending it reports', async () => {
    const [block] = await blocksOf(1)
    const targets = await Promise.all([randomPeerId(), randomPeerId(), randomPeerId()])
    const asked: Array<{ targets: string[], waitFor: number }> = []
    const { stream } = await serverFor(new MemoryBlocks(), {
      forward: async (_cid, _bytes, to, waitFor) => {
        asked.push({ targets: to.map(String), waitFor })
        return { holders: to.slice(0, 2), pending: 1 }
      }
    })
    const [answer] = await collect(pushBlocks(stream, [{ ...block, forward: targets, waitFor: 2 }]))
    assert.deepEqual(asked, [{ targets: targets.map(String), waitFor: 2 }])
    assert.equal(answer.status, 'stored')
    assert.deepEqual(answer.holders?.map(String), targets.slice(0, 2).map(String))
    assert.equal(answer.pending, 1)
  })

  it('answers a block without forward targets with no holders, even where the responder forwards', async () => {
    const [block] = await blocksOf(1)
    const { stream } = await serverFor(new MemoryBlocks(), { forward: async () => assert.fail('nothing to forward') })
    const [answer] = await collect(pushBlocks(stream, [block]))
    assert.deepEqual(answer, { cid: block.cid, status: 'stored' })
  })

  it('refuses a request naming more forward targets than allowed, or one that is no PeerId, as INVALID and stores nothing', async () => {
    const [block] = await blocksOf(1)
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store, { forward: async () => assert.fail('nothing to forward') })
    const many = await Promise.all(Array.from({ length: MAX_FORWARD_TARGETS + 1 }, async () => (await randomPeerId()).toMultihash().bytes))
    const answers = await sendByHand(stream, [
      { cid: block.cid.bytes, data: block.bytes, forward: many, waitFor: 0 },
      { cid: block.cid.bytes, data: block.bytes, forward: [new Uint8Array([1, 2, 3])], waitFor: 0 }
    ])
    assert.deepEqual(answers.map(a => a.status), [StoreStatus.INVALID, StoreStatus.INVALID])
    assert.match(answers[0].message, new RegExp(`${MAX_FORWARD_TARGETS + 1} peers, more than the ${MAX_FORWARD_TARGETS}`))
    assert.match(answers[1].message, /forward target 0 is not a PeerId/)
    assert.equal(store.puts.length, 0)
  })

  it('stores valid blocks as replicas and answers STORED', async () => {
    const blocks = await blocksOf(3)
    const store = new MemoryBlocks()
    const stored: CID[] = []
    const { stream, inbound, handled } = await serverFor(store, { onStored: (cid) => stored.push(cid) })

    const answers = await collect(pushBlocks(stream, blocks, { peer: SERVER }))

    assert.deepEqual(answers, blocks.map(({ cid }) => ({ cid, status: 'stored' })))
    assert.deepEqual(store.puts.map(({ cid, role }) => [cid.toString(), role]), blocks.map(({ cid }) => [cid.toString(), 'replica']))
    assert.equal(stored.length, 3)
    await handled
    assert.notEqual(inbound.status, 'aborted')
  })

  it('answers NOT_RESPONSIBLE, naming why, for a block its admission turns away, and stores nothing', async () => {
    const [mine, theirs] = await blocksOf(2)
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store, {
      admit: async cid => cid.equals(theirs.cid)
        ? { admitted: false, status: 'not-responsible', message: 'not among the 8 closest' }
        : { admitted: true }
    })

    const answers = await collect(pushBlocks(stream, [theirs, mine], { peer: SERVER }))

    assert.deepEqual(answers, [{ cid: theirs.cid, status: 'not-responsible', message: 'not among the 8 closest' }, { cid: mine.cid, status: 'stored' }])
    assert.deepEqual(store.puts.map(({ cid }) => cid), [mine.cid])
  })

  it('answers LIMITED with the limit\'s message for a block over the pusher\'s limit', async () => {
    const [a] = await blocksOf(1)
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store, { admit: async () => ({ admitted: false, status: 'limited', message: 'over storage.peerStoreBytesPerHour' }) })

    const [answer] = await collect(pushBlocks(stream, [a], { peer: SERVER }))

    assert.deepEqual(answer, { cid: a.cid, status: 'limited', message: 'over storage.peerStoreBytesPerHour' })
    assert.equal(store.puts.length, 0)
  })

  it('gives back what an admission charged when the block turns out not to match its CID or finds no room', async () => {
    const [a, b] = await blocksOf(2)
    const store = new MemoryBlocks()
    let undone = 0
    store.beforePut = () => new QuotaExceededError(b.cid.toString(), b.bytes.byteLength, 100, 100)
    const { stream } = await serverFor(store, { admit: async () => ({ admitted: true, undo: () => { undone++ } }) })

    const answers = await collect(pushBlocks(stream, [{ cid: a.cid, bytes: b.bytes }, b], { peer: SERVER }))

    assert.deepEqual(answers.map(({ status }) => status), ['hash-mismatch', 'quota'])
    assert.equal(undone, 2)
  })

  it('answers every block of a stream its stream admission refused with LIMITED, stores none, and ends the stream cleanly', async () => {
    const blocks = await blocksOf(3)
    const store = new MemoryBlocks()
    const { stream, inbound, handled } = await serverFor(store, { admitStream: () => ({ message: 'already 2 streams open, storage.peerStreams' }) })

    const answers = await collect(pushBlocks(stream, blocks, { peer: SERVER }))

    assert.deepEqual(answers.map(({ status, message }) => [status, message]), blocks.map(() => ['limited', 'already 2 streams open, storage.peerStreams']))
    assert.equal(store.puts.length, 0)
    await handled
    assert.notEqual(inbound.status, 'aborted')
  })

  it('releases an admitted stream once it ends', async () => {
    const [a] = await blocksOf(1)
    let released = 0
    const { stream, handled } = await serverFor(new MemoryBlocks(), { admitStream: () => () => { released++ } })
    await collect(pushBlocks(stream, [a], { peer: SERVER }))
    await handled
    assert.equal(released, 1)
  })

  it('answers TOO_LARGE for a block over MAX_BLOCK_BYTES without storing it', async () => {
    const huge = await rawBlock('huge', MAX_BLOCK_BYTES + 1)
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store)

    const [answer] = await sendByHand(stream, [{ cid: huge.cid.bytes, data: huge.bytes }])

    assert.equal(answer.status, StoreStatus.TOO_LARGE)
    assert.deepEqual(answer.cid, huge.cid.bytes)
    assert.equal(store.puts.length, 0)
  })

  it('answers too-large itself for a block over MAX_BLOCK_BYTES, without sending it', async () => {
    const [small, huge] = await Promise.all([rawBlock('small'), rawBlock('huge', MAX_BLOCK_BYTES + 1)])
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store)

    const answers = await collect(pushBlocks(stream, [huge, small], { peer: SERVER }))

    assert.deepEqual(answers.map(({ status }) => status), ['too-large', 'stored'])
    assert.deepEqual(store.puts.map(({ cid }) => cid), [small.cid])
  })

  it('answers HASH_MISMATCH for wrong bytes and never stores them', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store)

    const [answer] = await collect(pushBlocks(stream, [{ cid: a.cid, bytes: b.bytes }], { peer: SERVER }))

    assert.equal(answer.status, 'hash-mismatch')
    assert.match(answer.message ?? '', new RegExp(a.cid.toString()))
    assert.equal(store.puts.length, 0)
    assert.equal(await store.has(a.cid), false)
  })

  it('answers QUOTA with the store\'s message when put throws QuotaExceededError', async () => {
    const a = await rawBlock('a')
    const store = new MemoryBlocks()
    const quota = new QuotaExceededError(a.cid.toString(), a.bytes.byteLength, 100, 100)
    store.beforePut = () => quota

    const { stream } = await serverFor(store)
    const [answer] = await collect(pushBlocks(stream, [a], { peer: SERVER }))

    assert.deepEqual(answer, { cid: a.cid, status: 'quota', message: quota.message })
  })

  it('answers INVALID for a malformed CID', async () => {
    const a = await rawBlock('a')
    const store = new MemoryBlocks()
    const { stream } = await serverFor(store)

    const [answer] = await sendByHand(stream, [{ cid: Uint8Array.from([1, 2, 3]), data: a.bytes }])

    assert.equal(answer.status, StoreStatus.INVALID)
    assert.equal(store.puts.length, 0)
  })

  it('answers INTERNAL when storing fails otherwise, and reports the error locally', async () => {
    const a = await rawBlock('a')
    const store = new MemoryBlocks()
    const failure = new Error('disk on fire')
    store.beforePut = () => failure
    const errors: Error[] = []
    const { stream } = await serverFor(store, { onError: (err) => errors.push(err) })

    const [answer] = await collect(pushBlocks(stream, [a], { peer: SERVER }))

    assert.equal(answer.status, 'internal')
    assert.doesNotMatch(answer.message ?? '', /disk on fire/)
    assert.deepEqual(errors, [failure])
  })

  it('pipelines: 20 blocks answered in order with up to STORE_WINDOW unanswered', async () => {
    const blocks = await blocksOf(20)
    const store = new MemoryBlocks()
    store.beforePut = async () => { await new Promise(resolve => setTimeout(resolve, 2)) }
    const { stream } = await serverFor(store)

    let pulled = 0
    let answered = 0
    let mostUnanswered = 0
    async function * source (): AsyncGenerator<BlockToStore> {
      for (const block of blocks) {
        pulled++
        mostUnanswered = Math.max(mostUnanswered, pulled - answered)
        yield block
      }
    }
    const order: string[] = []
    for await (const answer of pushBlocks(stream, source(), { peer: SERVER })) {
      answered++
      assert.equal(answer.status, 'stored')
      order.push(answer.cid.toString())
    }

    assert.deepEqual(order, blocks.map(({ cid }) => cid.toString()))
    assert.equal(mostUnanswered, STORE_WINDOW)
    assert.equal(store.puts.length, 20)
  })

  it('answers a block while the source waits for that answer before giving the next', async () => {
    // a put feeds one long-lived push from a queue: the next block may exist
    // only after this one is stored, so answers must flow before the window fills
    const blocks = await blocksOf(3)
    const { stream } = await serverFor(new MemoryBlocks())
    let release: (() => void) | undefined
    async function * source (): AsyncGenerator<BlockToStore> {
      for (const block of blocks) {
        yield block
        await new Promise<void>(resolve => { release = resolve })
      }
    }
    const answers: string[] = []
    for await (const answer of pushBlocks(stream, source(), { peer: SERVER })) {
      answers.push(answer.status)
      release?.()
    }
    assert.deepEqual(answers, ['stored', 'stored', 'stored'])
  })

  it('keeps at most STORE_WINDOW_BYTES of blocks unanswered', async () => {
    const blocks = await blocksOf(6, MAX_BLOCK_BYTES)
    const store = new MemoryBlocks()
    // a store slower than the wire, so the window fills
    store.beforePut = async () => { await new Promise(resolve => setTimeout(resolve, 20)) }
    const { stream } = await serverFor(store)

    let pulled = 0
    let answered = 0
    let mostUnanswered = 0
    function * source (): Generator<BlockToStore> {
      for (const block of blocks) {
        pulled++
        mostUnanswered = Math.max(mostUnanswered, pulled - answered)
        yield block
      }
    }
    for await (const answer of pushBlocks(stream, source(), { peer: SERVER })) {
      answered++
      assert.equal(answer.status, 'stored')
    }

    // three 1 MiB blocks in flight, plus one taken from the source that waits for room
    assert.equal(mostUnanswered, 4)
  })

  it('aborts the stream on garbage and stores nothing', async () => {
    const garbage = [
      new Uint8Array(12).fill(0xff), // a length prefix that never ends
      Uint8Array.from([3, 0x0a, 0xff, 0xff]), // a framed message protobuf cannot decode
      varint(MAX_MESSAGE_BYTES + 1) // a message over the limit
    ]
    for (const bytes of garbage) {
      const store = new MemoryBlocks()
      const errors: Error[] = []
      const { stream, inbound, handled } = await serverFor(store, { onError: (err) => errors.push(err) })
      stream.send(bytes)

      await handled
      assert.equal(inbound.status, 'aborted')
      assert.ok(errors[0] instanceof ProtocolError, String(errors[0]))
      assert.equal(store.puts.length, 0)
    }
  })

  it('names an oversized message in the error', async () => {
    const errors: Error[] = []
    const { stream, handled } = await serverFor(new MemoryBlocks(), { onError: (err) => errors.push(err) })
    stream.send(varint(MAX_MESSAGE_BYTES + 1))

    await handled
    assert.match(errors[0].message, new RegExp(`longer than the ${MAX_MESSAGE_BYTES} bytes allowed`))
  })

  it('rejects a responder that answers for another CID, with an unknown status, or stops early', async () => {
    const [a, b] = await Promise.all([rawBlock('a'), rawBlock('b')])
    const cases: Array<[Respond, RegExp]> = [
      [() => ({ cid: b.cid.bytes, status: StoreStatus.STORED }), new RegExp(`answered for ${b.cid} where the answer for ${a.cid} was due`)],
      [(request) => ({ cid: request.cid, status: StoreStatus.STORE_UNKNOWN }), /status STORE_UNKNOWN/],
      [(request, index) => index === 0 ? { cid: request.cid, status: StoreStatus.STORED } : undefined, new RegExp(`closed the stream while we waited for its answer for ${b.cid}`)]
    ]
    for (const [respond, pattern] of cases) {
      const stream = await hostileResponder(respond)
      await assert.rejects(collect(pushBlocks(stream, [a, b], { peer: SERVER })), (err) => {
        assert.ok(err instanceof ProtocolError, String(err))
        assert.equal(err.peer, SERVER)
        assert.match(err.message, pattern)
        return true
      })
      assert.ok(stream.status === 'aborted' || stream.status === 'closed', stream.status)
    }
  })

  it('stops a push when its signal aborts, throwing the reason', async () => {
    const a = await rawBlock('a')
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    // takes the block, never answers: the caller gives up while it waits
    const stream = await hostileResponder(async () => {
      controller.abort(reason)
      return new Promise<never>(() => {})
    })

    await assert.rejects(collect(pushBlocks(stream, [a], { peer: SERVER, signal: controller.signal })), (err) => err === reason)
    assert.equal(stream.status, 'aborted')
  })
})
