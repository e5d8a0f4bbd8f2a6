import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sha256 } from 'multiformats/hashes/sha2'
import { createTestNetwork, type TestNetwork } from '../../src/testing/index.js'
import type { WeftNode } from '../../src/index.js'

/** Counts the `findPeer` lookups libp2p's peer routing runs on `node` (it runs one per address-less result of its getClosestPeers). */
function countFindPeer (node: WeftNode): { calls: number } {
  const counter = { calls: 0 }
  const routing = node.libp2p.peerRouting
  const original = routing.findPeer.bind(routing)
  routing.findPeer = async (...args) => {
    counter.calls++
    return original(...args)
  }
  return counter
}

describe('lookups of the closest peers', () => {
  let network: TestNetwork

  before(async () => { network = await createTestNetwork(8) })
  after(async () => { await network?.stop() })

  it('cost one DHT lookup: no findPeer lookup for each peer found, and the peers come with addresses', async () => {
    const node = network.nodes[3]
    const findPeer = countFindPeer(node)
    const key = (await sha256.digest(randomBytes(32))).bytes
    const peers = await node.getClosestPeers(key)
    // all 7 others when every answer arrived in time; a busy machine may lose one, not the point here
    assert.ok(peers.length >= 5 && peers.length <= 7, `${peers.length} peers`)
    assert.equal(findPeer.calls, 0)
    for (const peer of peers) assert.ok(peer.multiaddrs.length > 0, `${peer.id.toString()} has no addresses`)
  })

  it('cost a put no findPeer lookups either: the replica finder asks kad-dht itself', async () => {
    const node = network.nodes[5]
    const findPeer = countFindPeer(node)
    const { replicas } = await node.put(randomBytes(300_000))
    assert.ok(replicas >= 3, `${replicas} replicas`)
    assert.equal(findPeer.calls, 0)
  })
})
