import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { MemoryDatastore } from 'datastore-core/memory'
import { Key, type Batch } from 'interface-datastore'
import { createNode } from '../../src/index.js'
import { openDatastore } from '../../src/store/datastore.js'
import { libp2pDatastore, PeerRecordCache } from '../../src/store/peer-records.js'
import { removeDir, tempDir, TEST_HOST } from '../support/weft-process.js'

const record = (n: number): Uint8Array => Uint8Array.from([n, n, n])

/** A backing store that counts reads and fails the next `failCommits` batch commits. */
class Backing extends MemoryDatastore {
  reads = 0
  failCommits = 0
  /** batch() itself throws, as a closed LevelDB may. */
  closed = false
  override get (key: Key): Uint8Array {
    this.reads++
    return super.get(key) as Uint8Array
  }

  override batch (): Batch {
    if (this.closed) throw Object.assign(new Error('Database is not open'), { code: 'LEVEL_DATABASE_NOT_OPEN' })
    const inner = super.batch()
    return {
      put: (key, value) => { inner.put(key, value) },
      delete: key => { inner.delete(key) },
      commit: async () => {
        if (this.failCommits > 0) {
          this.failCommits--
          throw new Error('ENOSPC: no space left on device')
        }
        await inner.commit()
      }
    }
  }
}

describe('peer records held in memory', () => {
  const dirs: string[] = []
  after(async () => { await Promise.all(dirs.map(removeDir)) })

  it('are read from memory: the backing store is read once, at load', async () => {
    const backing = new Backing()
    await backing.put(new Key('/weft/peer-records/peers/a'), record(1))
    const cache = await PeerRecordCache.load(backing)
    for (let i = 0; i < 100; i++) assert.deepEqual(cache.get(new Key('/peers/a')), record(1))
    assert.equal(backing.reads, 0)
    await cache.close()
  })

  it('reach the backing store on flush, deletions included, and nothing else of it is loaded', async () => {
    const backing = new Backing()
    await backing.put(new Key('/weft/peer-records/peers/gone'), record(1))
    await backing.put(new Key('/dht/record/x'), record(9))
    const cache = await PeerRecordCache.load(backing)
    assert.equal(cache.has(new Key('/dht/record/x')), false)
    cache.put(new Key('/peers/new'), record(2))
    cache.delete(new Key('/peers/gone'))
    assert.equal(await backing.has(new Key('/weft/peer-records/peers/new')), false, 'written a batch at a time, not on every change')
    await cache.flush()
    assert.deepEqual(await backing.get(new Key('/weft/peer-records/peers/new')), record(2))
    assert.equal(await backing.has(new Key('/weft/peer-records/peers/gone')), false)
    await cache.close()
  })

  it('are kept and written on a later flush when the backing store fails a write (a full disk)', async () => {
    const backing = new Backing()
    const cache = await PeerRecordCache.load(backing)
    backing.failCommits = 1
    cache.put(new Key('/peers/a'), record(3))
    await cache.flush()
    assert.equal(await backing.has(new Key('/weft/peer-records/peers/a')), false)
    assert.deepEqual(cache.get(new Key('/peers/a')), record(3))
    await cache.close()
    assert.deepEqual(await backing.get(new Key('/weft/peer-records/peers/a')), record(3))
  })

  it('are kept, and the flush resolves, when the backing store throws as the batch is made (closed)', async () => {
    const backing = new Backing()
    const cache = await PeerRecordCache.load(backing)
    backing.closed = true
    cache.put(new Key('/peers/b'), record(7))
    await cache.flush()
    backing.closed = false
    await cache.close()
    assert.deepEqual(await backing.get(new Key('/weft/peer-records/peers/b')), record(7))
  })

  it('written by libp2p before the cache existed are moved to its prefix at load', async () => {
    const backing = new Backing()
    await backing.put(new Key('/peers/old'), record(6))
    const cache = await PeerRecordCache.load(backing)
    assert.deepEqual(cache.get(new Key('/peers/old')), record(6))
    assert.equal(await backing.has(new Key('/peers/old')), false)
    assert.deepEqual(await backing.get(new Key('/weft/peer-records/peers/old')), record(6))
    await cache.close()
  })

  it('survive a close and reopen of LevelDB, while other keys pass straight through', async () => {
    const dir = await tempDir('weft-peers-')
    dirs.push(dir)
    const level = await openDatastore(dir)
    const first = await libp2pDatastore(level)
    await first.datastore.put(new Key('/peers/p1'), record(4))
    await first.datastore.put(new Key('/dht/record/r1'), record(5))
    assert.deepEqual(Uint8Array.from(await level.get(new Key('/dht/record/r1'))), record(5), 'not cached: written at once')
    await first.peers.close()
    await level.close()

    const reopened = await openDatastore(dir)
    const second = await libp2pDatastore(reopened)
    assert.deepEqual(Uint8Array.from(await second.datastore.get(new Key('/peers/p1'))), record(4))
    const keys: string[] = []
    for await (const key of second.datastore.queryKeys({ prefix: '/peers/' })) keys.push(key.toString())
    assert.deepEqual(keys, ['/peers/p1'])
    await second.peers.close()
    await reopened.close()
  })

  it('let a server restarted on its data directory know the peers it knew', async () => {
    const dirA = await tempDir('weft-peers-a-')
    const dirB = await tempDir('weft-peers-b-')
    dirs.push(dirA, dirB)
    const listen = [`/ip4/${TEST_HOST}/tcp/0`]
    const b = await createNode({ dataDir: dirB, listen, http: { enabled: false } })
    try {
      let a = await createNode({ dataDir: dirA, listen, http: { enabled: false } })
      await a.libp2p.dial(b.getMultiaddrs()[0])
      await a.libp2p.peerStore.get(b.peerId)
      await a.stop()
      a = await createNode({ dataDir: dirA, listen, http: { enabled: false } })
      try {
        const known = await a.libp2p.peerStore.get(b.peerId)
        assert.ok(known.addresses.length > 0, 'the restarted node has the other server\'s addresses')
      } finally {
        await a.stop()
      }
    } finally {
      await b.stop()
    }
  })
})
