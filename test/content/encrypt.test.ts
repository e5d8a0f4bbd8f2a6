import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import toBuffer from 'it-to-buffer'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { importContent } from '../../src/content/import.js'
import { readContent, statContent } from '../../src/content/read.js'
import {
  convergentKey, decryptedContent, DecryptedFile, encryptContent, MAX_METADATA_BYTES, MetadataTooLargeError, NotEncryptedError, TAG_BYTES
} from '../../src/content/encryption/index.js'
import { release } from '../../src/content/encryption/release.js'
import type { BlockSource } from '../../src/fetch/block-source.js'
import type { FileContent } from '../../src/content/source.js'

const RECORD = 4096

interface Stored { cid: CID, key: Uint8Array, cipher: Uint8Array, store: MemoryBlockstore }

async function collect (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  return toBuffer(chunks)
}

/** Encrypts `bytes` and imports the ciphertext the way a put does (chunk size = record size). */
async function stored (bytes: FileContent, options: { name?: string, type?: string, key?: Uint8Array, salt?: Uint8Array } = {}, recordSize = RECORD): Promise<Stored> {
  const { key, ciphertext } = await encryptContent(bytes, { recordSize, ...options })
  const cipher = await collect(ciphertext)
  const store = new MemoryBlockstore()
  const { cid } = await importContent(cipher, store, { chunkSize: recordSize })
  return { cid, key, cipher, store }
}

/** A block source over `store` that records which leaves were fetched, and may change a block's bytes. */
function blocksOf (store: MemoryBlockstore, tamper?: (cid: CID, bytes: Uint8Array) => Uint8Array): BlockSource & { leaves: Map<string, number> } {
  // leaf CID -> its size, in the order first fetched
  const leaves = new Map<string, number>()
  return {
    leaves,
    get: async (cid) => {
      const bytes = await toBuffer(store.get(cid))
      if (cid.code === raw.code) leaves.set(cid.toString(), bytes.byteLength)
      return tamper != null ? tamper(cid, bytes) : bytes
    }
  }
}

async function open (cid: CID, key: Uint8Array, blocks: BlockSource): Promise<DecryptedFile> {
  const { size } = await statContent(cid, blocks)
  return DecryptedFile.open({ cid: cid.toString(), size, read: (offset, length, signal) => readContent(cid, blocks, { offset, length, ...(signal != null ? { signal } : {}) }) }, key)
}

async function rejectsNamed (promise: Promise<unknown>, name: string): Promise<Error> {
  let caught: Error | undefined
  await promise.catch(err => { caught = err })
  assert.ok(caught != null, `expected ${name}, nothing was thrown`)
  assert.equal(caught.name, name, `expected ${name}, got ${caught.name}: ${caught.message}`)
  return caught
}

