import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, unlink, writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { concat } from 'uint8arrays/concat'
import { equals } from 'uint8arrays/equals'
import { BLOCK_PROTOCOL, createNode, HAVE_PROTOCOL, requestHave, type WeftNode } from '../src/index.js'
import { importContent } from '../src/content/import.js'
import { requestBlocks, type BlockAnswer } from '../src/protocols/block-protocol.js'
import { MAX_CIDS_PER_REQUEST } from '../src/protocols/limits.js'
import { blockFile, blockFiles } from './support/block-files.js'
import { pollUntil, statusWhen } from './support/status.js'
import { runWeft, spawnNetwork, type WeftProcess } from './support/weft-process.js'
import type { CID } from 'multiformats/cid'

const REPLICATION = 3
const CHUNK_SIZE = 16_384
/** 48 leaves and a root: every server keeps all 49 (3 servers, 3 replicas). */
const FILE_BYTES = 48 * CHUNK_SIZE
const SERVER_ARGS = ['--storage.replication', String(REPLICATION), '--storage.repair-interval-ms', '2000']
/** How long repair may take on a loaded machine: a few sweeps. */
const REPAIR_BOUND_MS = 90_000

/** Every block this server answers for over `/weft/block/1.0.0`; `requestBlocks` throws on a byte that does not hash to its CID. */
async function askAll (client: WeftNode, server: WeftProcess, cids: CID[]): Promise<BlockAnswer[]> {
  const answers: BlockAnswer[] = []
  for (let i = 0; i < cids.length; i += MAX_CIDS_PER_REQUEST) {
    const signal = AbortSignal.timeout(30_000)
    const stream = await client.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), BLOCK_PROTOCOL, { signal })
    for await (const answer of requestBlocks(stream, cids.slice(i, i + MAX_CIDS_PER_REQUEST), { signal, peer: server.peerId })) answers.push(answer)
  }
  return answers
}

/** How many of `cids` the server says it keeps, over `/weft/have/1.0.0`; 0 when the ask fails (asked again). */
async function keptAt (client: WeftNode, server: WeftProcess, cids: CID[]): Promise<number> {
  try {
    const signal = AbortSignal.timeout(10_000)
    const stream = await client.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
    return (await requestHave(stream, cids, { signal, peer: server.peerId })).filter(h => h === 'kept').length
  } catch {
    return 0
  }
}

describe('block files lost or damaged behind a server\'s back', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let client: WeftNode
  let content: Uint8Array
  let root: CID
  let cids: CID[]
  let deleter: WeftProcess
  let flipper: WeftProcess
  let deleted: CID[]
  let flipped: CID[]

  before(async () => {
    network = await spawnNetwork(3, { args: SERVER_ARGS, http: true })
    client = await createNode({ bootstrap: [network.servers[0].multiaddrs[0]], storage: { replication: REPLICATION, writeQuorum: REPLICATION, chunkSize: CHUNK_SIZE } }, { transient: true })
    content = randomBytes(FILE_BYTES)
    const result = await client.put(content)
    assert.equal(result.replicas, REPLICATION)
    root = result.cid
    cids = []
    await importContent(content, { put: async (cid: CID) => { cids.push(cid); return cid } }, { chunkSize: CHUNK_SIZE })
    assert.equal(cids.length, 49)

    // a quarter of one server's block files deleted, bytes flipped in a quarter of another's (other blocks)
    ;[, deleter, flipper] = network.servers
    const leaves = cids.filter(cid => !cid.equals(root))
    deleted = leaves.slice(0, 12)
    flipped = leaves.slice(12, 24)
    for (const cid of deleted) await unlink(blockFile(deleter.dataDir, cid))
    for (const cid of flipped) {
      const path = blockFile(flipper.dataDir, cid)
      const bytes = await readFile(path)
      bytes[bytes.length >> 1] ^= 0x04
      await writeFile(path, bytes)
    }
  })

  after(async () => {
    await client?.stop()
    await network?.stop()
  })

  it('a get of the file still succeeds, byte-identical', async () => {
    const chunks: Uint8Array[] = []
    for await (const chunk of client.get(root)) chunks.push(chunk)
    assert.ok(equals(concat(chunks), content))
  })

  it('no server ever sends a byte that does not hash to its CID: a damaged block is not found there', async () => {
    for (const [server, damaged] of [[deleter, deleted], [flipper, flipped]] as const) {
      // requestBlocks hash-checks every block and throws HashMismatchError on a wrong one
      const answers = await askAll(client, server, cids)
      const notFound = answers.filter(a => a.status !== 'ok').map(a => a.cid.toString())
      const damagedNames = new Set(damaged.map(String))
      assert.ok(notFound.every(name => damagedNames.has(name)), `not found: ${notFound.join(', ')}`)
    }
  })

  it('reports the damaged blocks it dropped in its status', async () => {
    const deleterStatus = await statusWhen(deleter, s => (s.storage.integrity?.missingBlocksDropped ?? 0) === deleted.length)
    assert.equal(deleterStatus.storage.integrity?.corruptBlocksDropped, 0)
    const flipperStatus = await statusWhen(flipper, s => (s.storage.integrity?.corruptBlocksDropped ?? 0) === flipped.length)
    assert.equal(flipperStatus.storage.integrity?.missingBlocksDropped, 0)
    const shown = await runWeft(['status', '--url', flipper.httpUrl ?? assert.fail()])
    assert.match(shown.stdout, /integrity\s+12 corrupt, 0 missing blocks dropped since start/)
  })

  it('repair restores every dropped block from its other holders, whole', async () => {
    for (const server of [deleter, flipper]) {
      await pollUntil(async () => keptAt(client, server, cids), kept => kept === cids.length,
        kept => `${server.peerId} keeps ${kept} of ${cids.length} blocks`, { timeoutMs: REPAIR_BOUND_MS, intervalMs: 500 })
      const disk = await blockFiles(server.dataDir)
      assert.deepEqual(disk.mismatched, [])
      assert.equal(disk.files.length, cids.length)
      const storage = (await statusWhen(server, () => true)).storage
      assert.equal(storage.blocks, disk.files.length)
      assert.equal(storage.usedBytes, disk.bytes)
    }
  })
})
