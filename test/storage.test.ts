import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { BLOCK_PROTOCOL, createNode, type WeftNode } from '../src/index.js'
import { statusWhen } from './support/status.js'
import { TEST_HOST, removeDir, spawnNetwork, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'

const MiB = 1_048_576

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A fresh server node in this process, joined through `bootstrap`. */
async function serverNode (dataDir: string, bootstrap: string[]): Promise<WeftNode> {
  return createNode({ dataDir, listen: [`/ip4/${TEST_HOST}/tcp/0`], bootstrap, http: { enabled: false } })
}

/** A transient node (what `weft get` runs): nothing stored, nothing kept. */
async function readerNode (bootstrap: string[]): Promise<WeftNode> {
  return createNode({ bootstrap }, { transient: true })
}

/** Reads a whole file, hashing as it streams. */
async function sha256Of (chunks: AsyncIterable<Uint8Array>): Promise<{ hash: string, size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of chunks) {
    hash.update(chunk)
    size += chunk.byteLength
  }
  return { hash: hash.digest('hex'), size }
}

describe('storage across five server processes', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  const files = new Map<string, { cid: string, hash: string }>()
  const sizes: Record<string, number> = {
    'empty': 0,
    'one byte': 1,
    'a chunk less one byte': MiB - 1,
    'exactly a chunk': MiB,
    'a chunk and one byte': MiB + 1,
    '50 MiB': 50 * MiB
  }

  before(async () => {
    network = await spawnNetwork(5)
    const dataDir = await tempDir()
    const uploader = await serverNode(dataDir, [network.servers[0].multiaddrs[0]])
    try {
      for (const [name, size] of Object.entries(sizes)) {
        const bytes = randomBytes(size)
        const result = await uploader.put(bytes)
        assert.equal(result.size, size)
        assert.ok(result.replicas >= 3, `${name}: ${result.replicas} replicas`)
        files.set(name, { cid: result.cid.toString(), hash: sha256(bytes) })
      }
    } finally {
      // the uploader leaves: what it put must live on without it
      await uploader.stop()
      await removeDir(dataDir)
    }
  })

  after(async () => {
    await network?.stop()
  })

  for (const name of Object.keys(sizes)) {
    it(`gets back ${name} byte-identical from another node after the uploader stopped`, async () => {
      const { cid, hash } = files.get(name) ?? assert.fail(`${name} was not put`)
      const reader = await readerNode([network.servers[3].multiaddrs[0]])
      try {
        const got = await sha256Of(reader.get(cid))
        assert.deepEqual(got, { hash, size: sizes[name] })
      } finally {
        await reader.stop()
      }
    })
  }

  it('reads a range across a chunk boundary', async () => {
    const bytes = randomBytes(3 * MiB)
    const writer = await readerNode([network.servers[1].multiaddrs[0]])
    const reader = await readerNode([network.servers[2].multiaddrs[0]])
    try {
      const { cid } = await writer.put(bytes)
      const got = await sha256Of(reader.get(cid, { offset: MiB - 10, length: MiB + 20 }))
      assert.deepEqual(got, { hash: sha256(bytes.subarray(MiB - 10, 2 * MiB + 10)), size: MiB + 20 })
    } finally {
      await Promise.all([writer.stop(), reader.stop()])
    }
  })

  it('fails a get of a CID nobody has with BlockNotFoundError, in bounded time', async () => {
    const reader = await createNode({ bootstrap: [network.servers[0].multiaddrs[0]], storage: { fetchTimeoutMs: 3000 } }, { transient: true })
    try {
      const missing = 'bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom'
      await assert.rejects(sha256Of(reader.get(missing)), (err: Error & { cid?: string }) => err.name === 'BlockNotFoundError' && err.cid === missing)
    } finally {
      await reader.stop()
    }
  })

  it('names a malformed CID with InvalidCIDError', async () => {
    const reader = await readerNode([network.servers[0].multiaddrs[0]])
    try {
      await assert.rejects(sha256Of(reader.get('not-a-cid')), (err: Error & { value?: string }) => err.name === 'InvalidCIDError' && err.value === 'not-a-cid')
    } finally {
      await reader.stop()
    }
  })
})

