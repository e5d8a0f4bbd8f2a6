import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode, HAVE_PROTOCOL, requestHave, type Holding, type WeftNode } from '../src/index.js'
import { importContent } from '../src/content/import.js'
import { byDistance } from '../src/placement/xor.js'
import { MAX_CIDS_PER_REQUEST } from '../src/protocols/limits.js'
import { pollUntil, statusWhen } from './support/status.js'
import { spawnNetwork, spawnServer, type WeftProcess } from './support/weft-process.js'
import type { CID } from 'multiformats/cid'

const REPLICATION = 3
/** Small blocks: a file of many blocks, quickly. */
const CHUNK_SIZE = 16_384
/** Sweeps every 2-3 s (and 2-4 s after a server joins or leaves) instead of every 10 minutes. */
const SERVER_ARGS = ['--storage.replication', String(REPLICATION), '--storage.repair-interval-ms', '2000']
/** How long repair may take on a loaded machine: a few sweeps, and the 30 s a remembered membership lives. */
const REPAIR_BOUND_MS = 90_000
const POLL_MS = 500

/** The CIDs of a file's blocks, as a put of `bytes` with CHUNK_SIZE makes them. */
async function blocksOf (bytes: Uint8Array): Promise<CID[]> {
  const cids: CID[] = []
  await importContent(bytes, { put: async (cid: CID) => { cids.push(cid); return cid } }, { chunkSize: CHUNK_SIZE })
  return cids
}

/** What `server` itself says it holds of `cids`, asked over `/weft/have/1.0.0`. */
async function holdingsAt (checker: WeftNode, server: WeftProcess, cids: CID[]): Promise<Holding[]> {
  const holdings: Holding[] = []
  for (let i = 0; i < cids.length; i += MAX_CIDS_PER_REQUEST) {
    const signal = AbortSignal.timeout(10_000)
    const stream = await checker.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
    holdings.push(...await requestHave(stream, cids.slice(i, i + MAX_CIDS_PER_REQUEST), { signal, peer: server.peerId }))
  }
  return holdings
}

/** For each block, the servers that keep it (a replica or pinned), by PeerId. */
async function keepers (checker: WeftNode, servers: WeftProcess[], cids: CID[]): Promise<Array<Set<string>>> {
  const kept = cids.map(() => new Set<string>())
  for (const server of servers) {
    const holdings = await holdingsAt(checker, server, cids)
    holdings.forEach((holding, i) => { if (holding === 'kept') kept[i].add(server.peerId) })
  }
  return kept
}

/**
 * Polls the servers (other processes: no events to await) every POLL_MS, up
 * to REPAIR_BOUND_MS. A probe that fails (a have request cut short on a busy
 * machine) counts as not there yet, and is named if it was the last.
 */
async function until<T> (probe: () => Promise<T>, done: (value: T) => boolean, describe: (value: T) => string): Promise<T> {
  type Probed = { value: T } | { error: Error }
  const attempt = async (): Promise<Probed> => {
    try {
      return { value: await probe() }
    } catch (err) {
      return { error: err as Error }
    }
  }
  const probed = await pollUntil(attempt,
    p => 'value' in p && done(p.value),
    p => 'value' in p ? describe(p.value) : `the last probe failed: ${p.error.message}`,
    { timeoutMs: REPAIR_BOUND_MS, intervalMs: POLL_MS })
  if (!('value' in probed)) throw probed.error
  return probed.value
}

/** Puts `bytes` from a transient node (it leaves at once) and returns the blocks' CIDs. */
async function put (bytes: Uint8Array, bootstrap: string): Promise<CID[]> {
  const writer = await createNode({ bootstrap: [bootstrap], storage: { replication: REPLICATION, writeQuorum: REPLICATION, chunkSize: CHUNK_SIZE } }, { transient: true })
  try {
    const result = await writer.put(bytes)
    assert.equal(result.replicas, REPLICATION)
  } finally {
    await writer.stop()
  }
  return blocksOf(bytes)
}

const counts = (kept: Array<Set<string>>): string => kept.map(set => set.size).join(',')

