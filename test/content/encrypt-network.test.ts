import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import toBuffer from 'it-to-buffer'
import { createNode, formatCapability, formatShareLink, parseCapability, type WeftNode } from '../../src/index.js'
import { formatKey } from '../../src/content/capability.js'
import { removeDir, runWeft, spawnNetwork, tempDir, type WeftProcess } from '../support/weft-process.js'

const REPLICATION = 3
/** Small leaves: a file of many records, quickly. */
const CHUNK_SIZE = 16_384
const WINDOW = 64

/** Every file under `dir`, its bytes. */
async function filesUnder (dir: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(join(entry.parentPath, entry.name)).catch(() => Buffer.alloc(0)))
  }
  return out
}

/**
 * Whether any file under the servers' data directories holds a WINDOW-byte
 * run of `plain`. Any such run contains one of the plaintext's aligned
 * (WINDOW / 2)-byte pieces whole, so looking for those at every offset finds
 * every window.
 */
async function leaks (servers: WeftProcess[], plain: Uint8Array): Promise<boolean> {
  const half = WINDOW / 2
  const pieces = new Set<string>()
  for (let i = 0; i + half <= plain.byteLength; i += half) pieces.add(Buffer.from(plain.subarray(i, i + half)).toString('latin1'))
  for (const server of servers) {
    for (const file of await filesUnder(server.dataDir)) {
      const text = file.toString('latin1')
      for (let i = 0; i + half <= text.length; i++) {
        if (pieces.has(text.slice(i, i + half))) return true
      }
    }
  }
  return false
}

async function rejectsNamed (promise: Promise<unknown>, name: string): Promise<void> {
  let caught: Error | undefined
  await promise.catch(err => { caught = err })
  assert.ok(caught != null, `expected ${name}, got bytes`)
  assert.equal(caught.name, name, `expected ${name}, got ${caught.name}: ${caught.message}`)
}

