import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockRequestHandler, BLOCK_PROTOCOL, requestBlocks } from '../../src/protocols/block-protocol.js'
import { gateStreams, paceServing } from '../../src/protocols/peer-gate.js'
import { PeerLimits, type PeerLimitSettings } from '../../src/protocols/peer-limits.js'
import { MemoryBlocks, closed, collect, dialHandler, fakeClock, randomPeerId, rawBlock } from '../support/fakes.js'
import type { StreamHandler } from '@libp2p/interface'

const NONE: PeerLimitSettings = { storeBytesPerHour: 0, storeBytes: 0, streams: 0, serveBytesPerSecond: 0 }

describe('peer gate', () => {
  it('resets a peer\'s stream past storage.peerStreams at once, naming the limit, while its open streams go on', async () => {
    const limits = new PeerLimits({ ...NONE, streams: 1 })
    const peer = await randomPeerId()
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const refused: string[] = []
    const handler: StreamHandler = async () => { await held }
    const gated = gateStreams(handler, BLOCK_PROTOCOL, limits, (err) => { refused.push(`${err.name} ${err.limit}: ${err.message}`) })

    const first = await dialHandler(gated, peer)
    const second = await dialHandler(gated, peer)
    await second.handled

    assert.equal(await closed(second.inbound), 'aborted')
    assert.equal(refused.length, 1)
    assert.match(refused[0], /^PeerLimitError storage\.peerStreams: .*1 \/weft\/block\/1\.0\.0 streams open/)
    assert.equal(first.inbound.status, 'open')
    release()
    await first.handled
    // the first stream ended: the next is taken
    const third = await dialHandler(gated, peer)
    await third.handled
    assert.notEqual(third.inbound.status, 'aborted')
    assert.equal(refused.length, 1)
  })

  it('paces the blocks served to one peer to storage.peerServeBytesPerSecond', async () => {
    const clock = fakeClock()
    const limits = new PeerLimits({ ...NONE, serveBytesPerSecond: 1000 }, clock)
    const blocks = new MemoryBlocks()
    const stored = await Promise.all([rawBlock('a', 800), rawBlock('b', 800)])
    for (const { cid, bytes } of stored) await blocks.put(cid, bytes, 'replica')
    const handler = paceServing(blocks, limits, paced => blockRequestHandler(paced))

    const { stream } = await dialHandler(handler, await randomPeerId())
    const answers = await collect(requestBlocks(stream, stored.map(b => b.cid)))

    assert.deepEqual(answers.map(a => a.status), ['ok', 'ok'])
    // the first 800 bytes fit the second's 1000; the next 800 wait 0.6 s
    assert.equal(clock.sleeps.length, 1)
    assert.ok(Math.abs(clock.sleeps[0] - 600) < 1, String(clock.sleeps[0]))
    assert.equal(limits.status().servesPaced, 1)
  })

  it('serves straight from the store when serving is not limited', async () => {
    const limits = new PeerLimits(NONE)
    const blocks = new MemoryBlocks()
    const handler = paceServing(blocks, limits, paced => { assert.equal(paced, blocks); return blockRequestHandler(paced) })
    assert.equal(typeof handler, 'function')
  })
})
