import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { JoinTimeoutError } from '../../src/errors.js'
import { Joining, routingTableOf } from '../../src/node/joining.js'
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js'
import type { PeerId } from '@libp2p/interface'

describe('joining the network (WeftNode.joined)', () => {
  let network: TestNetwork
  let lone: TestNetwork

  before(async () => {
    network = await createTestNetwork(4, { degree: 3 })
    lone = await createTestNetwork(1)
  })

  after(async () => {
    await Promise.all([network?.stop(), lone?.stop()])
  })

  it('resolves once the self-lookup finished and the routing table holds every connected DHT server', async () => {
    const node = network.nodes[3]

    await node.joined({ timeoutMs: 30_000 })

    assert.ok(node.status().routingTableSize >= node.status().connectedPeers.length, JSON.stringify(node.status()))
  })

  it('offers the routing table again a connected DHT server it lacks (kad-dht pings a new contact once: a ping lost on a busy machine left it out for good)', async () => {
    const node = network.nodes[0]
    await node.joined({ timeoutMs: 30_000 })
    const table = routingTableOf(node.libp2p) as unknown as { remove: (peer: PeerId) => Promise<void>, find: (peer: PeerId) => Promise<PeerId | undefined> } & EventTarget
    const [peer] = node.libp2p.getPeers()
    await table.remove(peer)
    assert.equal(await table.find(peer), undefined)
    const added = new Promise<void>(resolve => { table.addEventListener('peer:add', () => { resolve() }) })
    const joining = new Joining(node.libp2p as any, node.config.dht.protocol, 20)
    try {
      await added
      assert.equal(String(await table.find(peer)), String(peer))
    } finally {
      joining.stop()
    }
  })

  it('rejects with JoinTimeoutError naming the routing table size when nobody is there', async () => {
    await assert.rejects(lone.nodes[0].joined({ selfLookup: false, timeoutMs: 20 }), (err) => {
      assert.ok(err instanceof JoinTimeoutError)
      assert.equal(err.routingTableSize, 0)
      assert.equal(err.wanted, 1)
      return true
    })
  })

  it("rejects with the caller's reason when its signal aborts", async () => {
    const reason = new Error('caller gave up')

    await assert.rejects(lone.nodes[0].joined({ signal: AbortSignal.abort(reason) }), (err) => err === reason)
  })
})