describe('encrypted content: format', () => {
  for (const size of [0, 1, RECORD - 200, RECORD, RECORD * 3, RECORD * 5 + 17]) {
    it(`gives back ${size} bytes byte-identical, with every ciphertext leaf but the last exactly the record size`, async () => {
      const bytes = randomBytes(size)
      const { cid, key, cipher, store } = await stored(bytes)
      const blocks = blocksOf(store)
      const file = await open(cid, key, blocks)
      assert.equal(file.stat.size, size)
      assert.deepEqual(await collect(file.read()), new Uint8Array(bytes))
      const leaves = [...blocks.leaves.values()]
      assert.equal(leaves.length, Math.ceil(cipher.byteLength / RECORD))
      assert.equal(file.stat.records, leaves.length)
      assert.ok(leaves.slice(0, -1).every(n => n === RECORD), `leaf sizes ${leaves.join(', ')}`)
    })
  }

  it('keeps the name and type in the header, encrypted', async () => {
    const { cid, key, cipher, store } = await stored(randomBytes(100), { name: 'secret-plans.pdf', type: 'application/pdf' })
    assert.equal(Buffer.from(cipher).indexOf('secret-plans'), -1)
    assert.equal(Buffer.from(cipher).indexOf('application/pdf'), -1)
    const file = await open(cid, key, blocksOf(store))
    assert.equal(file.stat.name, 'secret-plans.pdf')
    assert.equal(file.stat.type, 'application/pdf')
  })

  it('uses a fresh key and salt for each put of the same bytes', async () => {
    const bytes = randomBytes(RECORD * 2)
    const a = await stored(bytes)
    const b = await stored(bytes)
    assert.notDeepEqual(a.key, b.key)
    assert.notEqual(a.cid.toString(), b.cid.toString())
  })

  it('gives the same ciphertext for the same bytes, name and convergence secret (convergent), and another for another secret', async () => {
    const bytes = randomBytes(RECORD * 2 + 5)
    const secret = randomBytes(32)
    const derive = async (s: Uint8Array): Promise<Stored> => stored(bytes, { name: 'a.bin', ...await convergentKey(bytes, s, RECORD) })
    const [a, b, c] = await Promise.all([derive(secret), derive(secret), derive(randomBytes(32))])
    assert.equal(a.cid.toString(), b.cid.toString())
    assert.notEqual(a.cid.toString(), c.cid.toString())
  })

  it('gives the ciphertext version 1 always gave for a fixed key, salt and content, so capabilities made before still open', async () => {
    // computed by the format's first implementation: a change to the format, the key derivation or the sealing changes this CID
    const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
    const salt = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i)
    const bytes = Uint8Array.from({ length: RECORD * 2 + 100 }, (_, i) => (i * 7) & 0xff)
    const { cid, cipher, store } = await stored(bytes, { key, salt, name: 'kat.bin', type: 'application/octet-stream' })
    assert.equal(cid.toString(), 'bafybeidpo5xlemv72va5xd3wjc3nfn422zhyheas4xzphiur7hvku6l64u')
    assert.equal(cipher.byteLength, 8476)
    const file = await open(cid, key, blocksOf(store))
    assert.deepEqual(await collect(file.read()), bytes)
    assert.equal(file.stat.name, 'kat.bin')
  })

  it('frees the memory of its own record buffers but never the caller\'s bytes, whole or streamed', async () => {
    const bytes = randomBytes(RECORD * 3 + 7)
    const copy = Buffer.from(bytes)
    // a stream of 1000-byte chunks: records are assembled in buffers of its own
    const small = Array.from({ length: Math.ceil(bytes.byteLength / 1000) }, (_, i) => Uint8Array.from(bytes.subarray(i * 1000, (i + 1) * 1000)))
    // a stream whose every chunk is exactly one record's plaintext, each its own whole buffer: records are sealed from them
    const { ciphertext } = await encryptContent(new Uint8Array(0), { recordSize: RECORD })
    const header = (await ciphertext.next()).value as Uint8Array
    const capacities = [RECORD - header.byteLength - TAG_BYTES, RECORD - TAG_BYTES, RECORD - TAG_BYTES, RECORD - TAG_BYTES]
    const exact: Uint8Array[] = []
    for (let at = 0, i = 0; at < bytes.byteLength; at += capacities[i++]) exact.push(Uint8Array.from(bytes.subarray(at, at + capacities[i])))
    const results = [await stored(bytes)]
    for (const chunks of [small, exact]) results.push(await stored((async function * () { yield * chunks })()))
    assert.deepEqual(bytes, copy)
    assert.deepEqual(Buffer.concat(small), copy)
    assert.deepEqual(Buffer.concat(exact), copy)
    for (const { cid, key, store } of results) {
      assert.deepEqual(Buffer.from(await collect((await open(cid, key, blocksOf(store))).read())), copy)
    }
  })

  it('release empties a buffer held nowhere else and leaves a view of part of one alone', () => {
    const own = new Uint8Array(1024).fill(1)
    release(own)
    assert.equal(own.byteLength, 0)
    const slab = new Uint8Array(2048).fill(2)
    const part = slab.subarray(0, 1024)
    release(part)
    assert.equal(part.byteLength, 1024)
    assert.equal(slab[2047], 2)
  })

  it('refuses a name too long for the header with MetadataTooLargeError', async () => {
    await rejectsNamed(encryptContent(randomBytes(10), { recordSize: RECORD, name: 'x'.repeat(MAX_METADATA_BYTES) }), 'MetadataTooLargeError')
    assert.equal(MetadataTooLargeError.name, 'MetadataTooLargeError')
  })

  it('encrypts a stream holding at most two records of it at a time, whatever its size', async () => {
    const record = 65_536
    const chunk = new Uint8Array(10_000).fill(7)
    let pulled = 0
    const source = async function * (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 400; i++) {
        pulled += chunk.byteLength
        yield chunk
      }
    }
    const { ciphertext } = await encryptContent(source(), { recordSize: record })
    let given = 0
    let ahead = 0
    for await (const piece of ciphertext) {
      given += piece.byteLength
      ahead = Math.max(ahead, pulled - given)
    }
    assert.equal(pulled, 4_000_000)
    assert.ok(ahead <= 2 * record + chunk.byteLength, `read ${ahead} bytes ahead of what it gave`)
  })
})

