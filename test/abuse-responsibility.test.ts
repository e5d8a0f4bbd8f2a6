import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createNode, HAVE_PROTOCOL, requestHave, STORE_PROTOCOL, type WeftNode } from '../src/index.js'
import { importContent } from '../src/content/import.js'
import { pushBlocks } from '../src/protocols/store-protocol.js'
import { knownPeers, trueClosest, type KnownPeer } from '../src/testing/closest.js'
import { statusWhen } from './support/status.js'
import { spawnNetwork, type WeftProcess } from './support/weft-process.js'

const SERVERS = 5
const REPLICATION = 2
/** A block's replica set is its 3 closest servers: of 5, two are never responsible for it. */
const SLACK = 1
const CHUNK_SIZE = 16_384
const SERVER_ARGS = ['--storage.replication', String(REPLICATION), '--storage.write-quorum', String(REPLICATION), '--storage.responsibility-slack', String(SLACK)]

async function rawBlock (bytes: Uint8Array): Promise<{ cid: CID, bytes: Uint8Array }> {
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

/** A fresh block whose replica set (its REPLICATION + SLACK closest servers) leaves out `server`. */
async function blockNotFor (server: WeftProcess, all: KnownPeer[]): Promise<{ cid: CID, bytes: Uint8Array }> {
  for (;;) {
    const block = await rawBlock(randomBytes(1024))
    const set = await trueClosest(block.cid.multihash.bytes, all, REPLICATION + SLACK)
    if (!set.some(p => p.toString() === server.peerId)) return block
  }
}

describe('responsibility: a server keeps only blocks it is among the closest servers of', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let all: KnownPeer[]
  let client: WeftNode

  before(async () => {
    network = await spawnNetwork(SERVERS, { args: SERVER_ARGS, http: true })
    all = await knownPeers(network.servers.map(s => peerIdFromString(s.peerId)))
    // a server ranks the servers it knows: wait until each knows the other four
    await Promise.all(network.servers.map(async s => statusWhen(s, status => (status.storage.guard?.knownServers ?? 0) >= SERVERS - 1, 60_000)))
    client = await createNode({}, { transient: true })
  })

  after(async () => {
    await client?.stop()
    await network?.stop()
  })

  it('answers NOT_RESPONSIBLE to a block pushed far from its keyspace, keeps nothing of it, and counts the refusal', async () => {
    const server = network.servers[1]
    const block = await blockNotFor(server, all)
    const signal = AbortSignal.timeout(20_000)

    const stream = await client.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), STORE_PROTOCOL, { signal })
    const answers = []
    for await (const answer of pushBlocks(stream, [block], { signal, peer: server.peerId })) answers.push(answer)

    assert.equal(answers[0].status, 'not-responsible')
    assert.match(answers[0].message ?? '', /not among the 3 closest servers/)
    const have = await client.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
    assert.deepEqual(await requestHave(have, [block.cid], { signal, peer: server.peerId }), ['none'])
    const status = await statusWhen(server, s => (s.storage.guard?.refusals.notResponsible ?? 0) >= 1)
    assert.equal(status.storage.blocks, 0)
  })

  it('still places every block of a normal put at its closest servers, and nowhere outside its replica set', async () => {
    const bytes = randomBytes(24 * CHUNK_SIZE)
    const writer = await createNode({ bootstrap: [network.servers[2].multiaddrs[0]], storage: { replication: REPLICATION, writeQuorum: REPLICATION, chunkSize: CHUNK_SIZE } }, { transient: true })
    try {
      const result = await writer.put(bytes)
      assert.equal(result.replicas, REPLICATION)
    } finally {
      await writer.stop()
    }
    const cids: CID[] = []
    await importContent(bytes, { put: async (cid: CID) => { cids.push(cid); return cid } }, { chunkSize: CHUNK_SIZE })

    const signal = AbortSignal.timeout(30_000)
    const keepers = cids.map(() => new Set<string>())
    for (const server of network.servers) {
      const stream = await client.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
      const held = await requestHave(stream, cids, { signal, peer: server.peerId })
      held.forEach((holding, i) => { if (holding === 'kept') keepers[i].add(server.peerId) })
    }
    for (const [i, cid] of cids.entries()) {
      const closest = (await trueClosest(cid.multihash.bytes, all, REPLICATION)).map(String)
      const set = (await trueClosest(cid.multihash.bytes, all, REPLICATION + SLACK)).map(String)
      for (const peer of closest) assert.ok(keepers[i].has(peer), `${cid} is not kept by ${peer}, one of its ${REPLICATION} closest: kept by ${[...keepers[i]].join(', ')}`)
      for (const peer of keepers[i]) assert.ok(set.includes(peer), `${cid} is kept by ${peer}, outside its replica set`)
    }
  })
})
