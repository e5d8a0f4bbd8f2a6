import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import all from 'it-all'
import toBuffer from 'it-to-buffer'
import { DirectorySource } from '../../src/content/import-directory.js'
import { importContent } from '../../src/content/import.js'
import { readContent } from '../../src/content/read.js'

const CHUNK = 1024

function tree (): Array<{ path: string, bytes: Uint8Array }> {
  return [
    { path: 'clip.webm', bytes: Uint8Array.from(randomBytes(5 * CHUNK + 17)) },
    { path: 'notes.txt', bytes: new TextEncoder().encode('three files, one link\n') },
    { path: 'photos/sea.jpg', bytes: randomBytes(CHUNK - 1) }
  ]
}

describe('a directory put', () => {
  it('has the directory CID Helia\'s addAll gives for the same tree and settings', async () => {
    const files = tree()
    const ours = await importContent(new DirectorySource(files.map(f => ({ path: f.path, content: f.bytes }))), new MemoryBlockstore(), { chunkSize: CHUNK })
    const helia = await all(unixfs({ blockstore: new MemoryBlockstore() }).addAll(files.map(f => ({ path: f.path, content: f.bytes })), {
      cidVersion: 1, rawLeaves: true, wrapWithDirectory: true, chunker: fixedSize({ chunkSize: CHUNK }), layout: balanced({ maxChildrenPerNode: 1024 })
    }))
    assert.equal(ours.cid.toString(), helia[helia.length - 1].cid.toString())
    assert.equal(ours.size, files.reduce((n, f) => n + f.bytes.byteLength, 0))
  })

  it('names each file\'s CID, from which the file reads back whole', async () => {
    const files = tree()
    const store = new MemoryBlockstore()
    const dir = await importContent(new DirectorySource(files.map(f => ({ path: f.path, content: f.bytes }))), store, { chunkSize: CHUNK })
    assert.ok('files' in dir)
    const listed = (dir as { files: Array<{ path: string, cid: { toString: () => string }, size: number }> }).files
    assert.deepEqual(listed.map(f => [f.path, f.size]).sort(), files.map(f => [f.path, f.bytes.byteLength]).sort())
    const source = { get: async (cid: any) => toBuffer(store.get(cid)) }
    for (const file of files) {
      const cid = listed.find(f => f.path === file.path)?.cid
      assert.ok(cid != null)
      assert.deepEqual(await toBuffer(readContent(cid as any, source)), Uint8Array.from(file.bytes))
    }
  })

  it('refuses paths that leave the directory, repeat, or are empty', () => {
    const bytes = new Uint8Array(1)
    assert.throws(() => new DirectorySource([]), /at least one file/)
    assert.throws(() => new DirectorySource([{ path: '../etc/passwd', content: bytes }]), /"\.\.\/etc\/passwd" is not a path inside a directory/)
    assert.throws(() => new DirectorySource([{ path: 'a//b', content: bytes }]), /not a path inside/)
    assert.throws(() => new DirectorySource([{ path: 'a', content: bytes }, { path: '/a', content: bytes }]), /"\/a" is in the directory twice/)
  })
})