describe('encrypted content: chunking', () => {
  it('gives the same ciphertext for the same bytes however the source cuts them, even a source that reuses its chunk\'s memory', async () => {
    const bytes = randomBytes(RECORD * 6 + 333)
    const key = randomBytes(32)
    const salt = randomBytes(16)
    const sealed = async (source: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array> => collect((await encryptContent(source, { recordSize: RECORD, key, salt })).ciphertext)
    const whole = await sealed(bytes)
    for (const size of [1000, RECORD - 136 - 16, RECORD, RECORD * 2 + 7, RECORD * 3 - 1]) {
      const reused = new Uint8Array(size)
      const pieces = async function * (): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < bytes.byteLength; at += size) {
          const n = Math.min(size, bytes.byteLength - at)
          reused.set(bytes.subarray(at, at + n))
          yield reused.subarray(0, n)
          // the next chunk overwrites this one's memory
          reused.fill(0xee)
        }
      }
      assert.deepEqual(await sealed(pieces()), whole, `chunks of ${size} bytes`)
    }
  })
})

describe('encrypted content: ranges', () => {
  it('a range read fetches and decrypts only the leaves holding the range, and the header', async () => {
    const bytes = randomBytes(RECORD * 10)
    const { cid, key, store } = await stored(bytes)
    const blocks = blocksOf(store)
    const file = await open(cid, key, blocks)
    const headerLeaves = blocks.leaves.size
    blocks.leaves.clear()
    const offset = file.layout.plainStart(6) + 10
    const length = file.layout.plainCapacity(6) // ends inside record 7
    const got = await collect(file.read({ offset, length }))
    assert.deepEqual(got, new Uint8Array(bytes.subarray(offset, offset + length)))
    assert.equal(headerLeaves, 1)
    assert.equal(blocks.leaves.size, 2)
    assert.equal(file.decrypted, 2)
  })

  it('a whole read fetches each leaf once: the header comes with the first records, on one read', async () => {
    const bytes = randomBytes(RECORD * 6 + 5)
    const { cid, key, store } = await stored(bytes)
    const gets: string[] = []
    const blocks: BlockSource = { get: async (c) => { gets.push(c.toString()); return toBuffer(store.get(c)) } }
    const content = decryptedContent({
      cid,
      stat: async () => statContent(cid, blocks),
      read: (options?: { offset?: number, length?: number, signal?: AbortSignal }) => readContent(cid, blocks, options),
      blocksFetched: 0
    }, key)
    assert.deepEqual(await collect(content.read()), new Uint8Array(bytes))
    assert.equal(new Set(gets).size, gets.length - 1, `fetched ${gets.length} blocks, ${new Set(gets).size} different (the root twice: stat and read)`)
    const stat = await content.stat()
    assert.equal(stat.size, bytes.byteLength)
    assert.equal(stat.encrypted, true)
  })

  it('maps every plaintext range to exactly the ciphertext leaves of its records, the last short leaf included (record 0 kept once decrypted)', async () => {
    // 7 full records and a last one of 1,000 bytes (a short last leaf)
    const bytes = randomBytes(RECORD * 8 + 1000)
    const { cid, key, cipher, store } = await stored(bytes)
    const leafOf = new Map<string, number>()
    for (let i = 0; i * RECORD < cipher.byteLength; i++) {
      const leaf = cipher.subarray(i * RECORD, (i + 1) * RECORD)
      leafOf.set(CID.createV1(raw.code, await sha256.digest(leaf)).toString(), i)
    }
    const last = leafOf.size - 1
    assert.equal(cipher.byteLength - last * RECORD < RECORD, true, 'the last leaf is short')
    const blocks = blocksOf(store)
    const file = await open(cid, key, blocks)
    const size = bytes.byteLength
    const ranges = [[0, 1], [0, file.layout.plainCapacity(0)], [file.layout.plainCapacity(0) - 1, 2], [file.layout.plainStart(3), 1],
      [file.layout.plainStart(3) - 1, 1], [file.layout.plainStart(last) - 1, 2], [file.layout.plainStart(last), 1], [size - 1, 1], [size - 1000, 1000],
      [RECORD * 2 + 77, RECORD * 3], [0, size]]
    let firstKept = false
    for (const [offset, length] of ranges) {
      blocks.leaves.clear()
      const got = await collect(file.read({ offset, length }))
      assert.deepEqual(got, new Uint8Array(bytes.subarray(offset, offset + length)), `offset ${offset} length ${length}`)
      const fetched = [...blocks.leaves.keys()].map(c => leafOf.get(c) ?? -1).sort((a, b) => a - b)
      const want: number[] = []
      for (let i = file.layout.recordOf(offset); i <= file.layout.recordOf(offset + length - 1); i++) {
        // record 0, decrypted once, is read from memory: its leaf (with the header) is what players and sniffing ask for again and again
        if (i > 0 || !firstKept) want.push(i)
      }
      assert.deepEqual(fetched, want, `offset ${offset} length ${length}`)
      firstKept ||= want.includes(0)
    }
  })

  it('a range from the start fetches only the leaves of its records, not the file ahead of it', async () => {
    const bytes = randomBytes(RECORD * 10)
    const { cid, key, store } = await stored(bytes)
    const blocks = blocksOf(store)
    const content = decryptedContent({
      cid,
      stat: async () => statContent(cid, blocks),
      read: (options?: { offset?: number, length?: number, signal?: AbortSignal }) => readContent(cid, blocks, options),
      blocksFetched: 0
    }, key)
    assert.deepEqual(await collect(content.read({ offset: 0, length: 64 })), new Uint8Array(bytes.subarray(0, 64)))
    assert.equal(blocks.leaves.size, 1, `${blocks.leaves.size} leaves fetched for 64 bytes of record 0`)
  })

  it('reads every range byte-identical, across record boundaries', async () => {
    const bytes = randomBytes(RECORD * 4 + 99)
    const { cid, key, store } = await stored(bytes)
    const file = await open(cid, key, blocksOf(store))
    for (const [offset, length] of [[0, 1], [0, RECORD], [RECORD - 300, 600], [RECORD * 3, RECORD * 2], [bytes.length - 1, 5], [bytes.length, 3]]) {
      assert.deepEqual(await collect(file.read({ offset, length })), new Uint8Array(bytes.subarray(offset, offset + length)), `offset ${offset} length ${length}`)
    }
  })
})

