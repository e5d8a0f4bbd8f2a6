import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LOOKUP_SIZE, ReplicaFinder, type ReplicaFinderInit } from '../../src/placement/replica-finder.js'
import { blockCids, servers, targetOf, trueClosest, type Server } from './kad-space.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

const REPLICATION = 5

/**
 * A DHT whose lookups answer what a complete kad lookup would (the K servers
 * closest to the key), or what `answer` says; counts the lookups.
 */
function fakeRouting (all: Server[], answer?: (closest: PeerId[]) => PeerId[]): { lookups: number, routing: { getClosestPeers: (key: Uint8Array) => AsyncGenerator<PeerInfo> } } {
  const state = {
    lookups: 0,
    routing: {
      async * getClosestPeers (key: Uint8Array): AsyncGenerator<PeerInfo> {
        state.lookups++
        const closest = trueClosest(all, await targetOf(key), LOOKUP_SIZE)
        for (const id of answer?.(closest) ?? closest) yield { id, multiaddrs: [] }
      }
    }
  }
  return state
}

function finder (routing: ReplicaFinderInit['routing'], self?: PeerId): ReplicaFinder {
  return new ReplicaFinder({ routing, connections: () => 1, replication: REPLICATION, self: () => self })
}

describe('replica finder', () => {
  it('finds the true replica set of every block of a 256-block file in 200 servers with far fewer lookups than blocks', async () => {
    const all = await servers(200)
    const dht = fakeRouting(all)
    const replicas = finder(dht.routing)
    const cids = await blockCids(256)
    for (const cid of cids) {
      const candidates = await replicas.candidates(cid, AbortSignal.timeout(5000))
      assert.deepEqual(candidates.slice(0, REPLICATION).map(String), trueClosest(all, await targetOf(cid.multihash.bytes), REPLICATION).map(String))
    }
    assert.ok(dht.lookups < cids.length / 2, `${dht.lookups} lookups for ${cids.length} blocks`)
    assert.equal(replicas.status().lookups, dht.lookups)
    assert.equal(replicas.status().answeredLocally, cids.length - dht.lookups)
  })

  it('costs one lookup for a whole file in a network smaller than a lookup answers', async () => {
    const dht = fakeRouting(await servers(12))
    const replicas = finder(dht.routing)
    await Promise.all((await blockCids(64)).map(async cid => replicas.candidates(cid, AbortSignal.timeout(5000))))
    assert.ok(dht.lookups <= 4, `${dht.lookups} lookups`)
  })

  it('never hides a server it knows from elsewhere behind a lookup cut short', async () => {
    const all = await servers(10)
    // a busy network: the lookup hears back from 2 of the 10
    const dht = fakeRouting(all, closest => closest.slice(-2))
    const replicas = finder(dht.routing)
    for (const s of all) await replicas.seen(s.peer)
    const [cid] = await blockCids(1)
    const candidates = await replicas.candidates(cid, AbortSignal.timeout(5000))
    assert.deepEqual(candidates.slice(0, REPLICATION).map(String), trueClosest(all, await targetOf(cid.multihash.bytes), REPLICATION).map(String))
  })

  it('learns the servers an answering peer named even when its own requests to them timed out', async () => {
    const all = await servers(10)
    // kad-dht answers only with peers it heard back from: here the one it started from
    const routing = {
      async * getClosestPeers (_key: Uint8Array, options: { onProgress?: (evt: { type: string, detail: unknown }) => void } = {}): AsyncGenerator<PeerInfo> {
        options.onProgress?.({ type: 'kad-dht:query:peer-response', detail: { from: all[0].peer, closer: all.slice(1).map(s => ({ id: s.peer, multiaddrs: [] })) } })
        yield { id: all[0].peer, multiaddrs: [] }
      }
    }
    const replicas = finder(routing)
    const [cid] = await blockCids(1)
    const candidates = await replicas.candidates(cid, AbortSignal.timeout(5000))
    assert.deepEqual(candidates.slice(0, REPLICATION).map(String), trueClosest(all, await targetOf(cid.multihash.bytes), REPLICATION).map(String))
    assert.equal(replicas.status().servers, 10)
  })

  it('counts this node among the candidates when it holds replicas, and leaves it out of a fetch', async () => {
    const all = await servers(6)
    const dht = fakeRouting(all.slice(1))
    const replicas = finder(dht.routing, all[0].peer)
    const [cid] = await blockCids(1)
    const withSelf = await replicas.candidates(cid, AbortSignal.timeout(5000))
    assert.deepEqual(withSelf.map(String), trueClosest(all, await targetOf(cid.multihash.bytes), 6).map(String))
    const forFetch = await replicas.candidates(cid, AbortSignal.timeout(5000), { withSelf: false })
    assert.ok(!forFetch.some(p => p.equals(all[0].peer)))
    assert.equal(forFetch.length, 5)
  })

  it('runs a fresh lookup when asked, but one for all the blocks that ask within a moment', async () => {
    const dht = fakeRouting(await servers(4))
    const replicas = finder(dht.routing)
    const cids = await blockCids(10)
    await replicas.candidates(cids[0], AbortSignal.timeout(5000))
    assert.equal(dht.lookups, 1)
    for (const cid of cids) await replicas.candidates(cid, AbortSignal.timeout(5000), { fresh: true })
    assert.equal(dht.lookups, 1, 'the lookup that just ended answers the fresh requests')
  })

  it('leaves a server that failed out of the candidates', async () => {
    const all = await servers(8)
    const replicas = finder(fakeRouting(all).routing)
    const [cid] = await blockCids(1)
    const first = await replicas.candidates(cid, AbortSignal.timeout(5000))
    replicas.down(first[0])
    const after = await replicas.candidates(cid, AbortSignal.timeout(5000))
    assert.deepEqual(after.map(String), first.slice(1).map(String))
  })

  it('answers with no one, without waiting, when this node has no connection', async () => {
    const dht = fakeRouting(await servers(3))
    const replicas = new ReplicaFinder({ routing: dht.routing, connections: () => 0, replication: REPLICATION, self: () => undefined })
    const [cid] = await blockCids(1)
    assert.deepEqual(await replicas.candidates(cid, AbortSignal.timeout(5000)), [])
    assert.equal(dht.lookups, 0)
  })
})
