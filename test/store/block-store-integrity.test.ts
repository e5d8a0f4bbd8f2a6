import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { NextToLast } from 'blockstore-fs/sharding'
import { MemoryDatastore } from 'datastore-core/memory'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openBlockBytes, type BlockBytes } from '../../src/store/block-bytes.js'
import { BlockStore } from '../../src/store/block-store.js'
import { openDatastore } from '../../src/store/datastore.js'
import type { LevelDatastore } from 'datastore-level'

interface Block { cid: CID, bytes: Uint8Array }

async function block (seed: number, size = 4096): Promise<Block> {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (seed * 31 + i * 7) & 0xff
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

const NO_DAMAGE = { corruptBlocksDropped: 0, missingBlocksDropped: 0, orphanFilesRemoved: 0, temporaryFilesRemoved: 0 }

/** A store over blockstore-fs + LevelDB in a temporary data directory, as a server has it, reopened at will. */
describe('BlockStore on disk: crash safety and at-rest integrity', () => {
  let dir: string
  let datastore: LevelDatastore | undefined
  let bytes: BlockBytes | undefined
  let store: BlockStore | undefined

  const open = async (checkFiles?: 'always'): Promise<BlockStore> => {
    datastore = await openDatastore(dir)
    bytes = await openBlockBytes(dir)
    store = await BlockStore.open({ bytes, datastore, maxBytes: 1_000_000, ...(checkFiles != null ? { checkFiles } : {}) })
    return store
  }
  /** What a SIGKILL leaves: the store never closed (the files are let go of, as the OS does for a dead process). */
  const crash = async (): Promise<void> => {
    await bytes?.close()
    await datastore?.close()
    store = bytes = datastore = undefined
  }
  const close = async (): Promise<void> => {
    await store?.close()
    await bytes?.close()
    await datastore?.close()
    store = bytes = datastore = undefined
  }
  const restartAfterCrash = async (): Promise<BlockStore> => { await crash(); return open() }
  /** Where blockstore-fs keeps a block's file. */
  const fileOf = (cid: CID): string => {
    const { dir: shard, file } = new NextToLast().encode(cid)
    return join(dir, 'blocks', shard, file)
  }
  /** Every name under blocks/, shard directories left out. */
  const filesOnDisk = async (): Promise<string[]> => {
    const names: string[] = []
    for (const shard of await readdir(join(dir, 'blocks'))) names.push(...await readdir(join(dir, 'blocks', shard)))
    return names.sort()
  }
  const flipByte = async (cid: CID, at = 100): Promise<void> => {
    const file = await readFile(fileOf(cid))
    file[at] ^= 0x01
    await writeFile(fileOf(cid), file)
  }

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-integrity-')) })
  afterEach(async () => {
    await close()
    await rm(dir, { recursive: true, force: true })
  })

  it('leaves nothing but whole block files behind its puts', async () => {
    const s = await open()
    const blocks = await Promise.all([1, 2, 3].map(async seed => block(seed)))
    await Promise.all(blocks.map(async b => { await s.put(b.cid, b.bytes, 'replica') }))
    const names = await filesOnDisk()
    assert.equal(names.length, 3)
    assert.ok(names.every(name => name.endsWith('.data') && !name.startsWith('.')), names.join(', '))
  })

  it('deletes on start the temporary files of writes a crash cut short (torn writes)', async () => {
    const s = await open()
    const kept = await block(1)
    await s.put(kept.cid, kept.bytes, 'replica')
    const torn = await block(2)
    const { dir: shard, file } = new NextToLast().encode(torn.cid)
    await mkdir(join(dir, 'blocks', shard), { recursive: true })
    // half of a block, under both temporary names: this store's and blockstore-fs's own (steno)
    await writeFile(join(dir, 'blocks', shard, `.${file}.4242-0.tmp`), torn.bytes.subarray(0, 2048))
    await writeFile(join(dir, 'blocks', shard, `.${file}.tmp`), torn.bytes.subarray(0, 1024))

    const again = await restartAfterCrash()
    assert.deepEqual(await filesOnDisk(), [new NextToLast().encode(kept.cid).file])
    assert.deepEqual(again.integrity(), { ...NO_DAMAGE, temporaryFilesRemoved: 2 })
    assert.deepEqual(again.stats(), { usedBytes: 4096, maxBytes: 1_000_000, blocks: 1, pins: 0 })
    assert.equal(await again.has(torn.cid), false)
  })

  it('drops on start a record whose block file is gone, and gives its space back', async () => {
    const s = await open()
    const [a, b] = await Promise.all([block(1), block(2)])
    await s.put(a.cid, a.bytes, 'replica')
    await s.put(b.cid, b.bytes, 'replica')
    await crash()
    await unlink(fileOf(b.cid))

    const again = await open()
    assert.equal(await again.has(b.cid), false)
    assert.deepEqual([...again.kept()].map(String), [a.cid.toString()])
    assert.deepEqual(again.stats(), { usedBytes: 4096, maxBytes: 1_000_000, blocks: 1, pins: 0 })
    assert.deepEqual(again.integrity(), { ...NO_DAMAGE, missingBlocksDropped: 1 })
  })

  it('drops on start a block whose file is not the recorded size (truncated), deleting the file', async () => {
    const s = await open()
    const a = await block(1)
    await s.put(a.cid, a.bytes, 'replica')
    await crash()
    await truncate(fileOf(a.cid), 1000)

    const again = await open()
    assert.equal(await again.get(a.cid), undefined)
    assert.equal(again.stats().usedBytes, 0)
    assert.deepEqual(await filesOnDisk(), [])
    assert.deepEqual(again.integrity(), { ...NO_DAMAGE, corruptBlocksDropped: 1 })
  })

  it('deletes on start a block file that no record accounts for (a put cut short after its rename)', async () => {
    const s = await open()
    const a = await block(1)
    await s.put(a.cid, a.bytes, 'replica')
    await crash()
    // the bytes of a put whose record was never written
    const orphan = await block(2)
    const fs = await openBlockBytes(dir)
    await fs.put(orphan.cid, orphan.bytes)

    const again = await open()
    assert.equal(await again.has(orphan.cid), false)
    assert.deepEqual(await filesOnDisk(), [new NextToLast().encode(a.cid).file])
    assert.deepEqual(again.stats(), { usedBytes: 4096, maxBytes: 1_000_000, blocks: 1, pins: 0 })
    assert.deepEqual(again.integrity(), { ...NO_DAMAGE, orphanFilesRemoved: 1 })
  })

  it('after a clean close skips the file check at start, unless asked for it always (weft fsck)', async () => {
    const s = await open()
    const [a, b] = await Promise.all([block(1), block(2)])
    await s.put(a.cid, a.bytes, 'replica')
    await s.put(b.cid, b.bytes, 'replica')
    await close()
    await unlink(fileOf(b.cid))

    // not listed: found only when read
    const clean = await open()
    assert.equal(clean.stats().blocks, 2)
    assert.deepEqual(clean.integrity(), NO_DAMAGE)
    await close()
    const checked = await open('always')
    assert.equal(checked.stats().blocks, 1)
    assert.deepEqual(checked.integrity(), { ...NO_DAMAGE, missingBlocksDropped: 1 })
  })

  it('never returns a block whose file has a flipped byte: drops it, deletes the file and counts it', async () => {
    const s = await open()
    const a = await block(1)
    await s.put(a.cid, a.bytes, 'replica')
    await flipByte(a.cid)

    assert.equal(await s.get(a.cid), undefined)
    assert.equal(await s.has(a.cid), false)
    assert.equal(s.roleOf(a.cid), undefined)
    assert.deepEqual(s.stats(), { usedBytes: 0, maxBytes: 1_000_000, blocks: 0, pins: 0 })
    assert.deepEqual(s.integrity(), { ...NO_DAMAGE, corruptBlocksDropped: 1 })
    assert.deepEqual(await filesOnDisk(), [])
    // and it can be stored again, whole
    await s.put(a.cid, a.bytes, 'replica')
    assert.deepEqual(await s.get(a.cid), a.bytes)
  })

  it('counts a block whose file vanished while it ran as missing, once however many read it', async () => {
    const s = await open()
    const a = await block(1)
    await s.put(a.cid, a.bytes, 'cache')
    await unlink(fileOf(a.cid))
    assert.deepEqual(await Promise.all([s.get(a.cid), s.get(a.cid), s.get(a.cid)]), [undefined, undefined, undefined])
    assert.deepEqual(s.integrity(), { ...NO_DAMAGE, missingBlocksDropped: 1 })
    assert.equal(s.stats().blocks, 0)
  })

  it('verify() reads and hashes every block, dropping and naming the damaged ones', async () => {
    const s = await open()
    const blocks = await Promise.all([1, 2, 3, 4].map(async seed => block(seed)))
    for (const b of blocks) await s.put(b.cid, b.bytes, 'replica')
    await flipByte(blocks[1].cid, 4095)
    await unlink(fileOf(blocks[2].cid))

    const report = await s.verify()
    assert.deepEqual(report, { blocks: 4, bytes: 2 * 4096, corrupt: [blocks[1].cid.toString()], missing: [blocks[2].cid.toString()], unreadable: [] })
    assert.deepEqual(s.stats(), { usedBytes: 2 * 4096, maxBytes: 1_000_000, blocks: 2, pins: 0 })
    assert.deepEqual(s.integrity(), { ...NO_DAMAGE, corruptBlocksDropped: 1, missingBlocksDropped: 1 })
    assert.deepEqual(await s.verify(), { blocks: 2, bytes: 2 * 4096, corrupt: [], missing: [], unreadable: [] })
  })

  it('verify() names a block whose file is there but cannot be read, and keeps it: nothing is concluded', async () => {
    const s = await open()
    const a = await block(1)
    await s.put(a.cid, a.bytes, 'replica')
    // reading a directory fails (EISDIR) as a failing disk's EIO would: the name is there, the bytes are not to be had
    await unlink(fileOf(a.cid))
    await mkdir(fileOf(a.cid))

    assert.deepEqual(await s.verify(), { blocks: 1, bytes: 0, corrupt: [], missing: [], unreadable: [a.cid.toString()] })
    assert.equal(s.stats().blocks, 1)
    assert.deepEqual(s.integrity(), NO_DAMAGE)
  })
})

describe('BlockStore over bytes that cannot list their files (memory, IndexedDB)', () => {
  it('never returns bytes that do not hash to the CID, even of the recorded size', async () => {
    const bytes = new MemoryBlockstore()
    const store = await BlockStore.open({ bytes, datastore: new MemoryDatastore(), maxBytes: 1_000_000 })
    const a = await block(1)
    await store.put(a.cid, a.bytes, 'replica')
    const damaged = a.bytes.slice()
    damaged[0] ^= 0x80
    await bytes.put(a.cid, damaged)
    assert.equal(await store.get(a.cid), undefined)
    assert.equal(store.integrity().corruptBlocksDropped, 1)
    assert.equal(store.stats().blocks, 0)
  })
})
