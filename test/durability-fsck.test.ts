import assert from 'node:assert/strict'
import { access, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { NextToLast } from 'blockstore-fs/sharding'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { openBlockBytes } from '../src/store/block-bytes.js'
import { BlockStore } from '../src/store/block-store.js'
import { openDatastore } from '../src/store/datastore.js'
import { removeDir, runWeft, tempDir } from './support/weft-process.js'
import type { FsckReport } from '../src/cli/commands/fsck.js'

const fileOf = (dataDir: string, cid: CID): string => {
  const { dir, file } = new NextToLast().encode(cid)
  return join(dataDir, 'blocks', dir, file)
}

/** A data directory holding `n` blocks of 8 KiB, as a stopped server leaves it. */
async function dataDirWith (n: number): Promise<{ dataDir: string, cids: CID[] }> {
  const dataDir = await tempDir('weft-fsck-')
  const datastore = await openDatastore(dataDir)
  const bytes = await openBlockBytes(dataDir)
  const store = await BlockStore.open({ bytes, datastore, maxBytes: 2 ** 30 })
  const cids: CID[] = []
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(8192).fill(i + 1)
    const cid = CID.createV1(raw.code, await sha256.digest(data))
    await store.put(cid, data, 'replica')
    cids.push(cid)
  }
  await store.close()
  await bytes.close()
  await datastore.close()
  return { dataDir, cids }
}

describe('weft fsck', () => {
  let dataDir: string
  let cids: CID[]

  before(async () => {
    ({ dataDir, cids } = await dataDirWith(6))
    const flipped = await readFile(fileOf(dataDir, cids[1]))
    flipped[4000] ^= 0x10
    await writeFile(fileOf(dataDir, cids[1]), flipped)
    await unlink(fileOf(dataDir, cids[2]))
  })

  after(async () => { await removeDir(dataDir) })

  it('rehashes every block, drops the damaged ones, names them in --json and exits 1', async () => {
    const run = await runWeft(['fsck', '--data', dataDir, '--json'])
    assert.equal(run.code, 1, run.stderr)
    const report = JSON.parse(run.stdout) as FsckReport
    // the missing file is found by the start-up check (no read), the flipped byte only by the rehash
    assert.equal(report.startup.missingBlocksDropped, 1)
    assert.deepEqual(report.rehash.corrupt, [cids[1].toString()])
    assert.deepEqual(report.rehash.missing, [])
    assert.deepEqual(report.rehash.unreadable, [])
    assert.equal(report.rehash.blocks, 5)
    assert.equal(report.damaged, 2)
    assert.equal(report.blocks, 4)
    assert.equal(report.usedBytes, 4 * 8192)
  })

  it('exits 0 and says so once the store is clean', async () => {
    const run = await runWeft(['fsck', '--data', dataDir])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /4 blocks hashed/)
    assert.match(run.stdout, /no damage found/)
  })

  it('refuses a directory that holds no weft data, creating nothing, with exit code 8', async () => {
    const empty = await tempDir('weft-fsck-empty-')
    try {
      const run = await runWeft(['fsck', '--data', join(empty, 'nope')])
      assert.equal(run.code, 8)
      assert.match(run.stderr, /StorageOpenError: no weft data directory at .*nope/)
      await assert.rejects(access(join(empty, 'nope')))
    } finally {
      await removeDir(empty)
    }
  })

  it('refuses a data directory a running node holds, naming the lock, with exit code 8', async () => {
    const datastore = await openDatastore(dataDir)
    try {
      const run = await runWeft(['fsck', '--data', dataDir])
      assert.equal(run.code, 8)
      assert.match(run.stderr, /is another weft node running on this data directory\?/)
    } finally {
      await datastore.close()
    }
  })
})
