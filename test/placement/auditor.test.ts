import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Auditor, FAILED_HOLDER_TTL_MS, RECENT_FAILURES, type AuditFailureReason } from '../../src/placement/auditor.js'
import { Replicator } from '../../src/placement/replicator.js'
import { AUDIT_PROTOCOL, auditRequestHandler } from '../../src/protocols/audit-protocol.js'
import { haveRequestHandler, HAVE_PROTOCOL } from '../../src/protocols/have-protocol.js'
import { storeRequestHandler, STORE_PROTOCOL } from '../../src/protocols/store-protocol.js'
import { MemoryBlocks, dialHandler, fakeClock, randomPeerId, rawBlock } from '../support/fakes.js'
import type { Clock } from '../../src/placement/byte-rate.js'
import type { Logger, PeerId, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface FakePeer {
  id: PeerId
  blocks: MemoryBlocks
  /** Replaces the audit handler (a silent holder). */
  audit?: StreamHandler
  /** Replaces the have handler (a holder that says it keeps what it lost). */
  have?: StreamHandler
}

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as Logger

/** A have handler that says `kept` of everything, whatever the store holds. */
const alwaysKept = haveRequestHandler({ roleOf: () => 'replica' })

/**
 * This server (its own MemoryBlocks) and `peers` servers in memory behind the
 * real have, audit and store handlers; every block's candidates are this
 * server, then the peers in order.
 */
async function network (options: { peers: number, replication?: number, clock?: Clock, random?: () => number, deadlineMs?: number, auditsPerHour?: number }): Promise<{
  self: PeerId
  local: MemoryBlocks
  peers: FakePeer[]
  auditor: Auditor
  replicator: Replicator
  failures: Array<{ cid: CID, peer: PeerId, reason: AuditFailureReason }>
  /** Repairs the auditor asked for, settled. */
  repairs: Array<Promise<void>>
}> {
  const self = await randomPeerId()
  const local = new MemoryBlocks()
  const peers: FakePeer[] = await Promise.all(Array.from({ length: options.peers }, async () => ({ id: await randomPeerId(), blocks: new MemoryBlocks() })))
  const replication = options.replication ?? 3
  const finder = {
    candidates: async () => [self, ...peers.map(p => p.id)],
    forgetMembership: () => {},
    explore: async () => {},
    status: () => ({ lookups: 0, answeredLocally: 0, servers: peers.length }),
    down: () => {}
  }
  const open = async (peerId: PeerId, protocol: string): Promise<any> => {
    const peer = peers.find(p => p.id.equals(peerId)) ?? assert.fail(`no peer ${peerId.toString()}`)
    const handlers: Record<string, StreamHandler> = {
      [HAVE_PROTOCOL]: peer.have ?? haveRequestHandler(peer.blocks),
      [AUDIT_PROTOCOL]: peer.audit ?? auditRequestHandler(peer.blocks),
      [STORE_PROTOCOL]: storeRequestHandler(peer.blocks)
    }
    return (await dialHandler(handlers[protocol] ?? assert.fail(protocol), self)).stream
  }
  const failures: Array<{ cid: CID, peer: PeerId, reason: AuditFailureReason }> = []
  const repairs: Array<Promise<void>> = []
  let auditor: Auditor | undefined
  const replicator = new Replicator({ self, replication, blocks: local, finder, open, log, excluded: (peer, cid) => auditor?.failedHolder(peer, cid) === true })
  auditor = new Auditor({
    self,
    replication,
    blocks: local,
    finder,
    open,
    log,
    auditsPerHour: options.auditsPerHour ?? 60,
    deadlineMs: options.deadlineMs ?? 5_000,
    ...(options.clock != null ? { clock: options.clock } : {}),
    ...(options.random != null ? { random: options.random } : {}),
    onFailure: (cid, peer, reason) => {
      failures.push({ cid, peer, reason })
      repairs.push(replicator.repair([cid], AbortSignal.timeout(10_000)))
    }
  })
  return { self, local, peers, auditor, replicator, failures, repairs }
}

/** A block kept here and at the given peers (as replicas). */
async function keptAt (stores: MemoryBlocks[], text = `block ${Math.random()}`): Promise<{ cid: CID, bytes: Uint8Array }> {
  const block = await rawBlock(text, 4096)
  for (const store of stores) await store.put(block.cid, block.bytes, 'replica')
  return block
}

/** `random` that always picks the `index`th of `of` holders (and any one block). */
const picks = (index: number, of: number) => () => (index + 0.5) / of

describe('auditor', () => {
  it('an honest holder passes, and the audit hashes the block twice here: checking this copy, then the proof', async () => {
    const net = await network({ peers: 2 })
    const block = await keptAt([net.local, net.peers[0].blocks, net.peers[1].blocks])

    const outcome = await net.auditor.auditOnce(AbortSignal.timeout(10_000))

    assert.equal(outcome.verdict, 'passed')
    const status = net.auditor.status()
    assert.deepEqual({ audits: status.audits, passed: status.passed, failed: status.failed, bytesHashed: status.bytesHashed, failedHolders: status.failedHolders },
      { audits: 1, passed: 1, failed: 0, bytesHashed: 2 * block.bytes.byteLength, failedHolders: 0 })
    assert.deepEqual(net.failures, [])
  })

  it('a holder that says it keeps the block but answers from lost bytes fails with a wrong proof, and is no longer counted as holding it', async () => {
    const net = await network({ peers: 2, random: picks(1, 2) })
    const block = await keptAt([net.local, net.peers[0].blocks])
    // its disk lost the bytes: zeros where the block was, and still a replica
    await net.peers[1].blocks.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')

    const outcome = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    assert.deepEqual(outcome, { verdict: 'failed', cid: block.cid, peer: net.peers[1].id, reason: 'wrong' })
    assert.ok(net.auditor.failedHolder(net.peers[1].id, block.cid))
    assert.ok(!net.auditor.failedHolder(net.peers[0].id, block.cid))
    const status = net.auditor.status()
    assert.equal(status.failures.wrong, 1)
    assert.equal(status.failedHolders, 1)
    assert.deepEqual(status.recent.map(f => [f.peer, f.cid, f.reason]), [[net.peers[1].id.toString(), block.cid.toString(), 'wrong']])
  })

  it('a failed audit has the block pushed to the next closest server, not back to the failed holder', async () => {
    const net = await network({ peers: 3, random: picks(1, 2) })
    const block = await keptAt([net.local, net.peers[0].blocks])
    await net.peers[1].blocks.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')
    const liarPuts = net.peers[1].blocks.puts.length

    await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))
    await Promise.all(net.repairs)

    assert.equal(net.peers[2].blocks.roleOf(block.cid), 'replica', 'the next closest server keeps it now')
    assert.equal(net.peers[1].blocks.puts.length, liarPuts, 'the failed holder was not sent it')
    assert.equal(net.replicator.status().pushed, 1)
  })

  it('a holder that says kept over have, then not held to the audit, fails as not held', async () => {
    const net = await network({ peers: 2, random: picks(0, 2) })
    const block = await keptAt([net.local, net.peers[1].blocks])
    net.peers[0].have = alwaysKept

    const outcome = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    assert.equal(outcome.verdict === 'failed' && outcome.reason, 'not-held')
    assert.equal(net.failures.length, 1)
  })

  it('a holder that does not answer within the deadline fails as late', async () => {
    const net = await network({ peers: 1, deadlineMs: 30 })
    const block = await keptAt([net.local, net.peers[0].blocks])
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    // reads nothing and answers nothing until the audit is over
    net.peers[0].audit = async () => { await held }

    const outcome = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))
    release()

    assert.equal(outcome.verdict === 'failed' && outcome.reason, 'late')
    assert.match(net.auditor.status().recent[0].detail ?? '', /within \d+ ms/)
  })

  it('audits no server that does not say it keeps the block: repair, not audits, deals with those', async () => {
    const net = await network({ peers: 2 })
    const block = await keptAt([net.local])

    const outcome = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    assert.equal(outcome.verdict, 'skipped')
    assert.match(outcome.verdict === 'skipped' ? outcome.why : '', /does not say it keeps/)
    assert.deepEqual(net.failures, [])
  })

  it('audits no one with a damaged copy of its own, so an honest holder is never blamed for it', async () => {
    const net = await network({ peers: 1 })
    const block = await keptAt([net.peers[0].blocks])
    await net.local.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')

    const outcome = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    assert.equal(outcome.verdict, 'skipped')
    assert.match(outcome.verdict === 'skipped' ? outcome.why : '', /own copy .* is damaged/)
    assert.deepEqual(net.failures, [])
  })

  it('audits only the block\'s replication closest, and not a holder that failed already', async () => {
    const net = await network({ peers: 3, replication: 2, random: picks(0, 1) })
    const block = await keptAt([net.local, ...net.peers.map(p => p.blocks)])
    net.peers[0].have = alwaysKept
    await net.peers[0].blocks.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')

    const first = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))
    const second = await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    assert.equal(first.verdict === 'failed' && first.peer.toString(), net.peers[0].id.toString())
    // with p0 not counted, the other member of a set of 2 is p1; p2 is never audited
    assert.equal(second.verdict === 'passed' && second.peer.toString(), net.peers[1].id.toString())
  })

  it('counts a failed holder again after FAILED_HOLDER_TTL_MS', async () => {
    const clock = fakeClock()
    const net = await network({ peers: 1, clock })
    const block = await keptAt([net.local])
    await net.peers[0].blocks.put(block.cid, new Uint8Array(block.bytes.byteLength), 'replica')

    await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))
    assert.ok(net.auditor.failedHolder(net.peers[0].id, block.cid))
    await clock.sleep(FAILED_HOLDER_TTL_MS, AbortSignal.timeout(1000))

    assert.ok(!net.auditor.failedHolder(net.peers[0].id, block.cid))
    assert.equal(net.auditor.status().failedHolders, 0)
  })

  it('keeps the last RECENT_FAILURES failures for the status', async () => {
    const net = await network({ peers: 1 })
    const blocks = await Promise.all(Array.from({ length: RECENT_FAILURES + 2 }, async (_, i) => keptAt([net.local], `failing ${i}`)))
    net.peers[0].have = alwaysKept
    for (const block of blocks) await net.auditor.audit(block.cid, AbortSignal.timeout(10_000))

    const status = net.auditor.status()
    assert.equal(status.failed, RECENT_FAILURES + 2)
    assert.equal(status.recent.length, RECENT_FAILURES)
    assert.equal(status.recent.at(-1)?.cid, blocks.at(-1)?.cid.toString())
  })

  it('starts an audit every 3600 / auditsPerHour s, jittered ±25 %, one at a time, until stopped', async () => {
    const fake = fakeClock()
    let stop: () => void = () => {}
    const sixthSleep = new Promise<void>(resolve => { stop = resolve })
    const clock: Clock = {
      now: fake.now,
      sleep: async (ms, signal) => {
        await fake.sleep(ms, signal)
        if (fake.sleeps.length === 6) {
          stop()
          await new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
        }
        signal.throwIfAborted()
      }
    }
    const net = await network({ peers: 1, clock, auditsPerHour: 120 })
    await keptAt([net.local, net.peers[0].blocks])

    net.auditor.start()
    await sixthSleep
    await net.auditor.stop()

    assert.equal(fake.sleeps.length, 6)
    for (const ms of fake.sleeps) assert.ok(ms >= 22_500 && ms <= 37_500, `waited ${ms} ms between audits`)
    // the sixth sleep was cut short by stop(): five audits ran
    assert.equal(net.auditor.status().audits, 5)
  })

  it('starts no audits with auditsPerHour 0', async () => {
    const clock = fakeClock()
    const net = await network({ peers: 1, clock, auditsPerHour: 0 })
    net.auditor.start()
    await net.auditor.stop()
    assert.deepEqual(clock.sleeps, [])
  })
})
