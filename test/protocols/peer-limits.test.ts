import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PeerLimits, type PeerLimitSettings } from '../../src/protocols/peer-limits.js'
import { fakeClock, randomPeerId } from '../support/fakes.js'

const NONE: PeerLimitSettings = { storeBytesPerHour: 0, storeBytes: 0, streams: 0, serveBytesPerSecond: 0 }

/** A clock whose time the spec moves. */
function movableClock (): { now: () => number, sleep: (ms: number) => Promise<void>, advance: (ms: number) => void } {
  let now = 0
  return { now: () => now, sleep: async () => {}, advance: ms => { now += ms } }
}

describe('per-peer limits', () => {
  it('refuses a peer past storage.peerStoreBytesPerHour, naming the limit, and lets it store again as the hour refills', async () => {
    const clock = movableClock()
    const limits = new PeerLimits({ ...NONE, storeBytesPerHour: 3600 }, clock)
    const peer = await randomPeerId()
    assert.equal(limits.chargeStore(peer, 3000), undefined)
    const refusal = limits.chargeStore(peer, 1000)
    assert.equal(refusal?.limit, 'peerStoreBytesPerHour')
    assert.match(refusal?.message ?? '', /storage\.peerStoreBytesPerHour \(3600\)/)
    clock.advance(400_000) // 400 bytes back
    assert.equal(limits.chargeStore(peer, 1000), undefined)
    assert.equal(limits.status().refusals.peerStoreBytesPerHour, 1)
  })

  it('keeps each peer to its own budget: one peer at its limit does not hold back another', async () => {
    const limits = new PeerLimits({ ...NONE, storeBytesPerHour: 1000 }, movableClock())
    const [greedy, other] = await Promise.all([randomPeerId(), randomPeerId()])
    assert.equal(limits.chargeStore(greedy, 1000), undefined)
    assert.notEqual(limits.chargeStore(greedy, 1), undefined)
    assert.equal(limits.chargeStore(other, 1000), undefined)
  })

  it('refuses a peer past storage.peerStoreBytes in all, however slowly it stores', async () => {
    const clock = movableClock()
    const limits = new PeerLimits({ ...NONE, storeBytes: 2000 }, clock)
    const peer = await randomPeerId()
    assert.equal(limits.chargeStore(peer, 1500), undefined)
    clock.advance(10 * 3_600_000)
    assert.equal(limits.chargeStore(peer, 1000)?.limit, 'peerStoreBytes')
    assert.equal(limits.chargeStore(peer, 500), undefined)
  })

  it('gives back a refunded charge: a block not stored after all costs the peer nothing', async () => {
    const limits = new PeerLimits({ ...NONE, storeBytesPerHour: 1000, storeBytes: 1000 }, movableClock())
    const peer = await randomPeerId()
    assert.equal(limits.chargeStore(peer, 1000), undefined)
    limits.refundStore(peer, 1000)
    assert.equal(limits.chargeStore(peer, 1000), undefined)
  })

  it('lets one block larger than the hourly budget through only when the budget is whole', async () => {
    const limits = new PeerLimits({ ...NONE, storeBytesPerHour: 1000 }, movableClock())
    const peer = await randomPeerId()
    assert.equal(limits.chargeStore(peer, 5000), undefined)
    assert.notEqual(limits.chargeStore(peer, 5000), undefined)
  })

  it('refuses a stream past storage.peerStreams per protocol, and admits one again once a stream ended', async () => {
    const limits = new PeerLimits({ ...NONE, streams: 2 })
    const peer = await randomPeerId()
    const first = limits.openStream(peer, '/weft/block/1.0.0')
    const second = limits.openStream(peer, '/weft/block/1.0.0')
    const third = limits.openStream(peer, '/weft/block/1.0.0')
    assert.equal(typeof first, 'function')
    assert.equal(typeof second, 'function')
    assert.equal(typeof third === 'function' ? undefined : third.limit, 'peerStreams')
    // another protocol has its own count
    assert.equal(typeof limits.openStream(peer, '/weft/have/1.0.0'), 'function')
    if (typeof first === 'function') { first(); first() }
    assert.equal(typeof limits.openStream(peer, '/weft/block/1.0.0'), 'function')
    assert.equal(typeof limits.openStream(peer, '/weft/block/1.0.0'), 'object')
    assert.equal(limits.status().refusals.peerStreams, 2)
  })

  it('paces serving a peer to storage.peerServeBytesPerSecond: a second\'s worth at once, then waits in proportion', async () => {
    const clock = fakeClock()
    const limits = new PeerLimits({ ...NONE, serveBytesPerSecond: 1000 }, clock)
    const [fetcher, other] = await Promise.all([randomPeerId(), randomPeerId()])
    const signal = new AbortController().signal
    await limits.paceServe(fetcher, 1000, signal)
    assert.deepEqual(clock.sleeps, [])
    await limits.paceServe(fetcher, 500, signal)
    assert.deepEqual(clock.sleeps, [500])
    // another fetcher has a share of its own
    await limits.paceServe(other, 1000, signal)
    assert.deepEqual(clock.sleeps, [500])
    assert.equal(limits.status().servesPaced, 1)
  })

  it('limits nothing where every limit is 0', async () => {
    const limits = new PeerLimits(NONE, fakeClock())
    const peer = await randomPeerId()
    for (let i = 0; i < 100; i++) {
      assert.equal(limits.chargeStore(peer, 1 << 20), undefined)
      assert.equal(typeof limits.openStream(peer, '/weft/store/1.0.0'), 'function')
    }
  })
})
