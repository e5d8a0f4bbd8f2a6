import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Placer } from '../src/placement/placer.js'
import { HAVE_PROTOCOL, haveRequestHandler } from '../src/protocols/have-protocol.js'
import { STORE_WINDOW } from '../src/protocols/limits.js'
import { storeRequestHandler, STORE_PROTOCOL, type Admit } from '../src/protocols/store-protocol.js'
import { MemoryBlocks, dialHandler, randomPeerId, rawBlock } from './support/fakes.js'
import type { PeerId } from '@libp2p/interface'

/**
 * An uploader whose view of a block's closest servers is `servers` in
 * order, the first `wrong` of which see themselves outside the block's
 * replica set (they know closer servers the uploader does not): the real
 * store handler answers for each.
 */
async function uploaderFacing (count: number, wrong: number, replication: number, forwarding: boolean): Promise<{ placer: Placer, servers: Array<{ id: PeerId, blocks: MemoryBlocks }> }> {
  const uploader = await randomPeerId()
  const servers = await Promise.all(Array.from({ length: count }, async () => ({ id: await randomPeerId(), blocks: new MemoryBlocks() })))
  const refusing = new Set(servers.slice(0, wrong).map(s => s.id.toString()))
  const placer = new Placer({
    replication,
    writeQuorum: replication,
    finder: { candidates: async () => servers.map(s => s.id), down: () => {} },
    open: async (peer, protocol) => {
      const server = servers.find(s => s.id.equals(peer)) ?? assert.fail('unknown server')
      if (protocol === HAVE_PROTOCOL) return (await dialHandler(haveRequestHandler(server.blocks), uploader)).stream
      const admit: Admit = async () => refusing.has(peer.toString())
        ? { admitted: false, status: 'not-responsible', message: 'this server is not among the 3 closest servers it knows' }
        : { admitted: true }
      const forward = forwarding
        ? async () => ({ holders: [], pending: 0 })
        : undefined
      return (await dialHandler(storeRequestHandler(server.blocks, { admit, forward }), uploader)).stream
    },
    storeProtocol: STORE_PROTOCOL,
    storeHere: async () => { assert.fail('the uploader holds no replicas') },
    window: STORE_WINDOW,
    signal: AbortSignal.timeout(30_000)
  })
  return { placer, servers }
}

describe('an uploader told NOT_RESPONSIBLE', () => {
  for (const forwarding of [false, true]) {
    it(`moves on to the next-closest servers and reaches its quorum there${forwarding ? ' (its first holder forwarding)' : ''}`, async () => {
      const { placer, servers } = await uploaderFacing(5, 2, 2, forwarding)
      const block = await rawBlock('placed past the refusals')
      const placement = await placer.place(block.cid, block.bytes)
      placer.close()

      assert.equal(placement.replicas, 2)
      assert.deepEqual(servers.map(s => s.blocks.roleOf(block.cid)), [undefined, undefined, 'replica', 'replica', undefined])
      assert.equal(placement.refusals.filter(r => r.includes('not-responsible')).length, 2, placement.refusals.join('; '))
    })
  }
})
