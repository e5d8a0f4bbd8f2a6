import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import toBuffer from 'it-to-buffer'
import { CID } from 'multiformats/cid'
import { importContent } from '../../src/content/import.js'
import { readContent, statContent } from '../../src/content/read.js'
import type { BlockSource } from '../../src/fetch/block-source.js'

const CHUNK = 1024

/** A block source over a MemoryBlockstore that counts fetches. */
function sourceOf (store: MemoryBlockstore): BlockSource & { fetched: CID[] } {
  const fetched: CID[] = []
  return {
    fetched,
    get: async (cid) => {
      fetched.push(cid)
      return toBuffer(store.get(cid))
    }
  }
}

async function heliaCid (bytes: Uint8Array, chunkSize: number): Promise<CID> {
  return unixfs({ blockstore: new MemoryBlockstore() }).addBytes(bytes, { chunker: fixedSize({ chunkSize }), rawLeaves: true, cidVersion: 1 })
}

describe('content', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * 1500 + 7]) {
    it(`gives the root CID Helia gives for ${size} bytes`, async () => {
      const bytes = randomBytes(size)
      const { cid, size: imported } = await importContent(bytes, new MemoryBlockstore(), { chunkSize: CHUNK })
      assert.equal(imported, size)
      assert.equal(cid.toString(), (await heliaCid(bytes, CHUNK)).toString())
    })
  }

  it('gives Helia\'s root CID with the default 1 MiB chunks', async () => {
    const bytes = randomBytes(3 * 1_048_576 + 5)
    const { cid } = await importContent(bytes, new MemoryBlockstore())
    assert.equal(cid.toString(), (await heliaCid(bytes, 1_048_576)).toString())
  })

  it('reads every byte back in order, across two DAG levels', async () => {
    const bytes = randomBytes(CHUNK * 1500 + 7)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    assert.deepEqual(await toBuffer(readContent(cid, sourceOf(store))), new Uint8Array(bytes))
  })

  it('imports from a web ReadableStream, a Blob and an async iterable alike', async () => {
    const bytes = randomBytes(CHUNK * 3 + 1)
    const expected = (await importContent(bytes, new MemoryBlockstore(), { chunkSize: CHUNK })).cid.toString()
    const sources = [
      new Blob([bytes]),
      new Blob([bytes]).stream(),
      (async function * () { yield bytes.subarray(0, 10); yield bytes.subarray(10) })()
    ]
    for (const source of sources) {
      assert.equal((await importContent(source, new MemoryBlockstore(), { chunkSize: CHUNK })).cid.toString(), expected)
    }
  })

  it('refuses string chunks instead of guessing their encoding', async () => {
    await assert.rejects(importContent((async function * () { yield 'text' as unknown as Uint8Array })(), new MemoryBlockstore()), TypeError)
  })

  it('reads a range, fetching only the blocks that hold it', async () => {
    const bytes = randomBytes(CHUNK * 1500 + 7)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    const source = sourceOf(store)
    const offset = CHUNK * 1200 + 100
    const got = await toBuffer(readContent(cid, source, { offset, length: CHUNK + 1 }))
    assert.deepEqual(got, new Uint8Array(bytes.subarray(offset, offset + CHUNK + 1)))
    // the root, one inner node, and the two leaves the range spans
    assert.equal(source.fetched.length, 4)
  })

  it('reads the tail when length runs past the end, and nothing at the end', async () => {
    const bytes = randomBytes(CHUNK * 2 + 3)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    assert.deepEqual(await toBuffer(readContent(cid, sourceOf(store), { offset: CHUNK * 2, length: 100 })), new Uint8Array(bytes.subarray(CHUNK * 2)))
    assert.equal((await toBuffer(readContent(cid, sourceOf(store), { offset: bytes.length }))).byteLength, 0)
  })

  it('rejects an offset past the end and a negative length, naming them', async () => {
    const store = new MemoryBlockstore()
    const { cid } = await importContent(randomBytes(10), store, { chunkSize: CHUNK })
    await assert.rejects(toBuffer(readContent(cid, sourceOf(store), { offset: 11 })), /offset 11 is past the end/)
    await assert.rejects(toBuffer(readContent(cid, sourceOf(store), { length: -1 })), /length must be .* got -1/)
  })

  it('fetches no further ahead of a slow reader than its window', async () => {
    const bytes = randomBytes(CHUNK * 100)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    const source = sourceOf(store)
    const reader = readContent(cid, source, { window: 4, batch: 2 })
    await reader.next()
    // let every fetch that may start, start
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    // the root, the window, and the batch started as the first one was handed over
    assert.ok(source.fetched.length <= 1 + 4 + 2, `fetched ${source.fetched.length} blocks for one chunk read`)
    await reader.return(undefined)
  })

  it('asks for consecutive blocks together, a batch at a time, and yields them in order', async () => {
    const bytes = randomBytes(CHUNK * 10)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    const batches: number[] = []
    const source: BlockSource = {
      get: async (block) => toBuffer(store.get(block)),
      getMany: async (blocks) => {
        batches.push(blocks.length)
        return Promise.all(blocks.map(async block => toBuffer(store.get(block))))
      }
    }
    assert.deepEqual(await toBuffer(readContent(cid, source, { window: 8, batch: 4 })), new Uint8Array(bytes))
    assert.deepEqual(batches, [4, 4, 2])
  })

  it('asks for one batch first and widens to its window as batches arrive, so the first bytes are not held back', async () => {
    const bytes = randomBytes(CHUNK * 40)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    let inFlight = 0
    let most = 0
    let startedBeforeFirstDone: number | undefined
    let calls = 0
    const source: BlockSource = {
      get: async (block) => toBuffer(store.get(block)),
      getMany: async (blocks) => {
        calls++
        most = Math.max(most, ++inFlight)
        // let every batch that may start, start
        await new Promise(resolve => setImmediate(resolve))
        await new Promise(resolve => setImmediate(resolve))
        startedBeforeFirstDone ??= calls
        inFlight--
        return Promise.all(blocks.map(async block => toBuffer(store.get(block))))
      }
    }
    assert.deepEqual(await toBuffer(readContent(cid, source, { window: 8, batch: 2 })), new Uint8Array(bytes))
    assert.equal(startedBeforeFirstDone, 1, 'the first batch went alone')
    assert.equal(most, 4, 'the window of 8 blocks holds 4 batches of 2')
  })

  it('keeps at most its window of fetches in flight when blocks arrive out of order', async () => {
    const bytes = randomBytes(CHUNK * 300)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    let inFlight = 0
    let most = 0
    let calls = 0
    const source: BlockSource = {
      get: async (block) => {
        inFlight++
        most = Math.max(most, inFlight)
        // fetches take 0–9 turns of the event loop, so they finish out of order:
        // the same order on every run however busy the machine (timers of a few ms are not)
        for (let turns = (calls++ * 7) % 10; turns > 0; turns--) await new Promise(resolve => setImmediate(resolve))
        inFlight--
        return toBuffer(store.get(block))
      }
    }
    assert.deepEqual(await toBuffer(readContent(cid, source, { window: 16 })), new Uint8Array(bytes))
    assert.ok(most <= 16 + 1, `${most} fetches were in flight with a window of 16`)
  })

  it('stats a file from its root block', async () => {
    const bytes = randomBytes(CHUNK * 3 + 1)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    const stat = await statContent(cid, sourceOf(store))
    assert.deepEqual({ type: stat.type, size: stat.size, links: stat.links }, { type: 'file', size: CHUNK * 3 + 1, links: 4 })
  })

  it('refuses a CID that is not UnixFS, with NotAFileError naming it', async () => {
    const cid = CID.parse('bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua') // dag-cbor
    await assert.rejects(statContent(cid, { get: async () => new Uint8Array() }), (err: Error & { cid?: string }) => err.name === 'NotAFileError' && err.cid === cid.toString())
  })
})