describe('storage when servers are full', () => {
  let servers: WeftProcess[] = []

  after(async () => {
    await Promise.all(servers.map(async s => s.stop()))
  })

  it('a full server refuses with the quota reason and the put reaches quorum elsewhere', async () => {
    const first = await spawnServer({ http: true })
    const full = await spawnServer({ http: true, bootstrap: [first.multiaddrs[0]], args: ['--storage.max-bytes', String(MiB)] })
    const rest = await Promise.all([0, 1, 2].map(async () => spawnServer({ http: true, bootstrap: [first.multiaddrs[0]] })))
    servers = [first, full, ...rest]
    await statusWhen(first, s => s.routingTableSize >= 4)
    const writer = await readerNode([first.multiaddrs[0]])
    try {
      const result = await writer.put(randomBytes(4 * MiB))
      // five servers, one of them full: the put resolves at the quorum, and
      // the other four servers end up keeping every block
      assert.ok(result.replicas >= 3, `${result.replicas} replicas`)
      for (const server of [first, ...rest]) {
        await statusWhen(server, s => s.storage.blocks >= result.blocks)
      }
      const status = await statusWhen(full, () => true)
      assert.ok(status.storage.usedBytes <= MiB, `the full server holds ${status.storage.usedBytes} bytes`)
    } finally {
      await writer.stop()
    }
  })

  it('a put fails with QuorumNotReachedError naming the blocks when too few servers have room', async () => {
    await Promise.all(servers.map(async s => s.stop()))
    const first = await spawnServer({ http: true })
    const small = ['--storage.max-bytes', String(MiB)]
    const rest = await Promise.all([0, 1].map(async () => spawnServer({ bootstrap: [first.multiaddrs[0]], args: small })))
    servers = [first, ...rest]
    await statusWhen(first, s => s.routingTableSize >= 2)
    const writer = await readerNode([first.multiaddrs[0]])
    try {
      await assert.rejects(writer.put(randomBytes(3 * MiB)), (err: Error & { shortfall?: Map<string, number> }) => {
        assert.equal(err.name, 'QuorumNotReachedError')
        assert.ok((err.shortfall?.size ?? 0) >= 1)
        assert.match(err.message, /quota/)
        return true
      })
    } finally {
      await writer.stop()
    }
  })
})

describe('storage with a single server', () => {
  let server: WeftProcess | undefined

  after(async () => {
    await server?.stop()
  })

  it('serves one reader more blocks over one connection than its stream limit allows open at once', async () => {
    // every block is a stream; one whose close is never taken in stays open
    // and counts against the limit (128), so 4 × 40 blocks on one
    // connection fail if any stream lingers
    server = await spawnServer()
    const config = { bootstrap: [server.multiaddrs[0]], storage: { replication: 1, writeQuorum: 1 } }
    const bytes = randomBytes(40 * MiB)
    const writer = await createNode(config, { transient: true })
    const { cid } = await writer.put(bytes).finally(async () => { await writer.stop() })
    const reader = await createNode(config, { transient: true })
    try {
      for (let round = 0; round < 4; round++) {
        assert.deepEqual(await sha256Of(reader.get(cid)), { hash: sha256(bytes), size: bytes.length })
        // every block stream is closed by the time its block is handed over
        const open = reader.getConnections().flatMap(c => c.streams).filter(s => s.protocol === BLOCK_PROTOCOL)
        assert.deepEqual(open.map(s => s.status), [])
      }
      assert.equal(reader.getConnections().length, 1)
    } finally {
      await reader.stop()
    }
  })
})

describe('storage on a lone server', () => {
  it('fails a put with the default quorum on a server alone, naming how many servers it found, unless fewer are asked for (minReplicas)', async () => {
    const dataDir = await tempDir()
    const node = await createNode({ dataDir, listen: [`/ip4/${TEST_HOST}/tcp/0`], http: { enabled: false } })
    try {
      await assert.rejects(node.put(randomBytes(MiB)), (err: Error) => {
        assert.equal(err.name, 'QuorumNotReachedError')
        assert.match(err.message, /^write quorum 3 needs 3 servers, 1 found: 1 block\(s\) short \(\w+: 1\)/)
        assert.equal((err as Error & { servers?: number }).servers, 1)
        return true
      })
      // asked for fewer on purpose, the same put succeeds and says how many each block got
      const fewer = await node.put(randomBytes(MiB), { minReplicas: 1 })
      assert.deepEqual({ replicas: fewer.replicas, writeQuorum: fewer.writeQuorum, blocksByReplicas: fewer.blocksByReplicas }, { replicas: 1, writeQuorum: 1, blocksByReplicas: { 1: 1 } })
      await assert.rejects(node.put(randomBytes(10), { minReplicas: 0 }), { name: 'RangeError', message: /^minReplicas must be a whole number from 1 to the replication \(5\), got 0$/ })
    } finally {
      await node.stop()
      await removeDir(dataDir)
    }
  })

  it('keeps a put in its own store on a server alone when the quorum asked for is one, and says so: one replica', async () => {
    const dataDir = await tempDir()
    const node = await createNode({ dataDir, listen: [`/ip4/${TEST_HOST}/tcp/0`], http: { enabled: false }, storage: { writeQuorum: 1 } })
    try {
      const bytes = randomBytes(3 * MiB)
      const result = await node.put(bytes)
      assert.equal(result.replicas, 1)
      assert.deepEqual(await sha256Of(node.get(result.cid)), { hash: sha256(bytes), size: bytes.length })
    } finally {
      await node.stop()
      await removeDir(dataDir)
    }
  })
})
