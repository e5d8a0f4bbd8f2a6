import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { MemoryBlockstore } from 'blockstore-core/memory'
import toBuffer from 'it-to-buffer'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { importContent } from '../../src/content/import.js'
import { fileParts, type FilePart } from '../../src/content/layout.js'
import type { BlockSource } from '../../src/fetch/block-source.js'
import type { CID } from 'multiformats/cid'

const CHUNK = 1024

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

async function collect (parts: AsyncIterable<FilePart>): Promise<FilePart[]> {
  const all: FilePart[] = []
  for await (const part of parts) all.push(part)
  return all
}

describe('file layout (the DAG in file order)', () => {
  it('names every leaf with the offset of its bytes, fetching only the root and inner nodes', async () => {
    // 1,501 leaves: a root over two inner nodes (1,024 links at most per node)
    const bytes = randomBytes(CHUNK * 1500 + 7)
    const store = new MemoryBlockstore()
    const { cid } = await importContent(bytes, store, { chunkSize: CHUNK })
    const source = sourceOf(store)
    const parts = await collect(fileParts(cid, source))
    const nodes = parts.filter(p => p.kind === 'node')
    const leaves = parts.filter(p => p.kind === 'leaf')
    assert.equal(nodes.length, 3)
    assert.equal(nodes[0].cid.toString(), cid.toString(), 'the root first')
    assert.deepEqual(source.fetched.map(String), nodes.map(n => n.cid.toString()), 'no leaf fetched')
    assert.equal(leaves.length, 1501)
    let offset = 0
    for (const leaf of leaves) {
      assert.equal(leaf.offset, offset)
      const expected = bytes.subarray(leaf.offset, leaf.offset + leaf.size)
      assert.deepEqual(leaf.cid.multihash.digest, (await sha256.digest(expected)).digest, `leaf at ${leaf.offset}`)
      offset += leaf.size
    }
    assert.equal(offset, bytes.byteLength)
  })

  it('gives a root that is a raw block as one leaf', async () => {
    const bytes = randomBytes(100)
    const store = new MemoryBlockstore()
    const cid = (await importContent(bytes, store, { chunkSize: CHUNK })).cid
    assert.equal(cid.code, raw.code)
    const parts = await collect(fileParts(cid, sourceOf(store)))
    assert.deepEqual(parts.map(p => ({ kind: p.kind, offset: p.offset })), [{ kind: 'leaf', offset: 0 }])
  })
})
