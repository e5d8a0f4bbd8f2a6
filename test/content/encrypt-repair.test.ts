import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import toBuffer from 'it-to-buffer'
import { createNode, HAVE_PROTOCOL, parseCapability, requestHave, type WeftNode } from '../../src/index.js'
import { importContent } from '../../src/content/import.js'
import { pollUntil } from '../support/status.js'
import { spawnNetwork, type WeftProcess } from '../support/weft-process.js'
import type { CID } from 'multiformats/cid'

const REPLICATION = 3
const CHUNK_SIZE = 16_384
/** Sweeps every 2-3 s instead of every 10 minutes. */
const SERVER_ARGS = ['--storage.replication', String(REPLICATION), '--storage.repair-interval-ms', '2000']
/** A few sweeps, and the 30 s a remembered membership lives, on a loaded machine. */
const REPAIR_BOUND_MS = 90_000

/** The servers among `servers` that keep (replica or pin) each of `cids`, asked over the have protocol. */
async function keepers (checker: WeftNode, servers: WeftProcess[], cids: CID[]): Promise<number[]> {
  const kept = cids.map(() => 0)
  for (const server of servers) {
    const signal = AbortSignal.timeout(10_000)
    const stream = await checker.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
    const holdings = await requestHave(stream, cids, { signal, peer: server.peerId })
    holdings.forEach((h, i) => { if (h === 'kept') kept[i]++ })
  }
  return kept
}

describe('encrypted shares and repair', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let checker: WeftNode

  before(async () => {
    network = await spawnNetwork(5, { args: SERVER_ARGS })
    checker = await createNode({}, { transient: true })
  })

  after(async () => {
    await checker?.stop()
    await network?.stop()
  })

  it('servers repair the ciphertext without the key, and the capability reads it after two holders left', async () => {
    const plain = randomBytes(CHUNK_SIZE * 12 + 5)
    const config = { storage: { replication: REPLICATION, writeQuorum: REPLICATION, chunkSize: CHUNK_SIZE } }
    const writer = await createNode({ ...config, bootstrap: [network.servers[0].multiaddrs[0]] }, { transient: true })
    let capability: string
    try {
      const put = await writer.put(plain, { encrypt: true })
      capability = put.capability ?? assert.fail('no capability')
      // the blocks, from the ciphertext the servers hold
      const cipher = await toBuffer(writer.get(put.cid))
      const cids: CID[] = []
      await importContent(cipher, { put: async (cid: CID) => { cids.push(cid); return cid } }, { chunkSize: CHUNK_SIZE })
      assert.ok((await keepers(checker, network.servers, cids)).every(n => n >= REPLICATION))

      // two servers leave (never the first, the others' bootstrap): every block keeps at least one replica
      const victims = network.servers.slice(1, 3)
      await Promise.all(victims.map(async v => v.stop()))
      const live = network.servers.filter(s => !victims.includes(s))
      await pollUntil(async () => keepers(checker, live, cids).catch(() => cids.map(() => 0)),
        kept => kept.every(n => n >= REPLICATION),
        kept => `live servers keeping each block: ${kept.join(',')}`,
        { timeoutMs: REPAIR_BOUND_MS, intervalMs: 500 })
    } finally {
      await writer.stop()
    }

    const reader = await createNode({ ...config, bootstrap: [network.servers[4].multiaddrs[0]] }, { transient: true })
    try {
      assert.ok(parseCapability(capability) != null)
      assert.deepEqual(await toBuffer(reader.get(capability)), new Uint8Array(plain))
    } finally {
      await reader.stop()
    }
  })
})
