import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DOWN_MS, Neighbourhood, REGION_TTL_MS } from '../../src/placement/neighbourhood.js'
import { LOOKUP_SIZE } from '../../src/placement/replica-finder.js'
import { blockCids, servers, targetOf, trueClosest, type Server } from './kad-space.js'

const REPLICATION = 5

/** A neighbourhood that learned what a complete lookup for `centre` answers in a network of `all`. */
function afterLookup (all: Server[], centre: bigint, clock: () => number = Date.now): Neighbourhood {
  const map = new Neighbourhood(clock)
  const found = all.filter(s => trueClosest(all, centre, LOOKUP_SIZE).some(p => p.equals(s.peer)))
  for (const server of found) map.seen(server.peer, server.kad)
  map.learned(centre, found.map(s => s.kad), LOOKUP_SIZE)
  return map
}

describe('neighbourhood', () => {
  it('covers no key before any lookup, however many servers it knows', async () => {
    const all = await servers(8)
    const map = new Neighbourhood()
    for (const s of all) map.seen(s.peer, s.kad)
    assert.equal(map.covers(await targetOf(new Uint8Array([1])), REPLICATION), false)
  })

  it('covers every key once a lookup found fewer servers than a lookup returns (it saw the whole network)', async () => {
    const all = await servers(7)
    const map = new Neighbourhood()
    for (const s of all) map.seen(s.peer, s.kad)
    map.learned(await targetOf(new Uint8Array([1])), all.map(s => s.kad), LOOKUP_SIZE)
    for (const cid of await blockCids(20)) {
      const target = await targetOf(cid.multihash.bytes)
      assert.equal(map.covers(target, REPLICATION), true)
      assert.deepEqual(map.closest(target, REPLICATION).map(String), trueClosest(all, target, REPLICATION).map(String))
    }
  })

  it('answers only for keys near a full lookup, and every answer it covers is the true replica set', async () => {
    const all = await servers(200)
    const centre = all[0].kad
    const map = afterLookup(all, centre)
    let covered = 0
    for (const cid of await blockCids(400)) {
      const target = await targetOf(cid.multihash.bytes)
      if (!map.covers(target, REPLICATION)) continue
      covered++
      assert.deepEqual(map.closest(target, REPLICATION).map(String), trueClosest(all, target, REPLICATION).map(String))
    }
    // one lookup of 20 in 200 servers spans (20 - 5) / 200 of the key space, give or take
    assert.ok(covered > 0 && covered < 100, `one lookup covered ${covered} of 400 keys`)
  })

  it('covers a key next to the centre of a full lookup', async () => {
    const all = await servers(200)
    const map = afterLookup(all, all[0].kad)
    // the key of the server itself: its closest servers are the lookup's closest
    assert.equal(map.covers(all[0].kad ^ 1n, REPLICATION), true)
  })

  it('leaves a server that is down out of replica sets and coverage until it is seen again', async () => {
    const all = await servers(6)
    const map = new Neighbourhood()
    for (const s of all) map.seen(s.peer, s.kad)
    map.learned(0n, all.map(s => s.kad), LOOKUP_SIZE)
    const target = all[0].kad
    map.down(all[0].peer)
    assert.equal(map.size, 5)
    assert.ok(!map.closest(target, 6).some(p => p.equals(all[0].peer)))
    map.seen(all[0].peer, all[0].kad)
    assert.ok(map.closest(target, 1)[0].equals(all[0].peer))
  })

  it('still counts a down server as a member of a replica set when asked who belongs to it', async () => {
    const all = await servers(4)
    const map = new Neighbourhood()
    for (const s of all) map.seen(s.peer, s.kad)
    map.down(all[0].peer)
    assert.ok(map.closest(all[0].kad, 1, undefined, { withDown: true })[0].equals(all[0].peer))
  })

  it('brings a down server back after DOWN_MS', async () => {
    let now = 0
    const all = await servers(3)
    const map = new Neighbourhood(() => now)
    for (const s of all) map.seen(s.peer, s.kad)
    map.down(all[1].peer)
    assert.equal(map.size, 2)
    now += DOWN_MS
    assert.equal(map.size, 3)
  })

  it('stops trusting a region after REGION_TTL_MS, and at once when told that servers changed', async () => {
    let now = 0
    const all = await servers(6)
    const map = afterLookup(all, 0n, () => now)
    assert.equal(map.covers(5n, REPLICATION), true)
    now += REGION_TTL_MS
    assert.equal(map.covers(5n, REPLICATION), false)
    map.learned(0n, all.map(s => s.kad), LOOKUP_SIZE)
    map.forgetRegions()
    assert.equal(map.covers(5n, REPLICATION), false)
  })

  it('counts only regions learned since a given time when asked to', async () => {
    let now = 1000
    const all = await servers(6)
    const map = afterLookup(all, 0n, () => now)
    now += 10
    assert.equal(map.covers(5n, REPLICATION, undefined, now - 5), false)
    assert.equal(map.covers(5n, REPLICATION, undefined, now - 20), true)
  })
})
