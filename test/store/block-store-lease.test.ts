import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { haveRequestHandler, requestHave } from '../../src/protocols/have-protocol.js'
import { pushBlocks, storeRequestHandler } from '../../src/protocols/store-protocol.js'
import { BlockStore } from '../../src/store/block-store.js'
import { dialHandler, randomPeerId } from '../support/fakes.js'
import { dagLinks } from '../../src/store/dag-links.js'
import type { Datastore } from 'interface-datastore'

// Provisional replicas (docs/storage.md, "Unfinished puts"): what a put
// pushes is kept for the store's lease, unless the finished put settles it.

const HOUR = 3_600_000
const LEASE = 24 * HOUR

interface Block { cid: CID, bytes: Uint8Array }

/** A fake clock: leases are measured by it, never by waiting. */
class Clock {
  at = Date.parse('2026-12-01T12:00:00Z')
  readonly now = (): number => this.at
}

async function rawBlock (seed: number, size = 1000): Promise<Block> {
  const bytes = new Uint8Array(size).map((_, i) => (seed * 31 + i * 7) & 0xff)
  bytes[0] = seed & 0xff
  bytes[1] = seed >> 8
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function openStore (clock: Clock, datastore: Datastore = new MemoryDatastore(), bytes = new MemoryBlockstore()): Promise<BlockStore> {
  return await BlockStore.open({ bytes, datastore, maxBytes: 2 ** 30, putLeaseMs: LEASE, now: clock.now })
}

/** A UnixFS file (1 KiB raw leaves, 4 children a node), or several files in a directory, as the importer makes them. */
async function importDag (files: Array<{ path?: string, content: Uint8Array }>): Promise<{ root: CID, blocks: Block[] }> {
  // the CIDs as the importer made them (dag-pb inner nodes), not as the store lists them (raw of each multihash)
  const blocks: Block[] = []
  const scratch = {
    put: async (cid: CID, bytes: Uint8Array) => { blocks.push({ cid, bytes }); return cid },
    has: async (cid: CID) => blocks.some(b => b.cid.equals(cid))
  } as any
  let root: CID | undefined
  for await (const entry of importer(files, scratch, { chunker: fixedSize({ chunkSize: 1024 }), layout: balanced({ maxChildrenPerNode: 4 }), rawLeaves: true, cidVersion: 1, wrapWithDirectory: files.length > 1 })) {
    root = entry.cid
  }
  assert.ok(root != null)
  return { root, blocks: blocks.filter((b, i) => blocks.findIndex(o => o.cid.equals(b.cid)) === i) }
}

describe('provisional replicas (a put\'s blocks until it finishes)', () => {
  it('are replicas for their lease, kept from eviction but not swept or audited (not in kept())', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const block = await rawBlock(1)
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    assert.equal(store.roleOf(block.cid), 'replica')
    assert.deepEqual([...store.kept()], [])
    clock.at += LEASE - 1
    assert.equal(await store.gc(), 0)
    assert.equal(await store.has(block.cid), true)
  })

  it('are cache once their lease ran out, and gc frees them', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const block = await rawBlock(2)
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    clock.at += LEASE
    assert.equal(store.roleOf(block.cid), 'cache')
    assert.equal(await store.gc(), 1000)
    assert.equal(await store.has(block.cid), false)
  })

  it('settled by their finished put, are kept as any replica, past the lease too', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const block = await rawBlock(3)
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    await store.settle([block.cid])
    clock.at += 10 * LEASE
    assert.equal(await store.gc(), 0)
    assert.equal(store.roleOf(block.cid), 'replica')
    assert.deepEqual([...store.kept()].map(String), [CID.createV1(raw.code, block.cid.multihash).toString()])
  })

  it('are never made of a settled replica: a provisional push of a kept block changes nothing', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const block = await rawBlock(4)
    await store.put(block.cid, block.bytes, 'replica')
    // someone else's put of the same bytes, never finished
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    clock.at += 2 * LEASE
    assert.equal(await store.gc(), 0)
    assert.equal(await store.gc({ unfinished: true }), 0)
    assert.equal(store.roleOf(block.cid), 'replica')
  })

  it('are settled by a plain replica push (repair), and a settle after the lease ran out does not bring them back', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const repaired = await rawBlock(5)
    const late = await rawBlock(6)
    await store.put(repaired.cid, repaired.bytes, 'replica', { provisional: true })
    await store.put(late.cid, late.bytes, 'replica', { provisional: true })
    await store.put(repaired.cid, repaired.bytes, 'replica')
    clock.at += LEASE
    await store.settle([late.cid])
    assert.equal(store.roleOf(repaired.cid), 'replica')
    assert.equal(store.roleOf(late.cid), 'cache')
  })

  it('a provisional push of a block whose lease ran out starts a new lease (a put run again)', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const block = await rawBlock(7)
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    clock.at += LEASE
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    assert.equal(store.roleOf(block.cid), 'replica')
    clock.at += LEASE - 1
    assert.equal(await store.gc(), 0)
  })

  it('gc --unfinished frees them at once, whatever their lease, and nothing else that is kept', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const unfinished = await rawBlock(8)
    const kept = await rawBlock(9)
    await store.put(unfinished.cid, unfinished.bytes, 'replica', { provisional: true })
    await store.put(kept.cid, kept.bytes, 'replica')
    assert.equal(await store.gc({ unfinished: true }), 1000)
    assert.equal(await store.has(unfinished.cid), false)
    assert.equal(store.roleOf(kept.cid), 'replica')
  })

  it('make room under the quota once their lease ran out', async () => {
    const clock = new Clock()
    const store = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore: new MemoryDatastore(), maxBytes: 2000, putLeaseMs: LEASE, now: clock.now })
    const [a, b, c] = await Promise.all([rawBlock(10), rawBlock(11), rawBlock(12)])
    await store.put(a.cid, a.bytes, 'replica', { provisional: true })
    await store.put(b.cid, b.bytes, 'replica')
    await assert.rejects(store.put(c.cid, c.bytes, 'replica'), { name: 'QuotaExceededError' })
    clock.at += LEASE
    await store.put(c.cid, c.bytes, 'replica')
    assert.equal(await store.has(a.cid), false)
    assert.equal(store.roleOf(b.cid), 'replica')
  })

  it('make room once their lease ran out, when the store was full before they were stored', async () => {
    const clock = new Clock()
    const store = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore: new MemoryDatastore(), maxBytes: 2000, putLeaseMs: LEASE, now: clock.now })
    const [a, b, c, d] = await Promise.all([rawBlock(20), rawBlock(21), rawBlock(22), rawBlock(23)])
    await store.put(a.cid, a.bytes, 'replica')
    await store.put(b.cid, b.bytes, 'replica')
    // full with no lease running: the store learns no lease can end soon
    await assert.rejects(store.put(c.cid, c.bytes, 'replica'), { name: 'QuotaExceededError' })
    await store.release(a.cid)
    // a lease starts after that, in the room a's eviction made
    await store.put(c.cid, c.bytes, 'replica', { provisional: true })
    clock.at += LEASE
    await store.put(d.cid, d.bytes, 'replica')
    assert.equal(await store.has(c.cid), false)
    assert.equal(store.roleOf(b.cid), 'replica')
  })

  it('keep their lease across a restart (the record says when it began)', async () => {
    const clock = new Clock()
    const datastore = new MemoryDatastore()
    const bytes = new MemoryBlockstore()
    const first = await openStore(clock, datastore, bytes)
    const block = await rawBlock(13)
    await first.put(block.cid, block.bytes, 'replica', { provisional: true })
    await first.close()
    clock.at += LEASE / 2
    const second = await openStore(clock, datastore, bytes)
    assert.equal(second.roleOf(block.cid), 'replica')
    assert.deepEqual([...second.kept()], [])
    clock.at += LEASE / 2
    assert.equal(await second.gc(), 1000)
  })

  it('are settled when the store restarts with leases turned off', async () => {
    const clock = new Clock()
    const datastore = new MemoryDatastore()
    const bytes = new MemoryBlockstore()
    const first = await openStore(clock, datastore, bytes)
    const block = await rawBlock(15)
    await first.put(block.cid, block.bytes, 'replica', { provisional: true })
    await first.close()
    const second = await BlockStore.open({ bytes, datastore, maxBytes: 2 ** 30, putLeaseMs: 0, now: clock.now })
    assert.equal([...second.kept()].length, 1)
    clock.at += 2 * LEASE
    assert.equal(await second.gc({ unfinished: true }), 0)
  })

  it('are plain replicas with a lease of 0 (no leases)', async () => {
    const store = await BlockStore.open({ bytes: new MemoryBlockstore(), datastore: new MemoryDatastore(), maxBytes: 2 ** 30, putLeaseMs: 0 })
    const block = await rawBlock(14)
    await store.put(block.cid, block.bytes, 'replica', { provisional: true })
    assert.equal([...store.kept()].length, 1)
    assert.equal(await store.gc({ unfinished: true }), 0)
  })
})