describe('replica maintenance when a server leaves', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let checker: WeftNode

  before(async () => {
    // every server serves its status: the one the status spec reads must be one still running
    network = await spawnNetwork(6, { args: SERVER_ARGS, http: true })
    checker = await createNode({}, { transient: true })
  })

  after(async () => {
    await checker?.stop()
    await network?.stop()
  })

  it('restores every block of a file to `replication` live servers after a server holding replicas stopped', async () => {
    const cids = await put(randomBytes(24 * CHUNK_SIZE), network.servers[1].multiaddrs[0])
    const before = await keepers(checker, network.servers, cids)
    assert.ok(before.every(set => set.size >= REPLICATION), `replicas per block after the put: ${counts(before)}`)

    // the server keeping the most of the file leaves
    const victim = [...network.servers].sort((a, b) =>
      before.filter(set => set.has(b.peerId)).length - before.filter(set => set.has(a.peerId)).length)[0]
    const lost = before.filter(set => set.has(victim.peerId)).length
    assert.ok(lost > 0)
    await victim.stop()
    const live = network.servers.filter(s => s !== victim)

    const after = await until(async () => keepers(checker, live, cids),
      kept => kept.every(set => set.size >= REPLICATION),
      kept => `live servers keeping each block: ${counts(kept)}`)
    assert.ok(after.every(set => !set.has(victim.peerId)))
  })

  it('reports its sweeps in the node status', async () => {
    // a server still running: the test before stopped one
    const live = network.servers.find(s => s.process.exitCode == null && s.process.signalCode == null) ?? assert.fail('no server is running')
    const status = await statusWhen(live, s => (s.storage.repair?.sweeps ?? 0) > 0, REPAIR_BOUND_MS)
    assert.equal(typeof status.storage.repair?.lastSweepAt, 'number')
    assert.equal(typeof status.storage.repair?.blocksChecked, 'number')
  })
})

describe('replica maintenance when a server joins', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let newcomer: WeftProcess | undefined
  let checker: WeftNode
  let cids: CID[]
  /** The blocks whose `replication` closest servers include the newcomer. */
  let handedOff: CID[]
  /** For each of those, the server it pushed out of the closest. */
  let pushedOut: WeftProcess[]

  before(async () => {
    network = await spawnNetwork(4, { args: SERVER_ARGS })
    checker = await createNode({}, { transient: true })
    cids = await put(randomBytes(24 * CHUNK_SIZE), network.servers[0].multiaddrs[0])
    newcomer = await spawnServer({ bootstrap: [network.servers[0].multiaddrs[0]], args: SERVER_ARGS })
    const all = [...network.servers, newcomer]
    const ids = all.map(s => peerIdFromString(s.peerId))
    handedOff = []
    pushedOut = []
    for (const cid of cids) {
      const closest = (await byDistance(cid.multihash.bytes, ids)).map(String)
      if (closest.slice(0, REPLICATION).includes(newcomer.peerId)) {
        handedOff.push(cid)
        pushedOut.push(all.find(s => s.peerId === closest[REPLICATION]) ?? assert.fail())
      }
    }
    // 25 blocks: the newcomer is among 3 of 5 closest for none of them with probability 0.4^25
    assert.ok(handedOff.length > 0)
  })

  after(async () => {
    await checker?.stop()
    await newcomer?.stop()
    await network?.stop()
  })

  it('hands a newly joined server every block it is now among the closest servers of', async () => {
    const joined = newcomer ?? assert.fail()
    await until(async () => holdingsAt(checker, joined, handedOff),
      holdings => holdings.every(h => h === 'kept'),
      holdings => `the newcomer holds ${holdings.join(',')} of the ${handedOff.length} blocks it is among the closest of`)
  })

  it('a server pushed out of a block\'s closest by the newcomer keeps its copy only as cache once the closest keep it', async () => {
    await until(async () => Promise.all(handedOff.map(async (cid, i) => (await holdingsAt(checker, pushedOut[i], [cid]))[0])),
      holdings => holdings.every(h => h !== 'kept'),
      holdings => `the pushed-out servers hold ${holdings.join(',')}`)
    const kept = await keepers(checker, [...network.servers, newcomer ?? assert.fail()], handedOff)
    assert.ok(kept.every(set => set.size >= REPLICATION), `servers keeping each handed-off block: ${counts(kept)}`)
  })
})
