import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { BlockNotFoundError, BlockTooLargeError, BlockWriteError, InvalidCIDError, QuotaExceededError } from '../../src/errors.js'
import { openBlockBytes } from '../../src/store/block-bytes.js'
import { BlockStore } from '../../src/store/block-store.js'
import { dagLinks } from '../../src/store/dag-links.js'
import { openDatastore } from '../../src/store/datastore.js'
import { BLOCKS_PREFIX, PENDING_PREFIX } from '../../src/store/store-keys.js'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { MultihashDigest } from 'multiformats/hashes/interface'

interface Block { cid: CID, bytes: Uint8Array }

/** Deterministic pseudo-random bytes: distinct seeds give distinct blocks. */
function pseudoRandom (seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    bytes[i] = x & 0xff
  }
  return bytes
}

async function rawBlock (seed: number, size = 1000): Promise<Block> {
  const bytes = pseudoRandom(seed, size)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function memoryStore (maxBytes = 2 ** 30, bytes: Blockstore = new MemoryBlockstore(), datastore: Datastore = new MemoryDatastore()): Promise<BlockStore> {
  return await BlockStore.open({ bytes, datastore, maxBytes })
}

/**
 * A UnixFS file DAG (1 KiB raw leaves, at most 4 children per node) built by
 * ipfs-unixfs-importer in a MemoryBlockstore; `blocks` as that store lists
 * them (CIDv1 raw of each multihash: the store keys by multihash).
 */
async function fileDag (content: Uint8Array): Promise<{ root: CID, blocks: Block[] }> {
  const scratch = new MemoryBlockstore()
  let root: CID | undefined
  for await (const entry of importer([{ content }], scratch, { chunker: fixedSize({ chunkSize: 1024 }), layout: balanced({ maxChildrenPerNode: 4 }), rawLeaves: true, cidVersion: 1 })) {
    root = entry.cid
  }
  assert.ok(root != null)
  const blocks: Block[] = []
  for await (const { cid, bytes } of scratch.getAll()) {
    const parts: Uint8Array[] = []
    for await (const part of bytes) parts.push(part)
    blocks.push({ cid, bytes: Uint8Array.from(parts.flatMap(part => [...part])) })
  }
  return { root, blocks }
}

async function putAll (store: BlockStore, blocks: Block[], role: 'cache' | 'replica' | 'pinned' = 'cache'): Promise<void> {
  for (const { cid, bytes } of blocks) await store.put(cid, bytes, role)
}

const sizeOf = (blocks: Block[]): number => blocks.reduce((sum, block) => sum + block.bytes.byteLength, 0)
const keyOf = (cid: CID): string => base32.encode(cid.multihash.bytes)

/** A MemoryBlockstore whose writes take a while and which remembers the most bytes it ever held. */
class SlowBlockstore extends MemoryBlockstore {
  held = 0
  peak = 0
  readonly #sizes = new Map<string, number>()

  override async put (cid: CID, bytes: any): Promise<CID> {
    await new Promise(resolve => setTimeout(resolve, 2 + Math.random() * 5))
    const key = keyOf(cid)
    if (!this.#sizes.has(key)) {
      this.#sizes.set(key, bytes.byteLength)
      this.held += bytes.byteLength
      this.peak = Math.max(this.peak, this.held)
    }
    return await super.put(cid, bytes)
  }

  override async delete (cid: CID): Promise<void> {
    this.held -= this.#sizes.get(keyOf(cid)) ?? 0
    this.#sizes.delete(keyOf(cid))
    await super.delete(cid)
  }
}

describe('BlockStore', () => {
  it('returns the bytes it stored, and has() sees them', async () => {
    const store = await memoryStore()
    const { cid, bytes } = await rawBlock(1)
    await store.put(cid, bytes, 'cache')
    assert.equal(await store.has(cid), true)
    assert.deepEqual(await store.get(cid), bytes)
    assert.deepEqual(store.stats(), { usedBytes: 1000, maxBytes: 2 ** 30, blocks: 1, pins: 0 })
  })

  it('answers undefined and false for a block it does not hold', async () => {
    const store = await memoryStore()
    const { cid } = await rawBlock(2)
    assert.equal(await store.get(cid), undefined)
    assert.equal(await store.has(cid), false)
    assert.equal(store.roleOf(cid), undefined)
  })

  it('keeps one copy of a block put again, under any CID of the same multihash', async () => {
    const store = await memoryStore()
    const { cid, bytes } = await rawBlock(3)
    await store.put(cid, bytes, 'cache')
    await store.put(cid, bytes, 'cache')
    await store.put(CID.createV1(0x70, cid.multihash), bytes, 'replica')
    await Promise.all([store.put(cid, bytes, 'cache'), store.put(cid, bytes, 'cache')])
    assert.equal(store.stats().usedBytes, 1000)
    assert.equal(store.stats().blocks, 1)
    assert.equal(await store.has(CID.createV0(cid.multihash as MultihashDigest<0x12>)), true)
  })

  it('raises a block to the strongest role it was put with, never lowers it', async () => {
    const store = await memoryStore()
    const { cid, bytes } = await rawBlock(4)
    await store.put(cid, bytes, 'cache')
    assert.equal(store.roleOf(cid), 'cache')
    await store.put(cid, bytes, 'replica')
    assert.equal(store.roleOf(cid), 'replica')
    await store.put(cid, bytes, 'cache')
    assert.equal(store.roleOf(cid), 'replica')
    await store.put(cid, bytes, 'pinned')
    assert.equal(store.roleOf(cid), 'pinned')
    await store.put(cid, bytes, 'replica')
    assert.equal(store.roleOf(cid), 'pinned')
  })

  it('pins every block of a DAG', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(5, 10 * 1024))
    assert.ok(blocks.length >= 14, `a DAG with inner nodes, got ${blocks.length} blocks`)
    await putAll(store, blocks)
    await store.pin(root)
    assert.equal(await store.isPinned(root), true)
    assert.equal(await store.isPinned(CID.createV0(root.multihash as MultihashDigest<0x12>)), true)
    for (const { cid } of blocks) assert.equal(store.roleOf(cid), 'pinned')
    assert.equal(store.stats().pins, 1)
    assert.equal(await store.gc(), 0)
    assert.equal(store.stats().blocks, blocks.length)
  })

  it('refuses to pin a DAG with a missing block, naming it, and changes nothing', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(6, 10 * 1024))
    const missing = blocks.find(block => block.cid.code === raw.code && block.bytes.byteLength === 1024)
    assert.ok(missing != null)
    await putAll(store, blocks.filter(block => block !== missing))
    await assert.rejects(store.pin(root), (err: any) => {
      assert.ok(err instanceof BlockNotFoundError)
      assert.equal(err.name, 'BlockNotFoundError')
      assert.equal(CID.parse(err.cid).multihash.bytes.join(), missing.cid.multihash.bytes.join())
      assert.match(err.message, new RegExp(err.cid))
      return true
    })
    assert.equal(await store.isPinned(root), false)
    assert.equal(store.stats().pins, 0)
    for (const { cid } of blocks) if (cid !== missing.cid) assert.equal(store.roleOf(cid), 'cache')
  })

  it('keeps blocks shared by two pinned DAGs pinned until both are unpinned', async () => {
    const store = await memoryStore()
    const first = await fileDag(pseudoRandom(7, 8 * 1024))
    const second = await fileDag(Uint8Array.from([...pseudoRandom(7, 8 * 1024), ...pseudoRandom(8, 4 * 1024)]))
    const firstKeys = new Set(first.blocks.map(block => keyOf(block.cid)))
    const shared = second.blocks.filter(block => firstKeys.has(keyOf(block.cid)))
    const onlySecond = second.blocks.filter(block => !firstKeys.has(keyOf(block.cid)))
    assert.ok(shared.length >= 8 && onlySecond.length >= 4)
    await putAll(store, [...first.blocks, ...onlySecond])
    await store.pin(first.root)
    await store.pin(second.root)
    await store.unpin(second.root)
    for (const { cid } of first.blocks) assert.equal(store.roleOf(cid), 'pinned')
    for (const { cid } of onlySecond) assert.equal(store.roleOf(cid), 'cache')
    assert.equal(await store.gc(), sizeOf(onlySecond))
    assert.equal(store.stats().usedBytes, sizeOf(first.blocks))
    assert.equal(await store.isPinned(first.root), true)
    assert.equal(await store.isPinned(second.root), false)
  })

  it('returns unpinned blocks to the role they had otherwise', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(9, 4 * 1024))
    const [replica, ...rest] = blocks
    await store.put(replica.cid, replica.bytes, 'replica')
    await putAll(store, rest, 'pinned')
    await store.pin(root)
    await store.unpin(root)
    assert.equal(store.roleOf(replica.cid), 'replica')
    for (const { cid } of rest) assert.equal(store.roleOf(cid), 'cache')
  })

  it('lists the blocks it keeps (replicas and pinned), not cached ones, each as a raw CIDv1 of its multihash', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(16, 4 * 1024))
    const [replica, cache] = await Promise.all([17, 18].map(async seed => await rawBlock(seed)))
    await putAll(store, blocks)
    await store.pin(root)
    await store.put(replica.cid, replica.bytes, 'replica')
    await store.put(cache.cid, cache.bytes, 'cache')
    const kept = [...store.kept()]
    assert.ok(kept.every(cid => cid.version === 1 && cid.code === raw.code))
    assert.deepEqual(kept.map(keyOf).sort(), [...blocks, replica].map(block => keyOf(block.cid)).sort())
  })

  it('releases a replica to cache, where gc may take it, but leaves pinned blocks pinned', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(19, 2 * 1024))
    const replica = await rawBlock(20)
    await putAll(store, blocks, 'replica')
    await store.pin(root)
    await store.put(replica.cid, replica.bytes, 'replica')
    for (const { cid } of [...blocks, replica]) await store.release(cid)
    assert.equal(store.roleOf(replica.cid), 'cache')
    for (const { cid } of blocks) assert.equal(store.roleOf(cid), 'pinned')
    assert.deepEqual([...store.kept()].map(keyOf).sort(), blocks.map(block => keyOf(block.cid)).sort())
    assert.equal(await store.gc(), 1000)
    // unpinned, the released blocks are cache too
    await store.unpin(root)
    for (const { cid } of blocks) assert.equal(store.roleOf(cid), 'cache')
  })

  it('frees an unpinned DAG on gc', async () => {
    const store = await memoryStore()
    const { root, blocks } = await fileDag(pseudoRandom(10, 10 * 1024))
    await putAll(store, blocks)
    await store.pin(root)
    assert.equal(await store.gc(), 0)
    await store.unpin(root)
    assert.equal(await store.gc(), sizeOf(blocks))
    assert.deepEqual(store.stats(), { usedBytes: 0, maxBytes: 2 ** 30, blocks: 0, pins: 0 })
    for (const { cid } of blocks) assert.equal(await store.get(cid), undefined)
  })

  it('collects only cache blocks, oldest first, until the bytes asked for are freed', async () => {
    const store = await memoryStore()
    const [a, b, c, d, e] = await Promise.all([11, 12, 13, 14, 15].map(async seed => await rawBlock(seed)))
    await putAll(store, [a, b])
    await store.put(c.cid, c.bytes, 'replica')
    await store.put(d.cid, d.bytes, 'pinned')
    await store.put(e.cid, e.bytes, 'cache')
    assert.equal(await store.gc({ bytes: 1 }), 1000)
    assert.deepEqual([a, b, c, d, e].map(block => store.roleOf(block.cid)), [undefined, 'cache', 'replica', 'pinned', 'cache'])
    assert.equal(await store.gc(), 2000)
    assert.deepEqual([a, b, c, d, e].map(block => store.roleOf(block.cid)), [undefined, undefined, 'replica', 'pinned', undefined])
  })

  it('makes room under the quota by evicting cache blocks, oldest first', async () => {
    const store = await memoryStore(3000)
    const [a, b, c, d, e] = await Promise.all([21, 22, 23, 24, 25].map(async seed => await rawBlock(seed)))
    await putAll(store, [a, b, c])
    await store.put(d.cid, d.bytes, 'cache')
    assert.deepEqual(await Promise.all([a, b, c, d].map(async block => await store.has(block.cid))), [false, true, true, true])
    await store.put(e.cid, e.bytes, 'replica')
    assert.deepEqual(await Promise.all([b, c, d, e].map(async block => await store.has(block.cid))), [false, true, true, true])
    assert.equal(store.stats().usedBytes, 3000)
  })

  it('refuses a block with QuotaExceededError when only pinned and replica blocks could make room', async () => {
    const store = await memoryStore(3000)
    const [a, b, c] = await Promise.all([31, 32, 33].map(async seed => await rawBlock(seed)))
    const big = await rawBlock(34, 2000)
    await store.put(a.cid, a.bytes, 'replica')
    await store.put(b.cid, b.bytes, 'pinned')
    await store.put(c.cid, c.bytes, 'cache')
    await assert.rejects(store.put(big.cid, big.bytes, 'cache'), (err: any) => {
      assert.ok(err instanceof QuotaExceededError)
      assert.equal(err.cid, big.cid.toString())
      assert.equal(err.size, 2000)
      assert.equal(err.usedBytes, 3000)
      assert.equal(err.maxBytes, 3000)
      return true
    })
    // Nothing was evicted for a block that could not fit anyway.
    assert.deepEqual([a, b, c].map(block => store.roleOf(block.cid)), ['replica', 'pinned', 'cache'])
    assert.equal(store.stats().usedBytes, 3000)
  })

  it('does not let concurrent puts together overshoot the quota', async () => {
    const bytes = new SlowBlockstore()
    const store = await memoryStore(10_000, bytes)
    const blocks = await Promise.all(Array.from({ length: 20 }, async (_, i) => await rawBlock(100 + i)))
    const results = await Promise.allSettled(blocks.map(async block => { await store.put(block.cid, block.bytes, 'replica') }))
    assert.equal(results.filter(result => result.status === 'fulfilled').length, 10)
    for (const result of results) if (result.status === 'rejected') assert.ok(result.reason instanceof QuotaExceededError)
    assert.equal(store.stats().usedBytes, 10_000)
    assert.ok(bytes.peak <= 10_000, `held up to ${bytes.peak} bytes`)

    // Cache puts evict each other: still never more than the quota on disk.
    const cacheBytes = new SlowBlockstore()
    const cacheStore = await memoryStore(10_000, cacheBytes)
    const more = await Promise.all(Array.from({ length: 40 }, async (_, i) => await rawBlock(200 + i)))
    const settled = await Promise.allSettled(more.map(async block => { await cacheStore.put(block.cid, block.bytes, 'cache') }))
    assert.ok(settled.filter(result => result.status === 'fulfilled').length >= 10)
    assert.ok(cacheBytes.peak <= 10_000, `cache puts held up to ${cacheBytes.peak} bytes`)
    assert.ok(cacheStore.stats().usedBytes <= 10_000)
  })

  it('refuses a block larger than 1 MiB', async () => {
    const store = await memoryStore()
    const ok = await rawBlock(41, 1_048_576)
    await store.put(ok.cid, ok.bytes, 'cache')
    const tooBig = await rawBlock(42, 1_048_577)
    await assert.rejects(store.put(tooBig.cid, tooBig.bytes, 'cache'), (err: any) => {
      assert.ok(err instanceof BlockTooLargeError)
      assert.equal(err.cid, tooBig.cid.toString())
      assert.equal(err.size, 1_048_577)
      return true
    })
    assert.equal(await store.has(tooBig.cid), false)
    assert.equal(store.stats().usedBytes, 1_048_576)
  })

  it('reports a full disk naming the block, and leaves the accounting unchanged', async () => {
    const bytes = new MemoryBlockstore()
    const store = await memoryStore(3000, bytes)
    const [a, b] = await Promise.all([51, 52].map(async seed => await rawBlock(seed)))
    await store.put(a.cid, a.bytes, 'cache')
    const before = store.stats()
    const put = bytes.put.bind(bytes)
    // What blockstore-fs throws: its PutFailedError keeps only the message of the fs error.
    bytes.put = async () => { throw Object.assign(new Error('Error: ENOSPC: no space left on device, write'), { name: 'PutFailedError' }) }
    await assert.rejects(store.put(b.cid, b.bytes, 'replica'), (err: any) => {
      assert.ok(err instanceof BlockWriteError)
      assert.equal(err.cid, b.cid.toString())
      assert.equal(err.code, 'ENOSPC')
      assert.match(err.message, new RegExp(b.cid.toString()))
      return true
    })
    assert.deepEqual(store.stats(), before)
    assert.equal(await store.has(b.cid), false)
    bytes.put = put
    // The failed put's reservation was released: the whole quota is usable.
    const big = await rawBlock(53, 3000)
    await store.put(big.cid, big.bytes, 'cache')
    assert.equal(store.stats().usedBytes, 3000)
  })

  it('names a full browser quota when IndexedDB refuses a block, even with no message', async () => {
    const bytes = new MemoryBlockstore()
    const store = await memoryStore(10_000, bytes)
    const b = await rawBlock(54, 100)
    // blockstore-idb wraps the DOMException; Chromium's may carry no message
    bytes.put = async () => { throw Object.assign(new Error(''), { name: 'PutFailedError', cause: Object.assign(new Error(''), { name: 'QuotaExceededError' }) }) }
    await assert.rejects(store.put(b.cid, b.bytes, 'cache'), (err: any) => {
      assert.ok(err instanceof BlockWriteError)
      assert.match(err.message, /storage for this site is full/)
      return true
    })
  })

  it('names the cause of a write failure when the store\'s own error has no message', async () => {
    const bytes = new MemoryBlockstore()
    const store = await memoryStore(10_000, bytes)
    const b = await rawBlock(55, 100)
    bytes.put = async () => { throw Object.assign(new Error(''), { name: 'PutFailedError', cause: new Error('the database connection is closing') }) }
    await assert.rejects(store.put(b.cid, b.bytes, 'cache'), /the database connection is closing/)
  })

  it('follows dag-pb links, none from raw blocks, and refuses other codecs', async () => {
    const { root, blocks } = await fileDag(pseudoRandom(64, 3 * 1024))
    const rootBytes = blocks.find(block => keyOf(block.cid) === keyOf(root))?.bytes
    assert.ok(rootBytes != null)
    assert.equal(dagLinks(root, rootBytes).length, 3)
    const leaf = await rawBlock(65)
    assert.deepEqual(dagLinks(leaf.cid, leaf.bytes), [])
    const cbor = CID.createV1(0x71, leaf.cid.multihash)
    assert.throws(() => dagLinks(cbor, leaf.bytes), (err: any) => err instanceof InvalidCIDError && err.value === cbor.toString())
  })

  it('stores a compact record per block under /weft/blocks/', async () => {
    const datastore = new MemoryDatastore()
    const store = await memoryStore(2 ** 30, new MemoryBlockstore(), datastore)
    const { cid, bytes } = await rawBlock(61, 262_144)
    await store.put(cid, bytes, 'replica')
    const record = await datastore.get(new Key(BLOCKS_PREFIX + keyOf(cid)))
    assert.ok(record.byteLength <= 12, `record of ${record.byteLength} bytes`)
  })

  it('removes on start the bytes of a put a crash interrupted', async () => {
    const bytes = new MemoryBlockstore()
    const datastore = new MemoryDatastore()
    const { cid, bytes: data } = await rawBlock(62)
    // The state a crash leaves between writing the bytes and the record.
    await datastore.put(new Key(PENDING_PREFIX + keyOf(cid)), new Uint8Array(0))
    await bytes.put(cid, data)
    const store = await memoryStore(2 ** 30, bytes, datastore)
    assert.equal(await store.has(cid), false)
    assert.equal(await bytes.has(cid), false)
    assert.equal(await datastore.has(new Key(PENDING_PREFIX + keyOf(cid))), false)
    assert.equal(store.stats().usedBytes, 0)
  })

  it('forgets a block whose bytes vanished from under it', async () => {
    const bytes = new MemoryBlockstore()
    const store = await memoryStore(2 ** 30, bytes)
    const { cid, bytes: data } = await rawBlock(63)
    await store.put(cid, data, 'cache')
    await bytes.delete(cid)
    assert.equal(await store.get(cid), undefined)
    assert.equal(await store.has(cid), false)
    assert.equal(store.stats().usedBytes, 0)
  })

  it('keeps accounting, roles and pins across a restart on disk (blockstore-fs + LevelDB)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-block-store-'))
    try {
      const { root, blocks } = await fileDag(pseudoRandom(71, 10 * 1024))
      const replica = await rawBlock(72)
      const cache = await rawBlock(73)
      let datastore = await openDatastore(dir)
      let bytes = await openBlockBytes(dir)
      let store = await BlockStore.open({ bytes, datastore, maxBytes: 1_000_000 })
      await putAll(store, blocks, 'pinned')
      await store.pin(root)
      await store.put(replica.cid, replica.bytes, 'replica')
      await store.put(cache.cid, cache.bytes, 'replica')
      await store.release(cache.cid)
      const before = store.stats()
      assert.deepEqual(before, { usedBytes: sizeOf(blocks) + 2000, maxBytes: 1_000_000, blocks: blocks.length + 2, pins: 1 })
      await store.close()
      await bytes.close()
      await datastore.close()

      datastore = await openDatastore(dir)
      bytes = await openBlockBytes(dir)
      store = await BlockStore.open({ bytes, datastore, maxBytes: 1_000_000 })
      assert.deepEqual(store.stats(), before)
      assert.equal(await store.isPinned(root), true)
      for (const block of blocks) {
        assert.equal(store.roleOf(block.cid), 'pinned')
        assert.deepEqual(await store.get(block.cid), block.bytes)
      }
      assert.equal(store.roleOf(replica.cid), 'replica')
      assert.equal(store.roleOf(cache.cid), 'cache')
      assert.equal(await store.gc(), 1000)
      await store.unpin(root)
      assert.equal(await store.gc(), sizeOf(blocks))
      assert.equal(store.stats().usedBytes, 1000)
      await store.close()
      await bytes.close()
      await datastore.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