describe('removing a file from the store (weft rm)', () => {
  it('unpins it, releases its replicas and deletes its blocks; blocks another pin reaches stay', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const shared = new Uint8Array(4096).fill(7)
    const one = await importDag([{ content: Uint8Array.from([...shared, ...new Uint8Array(3000).fill(1)]) }])
    const two = await importDag([{ content: Uint8Array.from([...shared, ...new Uint8Array(3000).fill(2)]) }])
    for (const { cid, bytes } of one.blocks) await store.put(cid, bytes, 'replica')
    for (const { cid, bytes } of two.blocks) await store.put(cid, bytes, 'cache')
    await store.pin(one.root)
    await store.pin(two.root)
    const before = store.stats()
    const removed = await store.removeDag(one.root)
    // both files begin with four KiB of 7s: one leaf block, and one inner node over those four, which two's pin keeps
    assert.equal(await store.isPinned(one.root), false)
    assert.equal(await store.has(one.root), false)
    assert.equal(removed.kept, 2)
    assert.equal(removed.blocks + removed.kept, one.blocks.length)
    assert.equal(store.stats().usedBytes, before.usedBytes - removed.bytes)
    for (const { cid } of two.blocks) assert.equal(store.roleOf(cid), 'pinned')
  })

  it('of a file not held here does nothing', async () => {
    const store = await openStore(new Clock())
    const { root } = await importDag([{ content: new Uint8Array(2000).fill(3) }])
    assert.deepEqual(await store.removeDag(root), { blocks: 0, bytes: 0, kept: 0 })
  })
})

