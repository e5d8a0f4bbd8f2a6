import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { countHolders } from '../../src/placement/replica-census.js'
import { haveRequestHandler, HAVE_PROTOCOL } from '../../src/protocols/have-protocol.js'
import { MAX_CIDS_PER_REQUEST } from '../../src/protocols/limits.js'
import { MemoryBlocks, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import type { BlockRole } from '../../src/store/local-blocks.js'
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

describe('replica census (how many servers keep each block, asked)', () => {
  it('counts the servers that answer kept, not those caching it, down or silent, asking each once per 64 blocks', async () => {
    const count = MAX_CIDS_PER_REQUEST + 6
    const blocks = await Promise.all(Array.from({ length: count }, async (_, i) => rawBlock(`census ${i}`)))
    const cids = blocks.map(b => b.cid)
    const ids = await Promise.all(Array.from({ length: 5 }, async () => randomPeerId()))
    const [self, keeper, cacher, down, silent] = ids
    const stores = new Map<string, MemoryBlocks>([[keeper.toString(), new MemoryBlocks()], [cacher.toString(), new MemoryBlocks()]])
    for (const { cid, bytes } of blocks) {
      await stores.get(keeper.toString())?.put(cid, bytes, 'replica')
      await stores.get(cacher.toString())?.put(cid, bytes, 'cache')
    }
    const opened = new Map<string, number>()
    const silentStreams: Stream[] = []
    const asker = await randomPeerId()
    const results = await countHolders(cids, {
      finder: { candidates: async () => ids },
      open: async (peer: PeerId, protocol: string) => {
        assert.equal(protocol, HAVE_PROTOCOL)
        opened.set(peer.toString(), (opened.get(peer.toString()) ?? 0) + 1)
        if (peer.equals(down)) throw Object.assign(new Error('connection refused'), { name: 'DialError' })
        if (peer.equals(silent)) {
          // a stream whose far end never reads or answers
          const { stream, inbound } = await dialHandler(async () => {}, asker)
          silentStreams.push(inbound)
          return stream
        }
        const store = stores.get(peer.toString()) ?? assert.fail('unknown server')
        return (await dialHandler(haveRequestHandler(store), asker)).stream
      },
      // this node keeps the first block itself, pinned
      self: { peer: self, roleOf: (cid: CID): BlockRole | undefined => cid.equals(cids[0]) ? 'pinned' : undefined },
      timeoutMs: 300,
      signal: AbortSignal.timeout(30_000)
    })
    assert.equal(results.length, count)
    assert.deepEqual(results.map(r => r.cid.toString()), cids.map(String), 'in the order asked')
    assert.deepEqual(results[0].holders.map(String), [self, keeper].map(String), 'closest first, this node counted from its own store')
    for (const result of results.slice(1)) {
      assert.deepEqual(result.holders.map(String), [keeper.toString()])
      assert.equal(result.asked, 5)
      assert.equal(result.failed.length, 2)
      assert.match(result.failed.join('\n'), new RegExp(`^${down.toString()}: connection refused$`, 'm'))
      assert.match(result.failed.join('\n'), new RegExp(`^${silent.toString()}: `, 'm'))
    }
    // two requests per server for 70 blocks; none to this node
    assert.deepEqual(Object.fromEntries(opened), { [keeper.toString()]: 2, [cacher.toString()]: 2, [down.toString()]: 2, [silent.toString()]: 2 })
  })

  it('leaves out a server it cannot reach, looks the block up again and asks the server the first lookup missed', async () => {
    const { cid, bytes } = await rawBlock('census after a stop')
    const [gone, keeper, missed] = await Promise.all(Array.from({ length: 3 }, async () => randomPeerId()))
    const stores = new Map<string, MemoryBlocks>([[keeper.toString(), new MemoryBlocks()], [missed.toString(), new MemoryBlocks()]])
    for (const store of stores.values()) await store.put(cid, bytes, 'replica')
    // the first lookup named the stopped server and missed a running one
    let known = [gone, keeper]
    const downs: string[] = []
    const asker = await randomPeerId()
    const opened: string[] = []
    const [result] = await countHolders([cid], {
      finder: {
        candidates: async () => known.filter(p => !downs.includes(p.toString())),
        down: (peer: PeerId) => { downs.push(peer.toString()) },
        explore: async () => { known = [gone, missed, keeper] }
      },
      open: async (peer: PeerId) => {
        opened.push(peer.toString())
        if (peer.equals(gone)) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
        const store = stores.get(peer.toString()) ?? assert.fail('unknown server')
        return (await dialHandler(haveRequestHandler(store), asker)).stream
      },
      signal: AbortSignal.timeout(30_000)
    })
    assert.deepEqual(result.holders.map(String), [missed, keeper].map(String), 'both running holders, closest first by the latest lookup')
    assert.deepEqual(downs, [gone.toString()])
    assert.equal(result.asked, 3)
    assert.equal(result.failed.length, 1)
    assert.deepEqual(opened.sort(), [gone, keeper, missed].map(String).sort(), 'each server asked once')
  })
})
