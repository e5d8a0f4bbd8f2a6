import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { pushable } from 'it-pushable'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createNode, HAVE_PROTOCOL, requestHave, STORE_PROTOCOL, type WeftNode } from '../src/index.js'
import { importContent } from '../src/content/import.js'
import { pushBlocks, type BlockToStore, type StoreAnswer } from '../src/protocols/store-protocol.js'
import { pollUntil, statusWhen } from './support/status.js'
import { spawnNetwork, spawnServer, type WeftProcess } from './support/weft-process.js'

const KiB = 1024
/** What one peer may store on a server per hour in this spec: 1 MiB, sixteen 64 KiB blocks. */
const PER_HOUR = 1024 * KiB
const JUNK_BLOCK = 64 * KiB
const JUNK_BLOCKS = 64
const PEER_STREAMS = 2
const SERVER_ARGS = ['--storage.replication', '3', '--storage.peer-store-bytes-per-hour', String(PER_HOUR), '--storage.peer-streams', String(PEER_STREAMS)]

async function junkBlock (): Promise<BlockToStore> {
  const bytes = randomBytes(JUNK_BLOCK)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

async function storeStream (node: WeftNode, server: WeftProcess): Promise<Parameters<typeof pushBlocks>[0]> {
  return node.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), STORE_PROTOCOL, { signal: AbortSignal.timeout(20_000) })
}

describe('per-peer limits on a server', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>

  before(async () => {
    network = await spawnNetwork(3, { args: SERVER_ARGS, http: true })
  })

  after(async () => {
    await network?.stop()
  })

  it('throttles one peer pushing junk as fast as it can at its hourly limit, while another peer\'s put to the same server succeeds', async () => {
    const server = network.servers[0]
    const junker = await createNode({}, { transient: true })
    const writer = await createNode({ bootstrap: [server.multiaddrs[0]], storage: { replication: 3, writeQuorum: 3, chunkSize: 16 * KiB } }, { transient: true })
    try {
      const junk = await Promise.all(Array.from({ length: JUNK_BLOCKS }, junkBlock))
      const pushing = (async () => {
        const answers: StoreAnswer[] = []
        for await (const answer of pushBlocks(await storeStream(junker, server), junk, { peer: server.peerId })) answers.push(answer)
        return answers
      })()
      const file = randomBytes(256 * KiB)
      const started = Date.now()
      const put = await writer.put(file)
      const putMs = Date.now() - started
      const answers = await pushing

      // every junk block is answered: the ones past the limit with a refusal naming it
      assert.equal(answers.length, JUNK_BLOCKS)
      const stored = answers.filter(a => a.status === 'stored').length
      const limited = answers.filter(a => a.status === 'limited')
      assert.equal(stored + limited.length, JUNK_BLOCKS, answers.map(a => a.status).join(','))
      assert.ok(stored * JUNK_BLOCK <= PER_HOUR, `${stored} junk blocks stored, more than ${PER_HOUR} bytes`)
      assert.ok(stored >= PER_HOUR / JUNK_BLOCK - 1, `only ${stored} junk blocks stored under a limit of ${PER_HOUR / JUNK_BLOCK}`)
      assert.match(limited[0].message ?? '', /storage\.peerStoreBytesPerHour/)

      // the writer's put reached every server, this one included
      assert.equal(put.replicas, 3)
      const cids: CID[] = []
      await importContent(file, { put: async (cid: CID) => { cids.push(cid); return cid } }, { chunkSize: 16 * KiB })
      const have = await writer.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal: AbortSignal.timeout(20_000) })
      const held = await requestHave(have, cids, { peer: server.peerId })
      assert.ok(held.every(h => h === 'kept'), held.join(','))

      const status = await statusWhen(server, s => (s.storage.guard?.refusals.peerStoreBytesPerHour ?? 0) >= limited.length)
      assert.equal(status.storage.guard?.refusals.peerStoreBytesPerHour, limited.length)
      console.info(`junk: ${stored} stored, ${limited.length} refused; the other peer's ${file.byteLength / KiB} KiB put took ${putMs} ms`)
    } finally {
      await junker.stop()
      await writer.stop()
    }
  })

  it('answers a store stream past storage.peerStreams with LIMITED at once, and takes the peer\'s streams again once one ended', async () => {
    const server = network.servers[1]
    const peer = await createNode({}, { transient: true })
    try {
      // two streams held open, each with one block answered
      const held = await Promise.all(Array.from({ length: PEER_STREAMS }, async () => {
        const source = pushable<BlockToStore>({ objectMode: true })
        const answers = pushBlocks(await storeStream(peer, server), source, { peer: server.peerId })
        source.push(await junkBlock())
        const first = await answers.next()
        assert.equal(first.done !== true && first.value.status, 'stored')
        return { source, answers }
      }))

      const over: StoreAnswer[] = []
      for await (const answer of pushBlocks(await storeStream(peer, server), [await junkBlock()], { peer: server.peerId })) over.push(answer)
      assert.equal(over[0].status, 'limited')
      assert.match(over[0].message ?? '', /storage\.peerStreams \(2\)/)

      held[0].source.end()
      for await (const _ of held[0].answers) { void _ }
      // the server counts a stream until its handler has returned, a moment after the dialler saw its end:
      // another process, so asked again until it takes the stream
      const again = await pollUntil(async () => {
        const answers: StoreAnswer[] = []
        for await (const answer of pushBlocks(await storeStream(peer, server), [await junkBlock()], { peer: server.peerId })) answers.push(answer)
        return answers[0]
      }, answer => answer.status === 'stored', answer => `still ${answer.status}: ${answer.message ?? ''}`, { timeoutMs: 10_000, intervalMs: 100 })
      assert.equal(again.status, 'stored')
      held[1].source.end()
      for await (const _ of held[1].answers) { void _ }
    } finally {
      await peer.stop()
    }
  })
})

