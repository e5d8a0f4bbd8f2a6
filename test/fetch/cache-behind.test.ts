import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { CACHE_BEHIND_BLOCKS, FetchSession, type FetchInit } from '../../src/fetch/fetch-session.js'
import { blockRequestHandler, BLOCK_PROTOCOL } from '../../src/protocols/block-protocol.js'
import { MemoryBlocks, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import type { ReplicaFinder } from '../../src/placement/replica-finder.js'
import type { PeerId } from '@libp2p/interface'

/** A root none of the blocks is. */
const ROOT = CID.parse('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')

/** A session over one holder of `blocks`, keeping what it fetches in `local`. */
async function sessionOver (blocks: Array<{ cid: CID, bytes: Uint8Array }>, local: MemoryBlocks): Promise<{ session: FetchSession, holder: PeerId, asked: () => number }> {
  const holder = await randomPeerId()
  const handler = blockRequestHandler(new MemoryBlocks(blocks))
  let asked = 0
  const init: FetchInit = {
    blocks: local,
    open: async () => { asked++; return (await dialHandler(handler, holder)).stream },
    blockProtocol: BLOCK_PROTOCOL,
    finder: { candidates: async () => [holder] } as unknown as ReplicaFinder,
    contentRouting: { findProviders: async function * () {} } as any,
    timeoutMs: 5000,
    cacheFetched: true
  }
  const session = new FetchSession(init, ROOT, AbortSignal.timeout(10_000))
  session.holders.add(holder)
  return { session, holder, asked: () => asked }
}

/** A store whose puts finish only when `release` is called; `startedAll` resolves once `count` puts began. */
function slowStore (count: number): { local: MemoryBlocks, release: () => void, started: () => number, startedAll: Promise<void> } {
  const local = new MemoryBlocks()
  let started = 0
  let release!: () => void
  let all!: () => void
  const released = new Promise<void>(resolve => { release = resolve })
  const startedAll = new Promise<void>(resolve => { all = resolve })
  local.beforePut = async () => {
    if (++started === count) all()
    await released
  }
  return { local, release, started: () => started, startedAll }
}

describe('fetch session: keeping fetched blocks behind the reader', () => {
  it('hands a batch over before the store has kept its blocks, and cached() resolves once it has', async () => {
    const blocks = await Promise.all(Array.from({ length: 3 }, async (_, i) => rawBlock(`kept behind ${i}`)))
    const { local, release, startedAll } = slowStore(3)
    const { session } = await sessionOver(blocks, local)

    let handed: Uint8Array[] | undefined
    const got = session.getMany(blocks.map(b => b.cid)).then(bytes => { handed = bytes })
    await startedAll
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(handed, blocks.map(b => b.bytes))
    assert.equal(local.puts.length, 0)
    await got

    let cached = false
    const caching = session.cached().then(() => { cached = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(cached, false)
    release()
    await caching
    assert.deepEqual(local.puts.map(p => p.cid.toString()), blocks.map(b => b.cid.toString()))
    assert.ok(local.puts.every(p => p.role === 'cache'))
  })

  it(`holds the reader back once more than ${CACHE_BEHIND_BLOCKS} blocks wait to be stored`, async () => {
    const blocks = await Promise.all(Array.from({ length: CACHE_BEHIND_BLOCKS + 1 }, async (_, i) => rawBlock(`one too many ${i}`)))
    const { local, release, startedAll } = slowStore(blocks.length)
    const { session } = await sessionOver(blocks, local)

    let handed = false
    const got = session.getMany(blocks.map(b => b.cid)).then(bytes => { handed = true; return bytes })
    // every answer arrived and is being stored; the store keeps none until released
    await startedAll
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(handed, false)
    release()
    assert.deepEqual(await got, blocks.map(b => b.bytes))
  })

  it('answers a block asked for again while it is being stored from what it fetched, asking no peer twice', async () => {
    const blocks = await Promise.all(Array.from({ length: 3 }, async (_, i) => rawBlock(`asked twice ${i}`)))
    const { local, release } = slowStore(3)
    const { session, asked } = await sessionOver(blocks, local)

    assert.deepEqual(await session.getMany(blocks.map(b => b.cid)), blocks.map(b => b.bytes))
    // a second read of the same blocks (a gateway sniffs a file's type, then sends it)
    assert.deepEqual(await session.getMany(blocks.map(b => b.cid)), blocks.map(b => b.bytes))
    assert.deepEqual(await session.get(blocks[0].cid), blocks[0].bytes)
    assert.equal(asked(), 1)
    assert.equal(session.counters.bytesFetched, blocks.reduce((sum, b) => sum + b.bytes.byteLength, 0))
    release()
    await session.cached()
  })

  it('keeps a fetched block whose store fails nowhere, and still hands it over', async () => {
    const block = await rawBlock('not kept')
    const local = new MemoryBlocks()
    local.beforePut = () => new Error('the store is full')
    const { session } = await sessionOver([block], local)

    assert.deepEqual(await session.get(block.cid), block.bytes)
    await session.cached()
    assert.equal(local.puts.length, 0)
  })
})
