import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Forwarder, FORWARD_SLACK } from '../../src/placement/forwarder.js'
import { STORE_WINDOW } from '../../src/protocols/limits.js'
import { storeRequestHandler, STORE_PROTOCOL } from '../../src/protocols/store-protocol.js'
import { MemoryBlocks, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import type { Logger, PeerId } from '@libp2p/interface'

interface FakeServer { id: PeerId, blocks: MemoryBlocks, down?: boolean, hold?: Promise<void>, onStored?: () => void }

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as Logger

/** A first holder (`self`) whose finder ranks `self` and then the servers in order, and the servers behind the real store handler. */
async function network (count: number, replication: number, answerWithinMs?: number): Promise<{ self: PeerId, servers: FakeServer[], forwarder: Forwarder, down: string[] }> {
  const self = await randomPeerId()
  const servers: FakeServer[] = await Promise.all(Array.from({ length: count }, async () => ({ id: await randomPeerId(), blocks: new MemoryBlocks() })))
  const down: string[] = []
  const forwarder = new Forwarder({
    self,
    replication,
    finder: {
      knownClosest: async (_cid, count) => [self, ...servers.map(s => s.id)].slice(0, count),
      down: (peer) => { down.push(peer.toString()) }
    },
    open: async (peer) => {
      const server = servers.find(s => s.id.equals(peer)) ?? assert.fail('unknown server')
      if (server.down === true) throw Object.assign(new Error('connection refused'), { name: 'DialError' })
      server.blocks.beforePut = async () => { await server.hold }
      return (await dialHandler(storeRequestHandler(server.blocks, { onStored: () => server.onStored?.() }), self)).stream
    },
    storeProtocol: STORE_PROTOCOL,
    window: STORE_WINDOW,
    log,
    signal: AbortSignal.timeout(30_000),
    ...(answerWithinMs != null ? { answerWithinMs } : {})
  })
  return { self, servers, forwarder, down }
}

describe('forwarder', () => {
  it('pushes a block on to the targets it also sees among the closest, and answers with those that confirmed', async () => {
    const net = await network(4, 3)
    const block = await rawBlock('forwarded')
    const result = await net.forwarder.forward(block.cid, block.bytes, [net.servers[0].id, net.servers[1].id], 2)
    net.forwarder.close()
    assert.deepEqual(result.holders.map(String).sort(), [net.servers[0].id, net.servers[1].id].map(String).sort())
    assert.equal(result.pending, 0)
    assert.deepEqual(net.servers.map(s => s.blocks.roleOf(block.cid)), ['replica', 'replica', undefined, undefined])
  })

  it('refuses a target it does not see among the block\'s closest servers: a request cannot make it send to anyone', async () => {
    const net = await network(3 + FORWARD_SLACK + 1, 3)
    const stranger = await randomPeerId()
    const farthest = net.servers[net.servers.length - 1].id
    const block = await rawBlock('not yours')
    const result = await net.forwarder.forward(block.cid, block.bytes, [stranger, farthest], 2)
    net.forwarder.close()
    assert.deepEqual(result, { holders: [], pending: 0 })
    assert.equal(net.forwarder.status().refusedTargets, 2)
    assert.equal(net.servers[net.servers.length - 1].blocks.puts.length, 0)
  })

  it('answers once waitFor targets confirmed and finishes the others after the answer', async () => {
    const net = await network(3, 4)
    let release = (): void => {}
    net.servers[2].hold = new Promise(resolve => { release = resolve })
    const block = await rawBlock('quorum first')
    const result = await net.forwarder.forward(block.cid, block.bytes, net.servers.map(s => s.id), 2)
    assert.equal(result.holders.length, 2)
    assert.equal(result.pending, 1)
    assert.equal(net.servers[2].blocks.roleOf(block.cid), undefined)
    const stored = new Promise<void>(resolve => { net.servers[2].onStored = resolve })
    release()
    await stored
    net.forwarder.close()
    assert.equal(net.servers[2].blocks.roleOf(block.cid), 'replica')
  })

  it('reports a target it cannot reach as down and answers without it', async () => {
    const net = await network(3, 3)
    net.servers[0].down = true
    const block = await rawBlock('one is gone')
    const result = await net.forwarder.forward(block.cid, block.bytes, [net.servers[0].id, net.servers[1].id], 2)
    net.forwarder.close()
    assert.deepEqual(result.holders.map(String), [net.servers[1].id.toString()])
    assert.equal(result.pending, 0)
    assert.deepEqual(net.down, [net.servers[0].id.toString()])
    assert.equal(net.forwarder.status().failures, 1)
  })

  it('answers within its bound when a target stays silent, with those that confirmed and the silent one pending', async () => {
    const net = await network(3, 3, 200)
    // takes the block and never answers
    net.servers[1].hold = new Promise<void>(() => {})
    const block = await rawBlock('one silent target')
    const result = await net.forwarder.forward(block.cid, block.bytes, [net.servers[0].id, net.servers[1].id], 2)
    assert.deepEqual(result, { holders: [net.servers[0].id], pending: 1 })
  })
})