describe('serving a fair share per peer (storage.peerServeBytesPerSecond)', () => {
  const RATE = 1024 * KiB
  let server: WeftProcess

  before(async () => {
    server = await spawnServer({ args: ['--storage.replication', '1', '--storage.write-quorum', '1', '--storage.peer-serve-bytes-per-second', String(RATE)], http: true })
  })

  after(async () => {
    await server?.stop()
  })

  it('paces a fetcher taking a large file to its rate while another fetcher\'s small get from the same server ends first', async () => {
    const config = { bootstrap: [server.multiaddrs[0]], storage: { replication: 1, writeQuorum: 1 } }
    const writer = await createNode(config, { transient: true })
    const large = randomBytes(4 * RATE)
    const small = randomBytes(64 * KiB)
    const [largeCid, smallCid] = await (async () => {
      try {
        return [(await writer.put(large)).cid, (await writer.put(small)).cid]
      } finally {
        await writer.stop()
      }
    })()
    const [greedy, other] = await Promise.all([createNode(config, { transient: true }), createNode(config, { transient: true })])
    try {
      const read = async (node: WeftNode, cid: CID): Promise<{ bytes: number, ms: number, endedAt: number }> => {
        const started = Date.now()
        let bytes = 0
        for await (const chunk of node.get(cid)) bytes += chunk.byteLength
        return { bytes, ms: Date.now() - started, endedAt: Date.now() }
      }
      const greedyRead = read(greedy, largeCid)
      const otherRead = await read(other, smallCid)
      const greedyDone = await greedyRead

      assert.equal(greedyDone.bytes, large.byteLength)
      assert.equal(otherRead.bytes, small.byteLength)
      // a second's worth goes at once, the other three wait their turn
      assert.ok(greedyDone.ms >= 2_900, `4 MiB at 1 MiB/s took ${greedyDone.ms} ms`)
      assert.ok(otherRead.endedAt < greedyDone.endedAt, 'the small get waited for the large one')
      const status = await statusWhen(server, s => (s.storage.guard?.servesPaced ?? 0) > 0)
      console.info(`serve: 4 MiB at 1 MiB/s took ${greedyDone.ms} ms, the other peer's 64 KiB ${otherRead.ms} ms meanwhile; ${status.storage.guard?.servesPaced ?? 0} serves paced`)
    } finally {
      await greedy.stop()
      await other.stop()
    }
  })
})
