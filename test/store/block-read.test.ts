import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { readBlock } from '../../src/store/block-read.js'

interface Block { cid: CID, bytes: Uint8Array }

/** A block of its own bytes (each seed another CID, so specs do not share remembered checksums). */
async function block (seed: number, size = 4096): Promise<Block> {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (seed * 31 + i * 7 + Math.floor(i / 256) * seed) & 0xff
  bytes[0] = seed & 0xff
  bytes[1] = (seed >> 8) & 0xff
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

/** The same bytes with one bit flipped: what a failing disk leaves, at the same size. */
function flipped (bytes: Uint8Array, at = 1000): Uint8Array {
  const copy = bytes.slice()
  copy[at] ^= 0x10
  return copy
}

/** Counts SHA-256 digests taken while `fn` runs. */
async function sha256Digests (fn: () => Promise<void>): Promise<number> {
  const original = sha256.digest
  let count = 0
  sha256.digest = ((input: Uint8Array) => { count++; return original.call(sha256, input) }) as typeof sha256.digest
  try {
    await fn()
  } finally {
    sha256.digest = original
  }
  return count
}

describe('readBlock: the store\'s check of what it reads from disk', () => {
  it('finds a block damaged on disk after a read that checked it', async () => {
    const { cid, bytes } = await block(1)
    const store = new MemoryBlockstore()
    await store.put(cid, bytes)
    assert.equal((await readBlock(store, cid, bytes.byteLength)).bad, undefined)
    await store.put(cid, flipped(bytes))
    assert.equal((await readBlock(store, cid, bytes.byteLength)).bad, 'corrupt')
    // and again: the damaged read did not replace what the right bytes are
    assert.equal((await readBlock(store, cid, bytes.byteLength)).bad, 'corrupt')
  })

  it('finds a damaged copy corrupt in one store after another store read its good copy', async () => {
    const { cid, bytes } = await block(2)
    const good = new MemoryBlockstore()
    const bad = new MemoryBlockstore()
    await good.put(cid, bytes)
    await bad.put(cid, flipped(bytes, 17))
    assert.equal((await readBlock(good, cid, bytes.byteLength)).bad, undefined)
    assert.equal((await readBlock(bad, cid, bytes.byteLength)).bad, 'corrupt')
  })

  it('finds damaged bytes corrupt on the first read, before any checksum is known', async () => {
    const { cid, bytes } = await block(3)
    const store = new MemoryBlockstore()
    await store.put(cid, flipped(bytes))
    assert.equal((await readBlock(store, cid, bytes.byteLength)).bad, 'corrupt')
  })

  it('hashes a block on its first read only: later reads compare its CRC-32', async () => {
    const { cid, bytes } = await block(4)
    const store = new MemoryBlockstore()
    await store.put(cid, bytes)
    const first = await sha256Digests(async () => { assert.deepEqual((await readBlock(store, cid, bytes.byteLength)).bytes, bytes) })
    const later = await sha256Digests(async () => {
      for (let i = 0; i < 3; i++) assert.deepEqual((await readBlock(store, cid, bytes.byteLength)).bytes, bytes)
    })
    assert.deepEqual({ first, later }, { first: 1, later: 0 })
  })
})
