import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import { createNode, type WeftNode } from '../../src/index.js'
import { parseCidInput, parseShareHash, shareLink } from '../../web/share-link.js'
import { WeftPage, browserFixture } from '../support/browser.js'
import { providerFound } from '../support/providers.js'
import { statusWhen } from '../support/status.js'
import type { WeftPageHook } from '../../web/main.js'

const MiB = 1_048_576
const CID_V1 = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A node in this process (and network namespace), as `weft put`/`weft get` run one. */
async function transientNode (bootstrap: string): Promise<WeftNode> {
  return createNode({ bootstrap: [bootstrap] }, { transient: true })
}

describe('share links', () => {
  it('name a file in the fragment, dropping the sharer\'s own query string', () => {
    assert.equal(shareLink('http://127.0.0.1:8080/?db=alice#/old', { cid: CID_V1, name: 'a photo.jpg' }),
      `http://127.0.0.1:8080/#/${CID_V1}/a%20photo.jpg`)
    assert.equal(shareLink('http://127.0.0.1:8080/', { cid: CID_V1 }), `http://127.0.0.1:8080/#/${CID_V1}`)
  })

  it('read back the CID and the name', () => {
    assert.deepEqual(parseShareHash(`#/${CID_V1}/a%20photo.jpg`), { cid: CID_V1, name: 'a photo.jpg' })
    assert.deepEqual(parseShareHash(`#/${CID_V1}`), { cid: CID_V1 })
    assert.deepEqual(parseShareHash(`#/${CID_V1}/`), { cid: CID_V1 })
    assert.equal(parseShareHash(''), undefined)
    assert.equal(parseShareHash('#section'), undefined)
  })

  it('may be pasted where a CID is asked for', () => {
    assert.deepEqual(parseCidInput(` http://example.org/#/${CID_V1}/x.txt `), { cid: CID_V1, name: 'x.txt' })
    assert.deepEqual(parseCidInput(` ${CID_V1} `), { cid: CID_V1 })
  })
})

