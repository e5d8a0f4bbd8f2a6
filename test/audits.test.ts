import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode, HAVE_PROTOCOL, requestHave, type Holding, type NodeStatus, type WeftNode } from '../src/index.js'
import { importContent } from '../src/content/import.js'
import { knownPeers, trueClosest } from '../src/testing/closest.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { pollUntil } from './support/status.js'
import { runWeft, spawnNetwork, spawnServer, type WeftProcess } from './support/weft-process.js'
import type { CID } from 'multiformats/cid'

const REPLICATION = 3
/**
 * An audit every 5 s on each server (the default is one a minute), and a
 * deadline no busy test machine misses: the lie is caught by its wrong
 * proof, not by time.
 */
const SERVER_ARGS = ['--storage.replication', String(REPLICATION), '--storage.audits-per-hour', '720', '--storage.audit-deadline-ms', '10000']
/**
 * The liar audits no one: its own auditor would read its damaged copy, and
 * its store, which checks what it reads, would drop the block and have it
 * repaired before any other holder asked: then there is no lie to find.
 */
const LIAR_ARGS = ['--storage.replication', String(REPLICATION), '--storage.audits-per-hour', '0']
/** Two holders audit the liar at random among two others, each every 5 s (±25 %): found in about 10 s. */
const FOUND_BOUND_MS = 90_000
const POLL_MS = 500

/** What `server` says it holds of `cid`, asked over `/weft/have/1.0.0`. */
async function holdingAt (checker: WeftNode, server: WeftProcess, cid: CID): Promise<Holding> {
  const signal = AbortSignal.timeout(10_000)
  const stream = await checker.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), HAVE_PROTOCOL, { signal })
  return (await requestHave(stream, [cid], { signal, peer: server.peerId }))[0]
}

async function statusOf (server: WeftProcess): Promise<NodeStatus> {
  return await (await fetch(new URL('weft/status.json', server.httpUrl ?? assert.fail('no HTTP')))).json() as NodeStatus
}

/** Every file under `dir`. */
async function filesUnder (dir: string): Promise<string[]> {
  const files: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...await filesUnder(path))
    else files.push(path)
  }
  return files
}

describe('storage audits between server processes', () => {
  let network: Awaited<ReturnType<typeof spawnNetwork>>
  let checker: WeftNode
  let cid: CID
  let holders: WeftProcess[]
  let members: WeftProcess[]
  let liar: WeftProcess
  let bystander: WeftProcess

  before(async () => {
    network = await spawnNetwork(4, { args: SERVER_ARGS, http: true })
    checker = await createNode({}, { transient: true })
    // one block: smaller than a leaf
    const bytes = randomBytes(300_000)
    const cids: CID[] = []
    await importContent(bytes, { put: async (c: CID) => { cids.push(c); return c } }, {})
    assert.equal(cids.length, 1)
    cid = cids[0]
    // the writer joins through every server, so it places the block where the
    // servers themselves see its closest 3: the holders that audit each other
    const writer = await createNode({ bootstrap: network.servers.map(s => s.multiaddrs[0]), storage: { replication: REPLICATION, writeQuorum: REPLICATION } }, { transient: true })
    try {
      await writer.joined({ timeoutMs: 30_000 })
      assert.equal((await writer.put(bytes)).cid.toString(), cid.toString())
    } finally {
      await writer.stop()
    }
    const holdings = await Promise.all(network.servers.map(async s => holdingAt(checker, s, cid)))
    holders = network.servers.filter((_, i) => holdings[i] === 'kept')
    assert.equal(holders.length, REPLICATION, `holdings after the put: ${holdings.join(',')}`)
    // the servers audit the holders they see among the block's closest: the
    // liar is one of those. A put on a busy machine may have passed a slow
    // server for the next one, so the true closest are computed, not assumed
    const closest = (await trueClosest(cid.multihash.bytes, await knownPeers(network.servers.map(s => peerIdFromString(s.peerId))), REPLICATION)).map(String)
    members = holders.filter(s => closest.includes(s.peerId))
    assert.ok(members.length >= 2, `holders ${holders.map(s => s.peerId).join(', ')}; closest ${closest.join(', ')}`)
    const chosen = members[members.length - 1]
    bystander = network.servers.find(s => !holders.includes(s)) ?? assert.fail()
    // the liar starts again on its data directory (same PeerId, same block), auditing no one
    await chosen.stop()
    const others = network.servers.filter(s => s !== chosen)
    liar = await spawnServer({ dataDir: chosen.dataDir, http: true, args: LIAR_ARGS, bootstrap: others.map(s => s.multiaddrs[0]) })
    assert.equal(liar.peerId, chosen.peerId)
    // the network's list (and its stop) has the running process
    network.servers[network.servers.indexOf(chosen)] = liar
    members = members.map(s => s === chosen ? liar : s)
    holders = holders.map(s => s === chosen ? liar : s)
    await pollUntil(async () => holdingAt(checker, liar, cid), h => h === 'kept', h => `the restarted liar holds ${h}`, { timeoutMs: 30_000, intervalMs: POLL_MS })
  })

  after(async () => {
    await checker?.stop()
    await network?.stop()
  })

  it('a holder that answers have with kept but lost the bytes is found out by an audit, shows in the status, and the block goes to another server', async () => {
    // behind the server's back: the block file holds zeros where the bytes were
    const files = (await filesUnder(join(liar.dataDir, 'blocks'))).filter(f => f.endsWith('.data'))
    assert.equal(files.length, 1, `block files: ${files.join(', ')}`)
    await writeFile(files[0], new Uint8Array((await stat(files[0])).size))
    assert.equal(await holdingAt(checker, liar, cid), 'kept', 'the liar still says it keeps the block')

    const honest = members.filter(s => s !== liar)
    const found = await pollUntil(async () => Promise.all(honest.map(statusOf)),
      statuses => statuses.some(s => (s.storage.audit?.recent ?? []).some(f => f.peer === liar.peerId && f.cid === cid.toString())),
      statuses => `audits: ${JSON.stringify(statuses.map(s => s.storage.audit))}`,
      { timeoutMs: FOUND_BOUND_MS, intervalMs: POLL_MS })
    const auditor = honest[found.findIndex(s => (s.storage.audit?.recent ?? []).some(f => f.peer === liar.peerId))]
    const audit = found[honest.indexOf(auditor)].storage.audit ?? assert.fail()
    assert.ok(audit.failed >= 1)
    // a wrong proof from the zeros; "not held" from a store that verifies what it reads
    assert.ok(audit.failures.wrong + audit.failures['not-held'] >= 1, JSON.stringify(audit.failures))
    // no honest holder was blamed, by any server
    for (const status of await Promise.all(network.servers.map(statusOf))) {
      for (const failure of status.storage.audit?.recent ?? []) assert.equal(failure.peer, liar.peerId, JSON.stringify(failure))
    }

    // the server that found it out pushed the block to the server that did not hold it
    await pollUntil(async () => holdingAt(checker, bystander, cid), h => h === 'kept', h => `the fourth server holds ${h}`,
      { timeoutMs: FOUND_BOUND_MS, intervalMs: POLL_MS })

    const shown = await runWeft(['status', '--url', auditor.httpUrl ?? assert.fail()])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /audits\s+\d+ passed, [1-9]\d* failed \([^)]*\d+ (wrong|not-held)/)
    assert.match(shown.stdout, new RegExp(`(wrong|not-held): ${liar.peerId} for ${cid.toString()}`))
  })
})
