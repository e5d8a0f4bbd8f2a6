import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Responsibility } from '../../src/placement/responsibility.js'
import { PeerLimits } from '../../src/protocols/peer-limits.js'
import { StoreGuard } from '../../src/services/store-guard.js'
import { randomPeerId, rawBlock } from '../support/fakes.js'
import type { PeerId } from '@libp2p/interface'

/** A guard whose finder ranks `closest` first for every block. */
function guard (self: PeerId, closest: PeerId[], storeBytesPerHour: number, allowPeers: string[] = []): { guard: StoreGuard, limits: PeerLimits } {
  const limits = new PeerLimits({ storeBytesPerHour, storeBytes: 0, streams: 1, serveBytesPerSecond: 0 })
  const responsibility = new Responsibility({ self, replication: 2, slack: 0, finder: { knownClosest: async (_cid, count) => closest.slice(0, count) } })
  return { guard: new StoreGuard(responsibility, limits, allowPeers), limits }
}

describe('store guard', () => {
  it('turns a block away as not-responsible when this server is not in its replica set, and counts it', async () => {
    const [self, a, b] = await Promise.all([randomPeerId(), randomPeerId(), randomPeerId()])
    const { guard: g, limits } = guard(self, [a, b, self], 1 << 20)
    const { cid, bytes } = await rawBlock('far away')
    const admission = await g.admit(cid, bytes.byteLength, await randomPeerId())
    assert.equal(admission.admitted, false)
    assert.equal(admission.admitted ? undefined : admission.status, 'not-responsible')
    assert.equal(limits.status().refusals.notResponsible, 1)
  })

  it('charges an uploader outside the replica set, and refuses it as limited past its budget', async () => {
    const [self, a, uploader] = await Promise.all([randomPeerId(), randomPeerId(), randomPeerId()])
    const { guard: g } = guard(self, [self, a], 1000)
    const { cid } = await rawBlock('mine')
    assert.equal((await g.admit(cid, 1000, uploader)).admitted, true)
    const refused = await g.admit(cid, 1000, uploader)
    assert.equal(refused.admitted ? undefined : refused.status, 'limited')
    assert.match(refused.admitted ? '' : refused.message, /storage\.peerStoreBytesPerHour/)
  })

  it('does not charge a fellow member of the block\'s replica set (forwarding, repair)', async () => {
    const [self, member] = await Promise.all([randomPeerId(), randomPeerId()])
    const { guard: g } = guard(self, [self, member], 1000)
    const { cid } = await rawBlock('ours')
    for (let i = 0; i < 5; i++) assert.equal((await g.admit(cid, 1000, member)).admitted, true)
  })

  it('refuses a second store stream of one peer past storage.peerStreams', async () => {
    const [self, peer] = await Promise.all([randomPeerId(), randomPeerId()])
    const { guard: g } = guard(self, [self], 0)
    assert.equal(typeof g.admitStream(peer), 'function')
    const second = g.admitStream(peer)
    assert.match(typeof second === 'function' ? '' : second.message, /storage\.peerStreams \(1\)/)
  })

  it('takes blocks only from the peers of storage.allowPeers when it lists any, members of the replica set included', async () => {
    const [self, member, allowed, stranger] = await Promise.all([randomPeerId(), randomPeerId(), randomPeerId(), randomPeerId()])
    const { guard: g, limits } = guard(self, [self, member], 0, [allowed.toString()])
    const { cid, bytes } = await rawBlock('closed network')
    assert.equal((await g.admit(cid, bytes.byteLength, allowed)).admitted, true)
    for (const peer of [stranger, member]) {
      const refused = await g.admit(cid, bytes.byteLength, peer)
      assert.match(refused.admitted ? '' : refused.message, /is not in storage\.allowPeers/)
    }
    assert.equal(limits.status().refusals.notAllowed, 2)
  })
})