describe('what the store lists (weft ls)', () => {
  it('groups blocks by the file whose root it holds, with size, role and blocks held; the rest are loose', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const file = await importDag([{ content: new Uint8Array(10_000).map((_, i) => i % 251) }])
    const partial = await importDag([{ content: new Uint8Array(6000).map((_, i) => (i * 3) % 253) }])
    const loose = await rawBlock(20)
    for (const { cid, bytes } of file.blocks) await store.put(cid, bytes, 'replica')
    // a put cut short: its root, the first of its two inner nodes and that one's first leaf arrived
    const partialRoot = partial.blocks.find(b => b.cid.equals(partial.root))!
    const inner = partial.blocks.find(b => b.cid.equals(dagLinks(partialRoot.cid, partialRoot.bytes)[0]))!
    const partialLeaf = partial.blocks.find(b => b.cid.equals(dagLinks(inner.cid, inner.bytes)[0]))!
    for (const b of [partialRoot, inner, partialLeaf]) await store.put(b.cid, b.bytes, 'replica', { provisional: true })
    await store.put(loose.cid, loose.bytes, 'cache')
    const listing = await store.list()
    assert.equal(listing.fileCount, 2)
    const [big, small] = listing.files
    assert.equal(big.cid, file.root.toString())
    assert.equal(big.type, 'file')
    assert.equal(big.size, 10_000)
    assert.equal(big.role, 'replica')
    assert.equal(big.blocks, file.blocks.length)
    assert.equal(big.held.blocks, file.blocks.length)
    assert.deepEqual(big.held.roles, { replica: file.blocks.length })
    assert.equal(small.cid, partial.root.toString())
    assert.equal(small.role, 'provisional')
    assert.equal(small.size, 6000)
    assert.equal(small.held.blocks, 3)
    // the root, both inner nodes and the four leaves of the one held (the other's are not known here)
    assert.equal(small.blocks, 1 + 2 + 4)
    assert.deepEqual(listing.loose, { blocks: 1, bytes: 1000, roles: { cache: 1 } })
    assert.equal(listing.total.blocks, file.blocks.length + 4)
  })

  it('names a directory\'s entries', async () => {
    const store = await openStore(new Clock())
    const dir = await importDag([{ path: 'a.txt', content: new Uint8Array(100).fill(1) }, { path: 'b.bin', content: new Uint8Array(3000).fill(2) }])
    for (const { cid, bytes } of dir.blocks) await store.put(cid, bytes, 'cache')
    const listing = await store.list()
    assert.equal(listing.fileCount, 1)
    assert.equal(listing.files[0].type, 'directory')
    assert.deepEqual(listing.files[0].entries?.map(e => e.name), ['a.txt', 'b.bin'])
    assert.equal(listing.loose.blocks, 0)
  })

  it('lists at most `limit` files, largest first, and counts them all', async () => {
    const store = await openStore(new Clock())
    for (let n = 1; n <= 5; n++) {
      const { blocks } = await importDag([{ content: new Uint8Array(1100 * n).fill(n) }])
      for (const { cid, bytes } of blocks) await store.put(cid, bytes, 'cache')
    }
    const listing = await store.list({ limit: 2 })
    assert.equal(listing.fileCount, 5)
    assert.deepEqual(listing.files.map(f => f.size), [5500, 4400])
  })
})

describe('provisional replicas over the wire', () => {
  it('a push marked provisional is stored so; a have request settles it only when it says settle', async () => {
    const clock = new Clock()
    const store = await openStore(clock)
    const peer = await randomPeerId()
    const [unfinished, plain] = await Promise.all([rawBlock(30), rawBlock(31)])
    const push = await dialHandler(storeRequestHandler(store), peer)
    const answers = []
    for await (const answer of pushBlocks(push.stream, [{ ...unfinished, provisional: true }, plain])) answers.push(answer.status)
    assert.deepEqual(answers, ['stored', 'stored'])
    // the plain push (an older uploader, or repair) is kept at once
    assert.deepEqual([...store.kept()].map(String), [CID.createV1(raw.code, plain.cid.multihash).toString()])

    const ask = await dialHandler(haveRequestHandler(store), peer)
    assert.deepEqual(await requestHave(ask.stream, [unfinished.cid]), ['kept'])
    assert.equal([...store.kept()].length, 1, 'a have request without settle changes nothing')
    const settle = await dialHandler(haveRequestHandler(store), peer)
    assert.deepEqual(await requestHave(settle.stream, [unfinished.cid], { settle: true }), ['kept'])
    assert.equal([...store.kept()].length, 2)
    clock.at += 2 * LEASE
    assert.equal(await store.gc({ unfinished: true }), 0)
  })
})