describe('files shared between pages and servers', () => {
  const network = browserFixture({ servers: 3 })

  it('stores a file a page shares through its file input on every one of 3 servers, where a server-side reader gets it after the page closed', async () => {
    const bytes = randomBytes(3 * MiB + 4321)
    const page = await network.open()
    const shared = await page.shareFile('random.bin', bytes)
    // 5 replicas wanted, 3 servers in the network: the page reaches all
    // three (its first holder passes the blocks on), and says so
    assert.equal(shared.replicas, 3)
    assert.equal(shared.stored, 'on 3 servers')
    process.stderr.write(`# screenshot: ${await page.screenshot('shared-on-3-servers')}\n`)
    assert.equal(shared.link, `${network.servers[0].httpUrl}#/${shared.cid}/random.bin`)
    // and each server keeps every block (4 leaves and the root)
    for (const server of network.servers) await statusWhen(server, s => s.storage.blocks >= 5)
    await page.page.context().close()

    const reader = await transientNode(network.servers[2].multiaddrs[0])
    try {
      const hash = createHash('sha256')
      let size = 0
      for await (const chunk of reader.get(shared.cid)) {
        hash.update(chunk)
        size += chunk.byteLength
      }
      assert.deepEqual({ sha256: hash.digest('hex'), size }, { sha256: sha256(bytes), size: bytes.length })
    } finally {
      await reader.stop()
    }
  })

  it('gets a file a server-side node stored when a page is opened with its share link', async () => {
    const bytes = randomBytes(2 * MiB + 99)
    const writer = await transientNode(network.servers[1].multiaddrs[0])
    let cid: CID
    try {
      cid = (await writer.put(bytes)).cid
    } finally {
      await writer.stop()
    }

    const page = await network.open(`#/${cid.toString()}/from-a-server.bin`)
    const { result, ...file } = await page.receivedFile()
    assert.deepEqual(file, { name: 'from-a-server.bin', size: bytes.length, sha256: sha256(bytes) })
    assert.match(result, /^got from-a-server\.bin: 2\.0 MiB in [\d.]+ s, 4 blocks from peers$/)
    assert.equal(await page.page.locator('#get-cid').inputValue(), cid.toString())
  })

  it('shows a CID\'s error beside the form and goes on getting files', async () => {
    const page = await network.open('', { server: network.servers[1] })
    await assert.rejects(page.getFile('bafy-not-a-cid'), /the file: This link or CID names no file[\s\S]*"bafy-not-a-cid" is not a valid CID/)

    const text = 'hello from a page\n'
    const put = await page.page.evaluate(async text => {
      return (globalThis as unknown as { weft: WeftPageHook }).weft.put(text)
    }, text)
    assert.equal(put.size, Buffer.byteLength(text))
    const { result, ...file } = await page.getFile(put.cid)
    assert.deepEqual(file, { name: put.cid, size: put.size, sha256: sha256(Buffer.from(text)) })
    assert.match(result, /all from this tab's store$/)
    assert.equal(await page.page.locator('#preview pre').textContent(), text)
  })

  it('keeps only each block\'s own bytes in IndexedDB when a page stores bytes it holds in memory', async () => {
    const page = await network.open()
    const stored = await page.page.evaluate(async () => {
      const node = await (globalThis as unknown as { weft: WeftPageHook }).weft.ready
      const bytes = new Uint8Array(3 * 1_048_576 + 5)
      for (let i = 0; i < bytes.length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536))
      await node.put(bytes)
      // what IndexedDB holds: each value's length, and the buffer it keeps behind it
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('weft-blocks')
        open.onsuccess = () => { resolve(open.result) }
        open.onerror = () => { reject(open.error) }
      })
      const name = db.objectStoreNames[0]
      const values = await new Promise<Uint8Array[]>((resolve, reject) => {
        const all = db.transaction(name).objectStore(name).getAll()
        all.onsuccess = () => { resolve(all.result) }
        all.onerror = () => { reject(all.error) }
      })
      db.close()
      return values.map(v => ({ length: v.byteLength, kept: v.buffer.byteLength }))
    })
    // four leaves and the root
    assert.equal(stored.length, 5)
    for (const block of stored) assert.equal(block.kept, block.length, `a ${block.length}-byte block keeps ${block.kept} bytes`)
  })

  it('gets a file from the page that shares it only from its tab, over a direct WebRTC connection', async () => {
    const storedBefore = await Promise.all(network.servers.map(async s => (await statusWhen(s, () => true)).storage))
    const bytes = randomBytes(2 * MiB + 777)
    const alice = await network.open()
    const shared = await alice.shareFile('only-in-alice.bin', bytes, { localOnly: true })
    assert.equal(shared.replicas, 0)
    assert.match(shared.stored, /^only in this tab/)
    const aliceId = await alice.peerId()
    // Alice announces herself as the file's provider in the background, after
    // the put: a person sends the link later; the test waits for the record
    await providerFound(network.servers[2].multiaddrs[0], shared.cid, aliceId)

    // the only way Bob can learn of Alice is the provider record in the DHT
    const bob = await WeftPage.open(await network.newContext(), shared.link)
    const { result, ...file } = await bob.receivedFile(90_000)
    assert.deepEqual(file, { name: 'only-in-alice.bin', size: bytes.length, sha256: sha256(bytes) })
    assert.match(result, /4 blocks from peers$/)

    // from Alice, directly: a WebRTC connection signalled through the relay, not limited
    await bob.connectionTo(aliceId, 'webrtc')
    const direct = (await bob.connectionsTo(aliceId)).filter(c => c.remoteAddr.includes('/p2p-circuit/webrtc/'))
    assert.ok(direct.length > 0, 'no /p2p-circuit/webrtc connection to Alice')
    for (const c of direct) assert.equal(c.limits, undefined, `${c.remoteAddr} is limited: relayed, not direct`)
    // and no server took a block of it
    const storedAfter = await Promise.all(network.servers.map(async s => (await statusWhen(s, () => true)).storage))
    assert.deepEqual(storedAfter, storedBefore)
  })
})