describe('encrypted sharing through 3 servers', () => {
  let network: { servers: WeftProcess[], stop: () => Promise<void> }
  let bootstrap: string
  let writer: WeftNode
  let reader: WeftNode
  const plain = randomBytes(CHUNK_SIZE * 12 + 333)
  let capability: string
  let work: string

  const transient = async (): Promise<WeftNode> => {
    const node = await createNode({ bootstrap: [bootstrap], storage: { replication: REPLICATION, writeQuorum: REPLICATION, chunkSize: CHUNK_SIZE } }, { transient: true })
    await node.joined({ timeoutMs: 20_000 }).catch(() => {})
    return node
  }

  before(async () => {
    network = await spawnNetwork(3, { args: ['--storage.replication', String(REPLICATION)] })
    bootstrap = network.servers[0].multiaddrs[0]
    writer = await transient()
    const result = await writer.put(plain, { encrypt: { name: 'plans.bin', type: 'application/octet-stream' } })
    assert.equal(result.replicas, REPLICATION)
    assert.ok(result.capability != null)
    capability = result.capability
    // a reader that did not put it: nothing cached
    reader = await transient()
    work = await tempDir('weft-encrypt-')
  })

  after(async () => {
    await writer?.stop()
    await reader?.stop()
    await network?.stop()
    if (work != null) await removeDir(work)
  })

  it('no server stores any 64-byte window of the plaintext (and the scan finds a plain put)', async () => {
    assert.equal(await leaks(network.servers, plain), false)
    const control = randomBytes(CHUNK_SIZE * 2)
    await writer.put(control)
    assert.equal(await leaks(network.servers, control), true)
  })

  it('the capability gets the file back byte-identical, with its name and type', async () => {
    assert.deepEqual(await toBuffer(reader.get(capability)), new Uint8Array(plain))
    const stat = await reader.stat(capability)
    assert.equal(stat.size, plain.byteLength)
    assert.equal(stat.name, 'plans.bin')
    assert.equal(stat.mediaType, 'application/octet-stream')
    assert.equal(stat.encrypted, true)
  })

  it('a range read gives the range byte-identical', async () => {
    const offset = CHUNK_SIZE * 5 + 1000
    const length = CHUNK_SIZE + 77
    assert.deepEqual(await toBuffer(reader.get(capability, { offset, length })), new Uint8Array(plain.subarray(offset, offset + length)))
  })

  it('a range read through node.get(capability, { offset, length }) fetches only the root, the header\'s leaf and the range\'s leaves', async () => {
    const { key } = parseCapability(capability) ?? assert.fail('no capability')
    const leaves = Math.ceil((plain.byteLength + 1) / CHUNK_SIZE)
    // records 5 and 6 (from the middle), and the last short one alone
    const cases = [
      { offset: CHUNK_SIZE * 5 + 1000, length: CHUNK_SIZE + 77, fetched: 1 + 1 + 2 },
      { offset: plain.byteLength - 100, length: 100, fetched: 1 + 1 + 1 }
    ]
    for (const { offset, length, fetched } of cases) {
      // a node that never read it: nothing of it is cached
      const fresh = await transient()
      try {
        let counted = 0
        const got = await toBuffer(fresh.get({ cid: parseCapability(capability)?.cid ?? '', key }, { offset, length, onProgress: event => { counted = Math.max(counted, event.detail.fetched) } }))
        assert.deepEqual(got, new Uint8Array(plain.subarray(offset, offset + length)))
        assert.equal(counted, fetched, `${counted} blocks fetched for ${length} bytes at ${offset} of a ${leaves}-leaf file`)
      } finally {
        await fresh.stop()
      }
    }
  })

  it('weft pin of a capability or a link pins the ciphertext on the server, which never gets the key', async () => {
    const { cid, key } = parseCapability(capability) ?? assert.fail('no capability')
    const server = network.servers[1]
    const pinned = await runWeft(['pin', capability, '--data', server.dataDir])
    assert.equal(pinned.code, 0, pinned.stderr)
    assert.match(pinned.stdout, new RegExp(`^pinned ${cid}; storage .*, 1 pin\n$`))
    // a link without a name, its key right after the CID
    const link = formatShareLink('http://127.0.0.1:1/', { cid, key })
    const unpinned = await runWeft(['unpin', link, '--data', server.dataDir])
    assert.equal(unpinned.code, 0, unpinned.stderr)
    assert.match(unpinned.stdout, new RegExp(`^unpinned ${cid}; storage .*, 0 pins\n$`))
    const again = await runWeft(['pin', link, '--data', server.dataDir])
    assert.equal(again.code, 0, again.stderr)
    // nothing the server keeps holds the key, in bytes or as the capability writes it
    const written = Buffer.from(formatKey(key))
    for (const file of await filesUnder(server.dataDir)) {
      assert.equal(file.includes(Buffer.from(key)) || file.includes(written), false)
    }
  })

  it('the CID alone gives ciphertext, and the wrong key fails with DecryptionError', async () => {
    const { cid } = parseCapability(capability) ?? assert.fail('no capability')
    const cipher = await toBuffer(reader.get(cid))
    assert.equal(Buffer.from(cipher).indexOf(Buffer.from(plain.subarray(0, 64))), -1)
    await rejectsNamed(toBuffer(reader.get(formatCapability({ cid, key: randomBytes(32) }))), 'DecryptionError')
  })

  it('a flipped ciphertext byte fails with DecryptionError, a dropped last leaf with TruncatedError', async () => {
    const { cid, key } = parseCapability(capability) ?? assert.fail('no capability')
    const cipher = await toBuffer(reader.get(cid))
    const flipped = cipher.slice()
    flipped[CHUNK_SIZE * 3 + 5] ^= 0x40
    const changed = await writer.put(flipped)
    await rejectsNamed(toBuffer(reader.get({ cid: changed.cid.toString(), key })), 'DecryptionError')
    const lastLeaf = Math.floor((cipher.byteLength - 1) / CHUNK_SIZE) * CHUNK_SIZE
    const truncated = await writer.put(cipher.subarray(0, lastLeaf))
    await rejectsNamed(toBuffer(reader.get({ cid: truncated.cid.toString(), key })), 'TruncatedError')
  })

  it('weft put --encrypt prints a link with the key in its fragment (the capability alone with --quiet); weft get decrypts either', async () => {
    const file = join(work, 'notes.txt')
    const bytes = randomBytes(CHUNK_SIZE * 3 + 11)
    await writeFile(file, bytes)
    const settings = ['--bootstrap', bootstrap, '--storage.replication', String(REPLICATION), '--storage.chunk-size', String(CHUNK_SIZE)]
    const linked = await runWeft(['put', file, '--encrypt', '--page', 'https://weft.example/', ...settings])
    assert.equal(linked.code, 0, linked.stderr)
    const link = linked.stdout.trim().split('\n').pop() ?? ''
    assert.match(link, /^https:\/\/weft\.example\/#\/[a-z0-9]+\/notes\.txt\?k=[A-Za-z0-9_-]{43}$/)
    const quiet = await runWeft(['put', file, '--encrypt', '--quiet', ...settings])
    assert.equal(quiet.code, 0, quiet.stderr)
    assert.match(quiet.stdout, /^weft:[a-z0-9]+#k=[A-Za-z0-9_-]{43}\n$/)
    for (const target of [link, quiet.stdout.trim()]) {
      const out = join(work, 'out.txt')
      const got = await runWeft(['get', target, '-o', out, '--quiet', '--bootstrap', bootstrap])
      assert.equal(got.code, 0, got.stderr)
      assert.deepEqual(await readFile(out), bytes)
    }
  })

  it('weft put --encrypt --convergent gives the same CID twice for one user, another for a user with another secret', async () => {
    const file = join(work, 'same.bin')
    await writeFile(file, randomBytes(CHUNK_SIZE * 2))
    const put = async (data: string): Promise<string> => {
      const run = await runWeft(['put', file, '--encrypt', '--convergent', '--quiet', '--data', data, '--bootstrap', bootstrap, '--storage.replication', String(REPLICATION)])
      assert.equal(run.code, 0, run.stderr)
      return run.stdout.trim()
    }
    const alice = join(work, 'alice')
    const [first, second, bob] = [await put(alice), await put(alice), await put(join(work, 'bob'))]
    assert.equal(first, second)
    assert.notEqual(parseCapability(first)?.cid, parseCapability(bob)?.cid)
    const out = join(work, 'same.out')
    const got = await runWeft(['get', first, '-o', out, '--quiet', '--bootstrap', bootstrap])
    assert.equal(got.code, 0, got.stderr)
    assert.deepEqual(await readFile(out), await readFile(file))
  })
})