describe('encrypted content: failures', () => {
  it('the wrong key fails with DecryptionError (wrong-key)', async () => {
    const { cid, store } = await stored(randomBytes(RECORD * 2))
    const err = await rejectsNamed(open(cid, randomBytes(32), blocksOf(store)), 'DecryptionError')
    assert.equal((err as any).reason, 'wrong-key')
  })

  it('a flipped ciphertext byte in a record fails with DecryptionError naming the record, before any of its bytes', async () => {
    const bytes = randomBytes(RECORD * 3)
    const { cid, key, store } = await stored(bytes)
    const file = await open(cid, key, blocksOf(store, (c, b) => {
      if (c.code !== raw.code || b.byteLength !== RECORD || b[0] === 0x77) return b
      const changed = b.slice()
      changed[100] ^= 1
      return changed
    }))
    const given: Uint8Array[] = []
    const err = await rejectsNamed((async () => { for await (const piece of file.read()) given.push(piece) })(), 'DecryptionError')
    assert.equal((err as any).reason, 'tampered-record')
    assert.equal((err as any).record, 1)
    // record 0 (in the header's leaf) was intact and given; nothing of record 1
    assert.equal(Buffer.concat(given).byteLength, file.layout.plainCapacity(0))
  })

  it('a flipped byte in the header fails with DecryptionError', async () => {
    const { cipher, key } = await stored(randomBytes(100), { name: 'n' })
    const changed = cipher.slice()
    changed[60] ^= 1
    const store = new MemoryBlockstore()
    const { cid } = await importContent(changed, store, { chunkSize: RECORD })
    const err = await rejectsNamed(open(cid, key, blocksOf(store)), 'DecryptionError')
    assert.equal((err as any).reason, 'tampered-header')
  })

  it('a file whose last leaf was dropped fails with TruncatedError', async () => {
    const { cipher, key } = await stored(randomBytes(RECORD * 3))
    const store = new MemoryBlockstore()
    const lastLeaf = Math.floor((cipher.byteLength - 1) / RECORD) * RECORD
    const { cid } = await importContent(cipher.subarray(0, lastLeaf), store, { chunkSize: RECORD })
    const file = await open(cid, key, blocksOf(store))
    await rejectsNamed(collect(file.read()), 'TruncatedError')
  })

  it('a single-leaf file cut inside its last record fails with DecryptionError, not bytes', async () => {
    const { cipher, key } = await stored(randomBytes(1000))
    const store = new MemoryBlockstore()
    const { cid } = await importContent(cipher.subarray(0, cipher.byteLength - 10), store, { chunkSize: RECORD })
    const file = await open(cid, key, blocksOf(store))
    await rejectsNamed(collect(file.read()), 'DecryptionError')
  })

  it('plain content opened with a key fails with NotEncryptedError', async () => {
    const store = new MemoryBlockstore()
    const { cid } = await importContent(randomBytes(5000), store, { chunkSize: RECORD })
    await rejectsNamed(open(cid, randomBytes(32), blocksOf(store)), 'NotEncryptedError')
    assert.equal(NotEncryptedError.name, 'NotEncryptedError')
  })
})
