import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { QuotaExceededError } from '../../src/errors.js'
import { PUSHES_IN_FLIGHT, Replicator } from '../../src/placement/replicator.js'
import type { Clock } from '../../src/placement/byte-rate.js'
import { haveRequestHandler, HAVE_PROTOCOL } from '../../src/protocols/have-protocol.js'
import { HaveRequest } from '../../src/protocols/pb/have.js'
import { storeRequestHandler, STORE_PROTOCOL } from '../../src/protocols/store-protocol.js'
import { MemoryBlocks, dialHandler, fakeClock, randomPeerId, rawBlock } from '../support/fakes.js'
import type { BlockRole } from '../../src/store/local-blocks.js'
import type { Logger, PeerId, StreamHandler } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface FakePeer {
  id: PeerId
  blocks: MemoryBlocks
  /** Dials fail: the server left. */
  down?: boolean
  /** An older server: no have protocol. */
  noHave?: boolean
  /** Replaces the have handler (a hostile or silent peer). */
  have?: StreamHandler
}

/**
 * Servers in memory, each a MemoryBlocks behind the real have and store
 * handlers, and this server's Replicator over them. Every block's candidates
 * are `order` (or what `orderOf` says): the decisions, not XOR, are tested.
 */
async function network (options: { replication: number, peers: number, orderOf?: (cid: CID, self: PeerId, peers: FakePeer[]) => PeerId[], bytesPerSecond?: number, clock?: Clock }): Promise<{
  self: PeerId
  local: MemoryBlocks
  peers: FakePeer[]
  replicator: Replicator
  /** Streams opened, as `<peer index>:<have|store>`. */
  opened: string[]
  errors: string[]
  setOrder: (order: PeerId[]) => void
  lookups: { forgotten: number, failFor?: CID }
}> {
  const self = await randomPeerId()
  const local = new MemoryBlocks()
  const peers: FakePeer[] = await Promise.all(Array.from({ length: options.peers }, async () => ({ id: await randomPeerId(), blocks: new MemoryBlocks() })))
  const opened: string[] = []
  const errors: string[] = []
  let order: PeerId[] = [self, ...peers.map(p => p.id)]
  const lookups: { forgotten: number, explored: number, failFor?: CID } = { forgotten: 0, explored: 0 }
  const log = Object.assign(() => {}, {
    // debug's placeholders (%c a CID, %p a peer, %s…), filled in as the logger would
    error: (format: string, ...args: unknown[]) => { errors.push(format.replace(/%[a-z]/g, () => String(args.shift()))) },
    trace: () => {},
    enabled: false
  }) as unknown as Logger
  const replicator = new Replicator({
    self,
    replication: options.replication,
    blocks: local,
    finder: {
      candidates: async (cid) => {
        if (lookups.failFor?.equals(cid) === true) throw new Error('lookup timed out')
        return options.orderOf?.(cid, self, peers) ?? order
      },
      forgetMembership: () => { lookups.forgotten++ },
      explore: async () => { lookups.explored++ },
      status: () => ({ lookups: lookups.explored, answeredLocally: 0, servers: peers.length }),
      down: () => {}
    },
    open: async (peerId, protocol) => {
      const index = peers.findIndex(p => p.id.equals(peerId))
      const peer = peers[index] ?? assert.fail(`no peer ${peerId.toString()}`)
      opened.push(`${index}:${protocol === HAVE_PROTOCOL ? 'have' : 'store'}`)
      if (peer.down === true) throw Object.assign(new Error('connection refused'), { name: 'DialError' })
      if (protocol === HAVE_PROTOCOL && peer.noHave === true) throw Object.assign(new Error('protocol selection failed'), { name: 'UnsupportedProtocolError' })
      const handler = protocol === HAVE_PROTOCOL ? peer.have ?? haveRequestHandler(peer.blocks) : storeRequestHandler(peer.blocks)
      assert.ok(protocol === HAVE_PROTOCOL || protocol === STORE_PROTOCOL)
      return (await dialHandler(handler, self)).stream
    },
    log,
    ...(options.bytesPerSecond != null ? { bytesPerSecond: options.bytesPerSecond } : {}),
    ...(options.clock != null ? { clock: options.clock } : {})
  })
  return { self, local, peers, replicator, opened, errors, setOrder: (o) => { order = o }, lookups }
}

async function blocksOf (count: number, role: BlockRole, into: MemoryBlocks[]): Promise<Array<{ cid: CID, bytes: Uint8Array }>> {
  const blocks = await Promise.all(Array.from({ length: count }, async (_, i) => rawBlock(`block ${i} ${Math.random()}`)))
  for (const store of into) for (const { cid, bytes } of blocks) await store.put(cid, bytes, role)
  return blocks
}

const roleAt = (store: MemoryBlocks, cid: CID): BlockRole | undefined => store.roleOf(cid)

describe('replicator', () => {
  it('pushes a block only to the members of its replica set that do not keep it', async () => {
    const net = await network({ replication: 3, peers: 4 })
    const [block] = await blocksOf(1, 'replica', [net.local, net.peers[0].blocks])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.deepEqual(net.peers.map(p => roleAt(p.blocks, block.cid)), ['replica', 'replica', undefined, undefined])
    assert.deepEqual(net.peers[0].blocks.puts.length, 1, 'the holder was not sent the block again')
    assert.deepEqual(net.opened.sort(), ['0:have', '1:have', '1:store'])
    assert.deepEqual({ ...net.replicator.status(), lastSweepAt: 0, lastSweepMs: 0 }, { sweeps: 1, running: false, lastSweepAt: 0, lastSweepMs: 0, blocksChecked: 1, pushed: 1, released: 0, failures: 0, lookups: 1 })
  })

  it('leaves a missing member to a closer holder when sweeping for servers that left: that holder pushes', async () => {
    const net = await network({ replication: 3, peers: 3 })
    // p0 is closer to the block than this server, and keeps it too
    net.setOrder([net.peers[0].id, net.self, net.peers[1].id, net.peers[2].id])
    const [block] = await blocksOf(1, 'replica', [net.local, net.peers[0].blocks])

    await net.replicator.sweep(AbortSignal.timeout(10_000), { membershipChanged: true })

    assert.equal(roleAt(net.peers[1].blocks, block.cid), undefined, 'left to p0')
    assert.equal(net.replicator.status().pushed, 0)
    assert.deepEqual(net.opened.sort(), ['0:have', '1:have'], 'and no one further down was asked in its place')
  })

  it('pushes to a missing member on a periodic sweep even when a closer holder exists (the fallback if that one never swept)', async () => {
    const net = await network({ replication: 3, peers: 3 })
    net.setOrder([net.peers[0].id, net.self, net.peers[1].id, net.peers[2].id])
    const [block] = await blocksOf(1, 'replica', [net.local, net.peers[0].blocks])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(roleAt(net.peers[1].blocks, block.cid), 'replica')
    assert.equal(net.replicator.status().pushed, 1)
  })

  it('paces its pushes at repairBytesPerSecond: the last of them waits until all went at that rate', async () => {
    const clock = fakeClock()
    const net = await network({ replication: 2, peers: 2, bytesPerSecond: 100, clock })
    const blocks = await blocksOf(8, 'replica', [net.local])
    const total = blocks.reduce((sum, b) => sum + b.bytes.byteLength, 0)

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(net.replicator.status().pushed, 8)
    // the first 100 bytes go at once (a second's worth), the rest at 100 B/s
    assert.equal(Math.round(Math.max(...clock.sleeps)), Math.round((total - 100) / 100 * 1000))
  })

  it('asks each peer once about a whole batch of blocks and pushes them on one stream', async () => {
    const net = await network({ replication: 2, peers: 2 })
    const blocks = await blocksOf(40, 'replica', [net.local])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.deepEqual(net.opened.sort(), ['0:have', '0:store'])
    for (const { cid } of blocks) assert.equal(roleAt(net.peers[0].blocks, cid), 'replica')
    assert.equal(net.replicator.status().pushed, 40)
  })

  it('pushes to a member that holds the block only as cache, which then keeps it', async () => {
    const net = await network({ replication: 2, peers: 2 })
    const [block] = await blocksOf(1, 'replica', [net.local])
    await net.peers[0].blocks.put(block.cid, block.bytes, 'cache')

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(roleAt(net.peers[0].blocks, block.cid), 'replica')
  })

  it('replaces a member that is down by the next-closest server, and dials it once per sweep', async () => {
    const net = await network({ replication: 3, peers: 4 })
    net.peers[0].down = true
    const blocks = await blocksOf(SWEEP_BLOCKS, 'replica', [net.local])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    for (const { cid } of blocks) {
      assert.deepEqual(net.peers.map(p => roleAt(p.blocks, cid)), [undefined, 'replica', 'replica', undefined])
    }
    assert.equal(net.opened.filter(o => o.startsWith('0:')).length, 1)
    assert.equal(net.replicator.status().failures, 1)
    assert.match(net.errors[0], new RegExp(`could not ask.*${net.peers[0].id.toString()}.*connection refused`))
  })

  it('replaces a member that refuses the block (its quota) by the next-closest server', async () => {
    const net = await network({ replication: 2, peers: 3 })
    net.peers[0].blocks.beforePut = (cid, bytes) => new QuotaExceededError(cid.toString(), bytes.byteLength, 10, 10)
    const [block] = await blocksOf(1, 'replica', [net.local])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.deepEqual(net.peers.map(p => roleAt(p.blocks, block.cid)), [undefined, 'replica', undefined])
    assert.equal(net.replicator.status().failures, 1)
    assert.match(net.errors[0], /refused.*quota/)
  })

  it('pushes without asking to a server that does not speak the have protocol', async () => {
    const net = await network({ replication: 2, peers: 1 })
    net.peers[0].noHave = true
    const blocks = await blocksOf(3, 'replica', [net.local])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    for (const { cid } of blocks) assert.equal(roleAt(net.peers[0].blocks, cid), 'replica')
    assert.deepEqual(net.opened.sort(), ['0:have', '0:store'])
    assert.equal(net.replicator.status().failures, 0)
  })

  it('releases its replica to cache when replication closer servers keep the block', async () => {
    const net = await network({ replication: 2, peers: 3 })
    const [block] = await blocksOf(1, 'replica', [net.local, net.peers[0].blocks])
    net.setOrder([...net.peers.map(p => p.id), net.self])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(roleAt(net.local, block.cid), 'cache')
    assert.deepEqual(net.peers.map(p => roleAt(p.blocks, block.cid)), ['replica', 'replica', undefined])
    assert.equal(net.replicator.status().released, 1)
  })

  it('keeps its replica when a closer server could not confirm it keeps the block', async () => {
    const net = await network({ replication: 2, peers: 3 })
    const [block] = await blocksOf(1, 'replica', [net.local, net.peers[0].blocks, net.peers[1].blocks])
    net.peers[1].down = true
    net.setOrder([...net.peers.map(p => p.id).slice(0, 2), net.self, net.peers[2].id])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(roleAt(net.local, block.cid), 'replica')
    assert.equal(roleAt(net.peers[2].blocks, block.cid), undefined, 'this server is the second live member')
    assert.equal(net.replicator.status().released, 0)
  })

  it('maintains pinned blocks too, and never unpins them', async () => {
    const net = await network({ replication: 2, peers: 2 })
    const [block] = await blocksOf(1, 'pinned', [net.local])
    net.setOrder([...net.peers.map(p => p.id), net.self])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.deepEqual(net.peers.map(p => roleAt(p.blocks, block.cid)), ['replica', 'replica'])
    assert.equal(roleAt(net.local, block.cid), 'pinned')
  })

  it('leaves cached blocks alone', async () => {
    const net = await network({ replication: 2, peers: 1 })
    await blocksOf(2, 'cache', [net.local])

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.deepEqual(net.opened, [])
    assert.equal(net.replicator.status().blocksChecked, 0)
  })

  it('counts and logs a failed lookup, and goes on with the other blocks', async () => {
    const net = await network({ replication: 2, peers: 1 })
    const [lost, found] = await blocksOf(2, 'replica', [net.local])
    net.lookups.failFor = lost.cid

    await net.replicator.sweep(AbortSignal.timeout(10_000))

    assert.equal(roleAt(net.peers[0].blocks, found.cid), 'replica')
    assert.equal(roleAt(net.peers[0].blocks, lost.cid), undefined)
    assert.equal(net.replicator.status().failures, 1)
    assert.match(net.errors[0], /finding the replica set of .* failed: lookup timed out/)
  })

  it('forgets the learned membership before a sweep for a membership change', async () => {
    const net = await network({ replication: 1, peers: 1 })
    await net.replicator.sweep(AbortSignal.timeout(10_000))
    assert.equal(net.lookups.forgotten, 0)
    await net.replicator.sweep(AbortSignal.timeout(10_000), { membershipChanged: true })
    assert.equal(net.lookups.forgotten, 1)
  })

  it('holds at most PUSHES_IN_FLIGHT blocks read and unacknowledged, over all peers', async () => {
    const net = await network({ replication: 4, peers: 3 })
    await blocksOf(20, 'replica', [net.local])
    let reads = 0
    const get = net.local.get.bind(net.local)
    net.local.get = async (cid) => { reads++; return get(cid) }
    let open = (): void => {}
    const gate = new Promise<void>(resolve => { open = resolve })
    for (const peer of net.peers) peer.blocks.beforePut = async () => { await gate }

    const sweep = net.replicator.sweep(AbortSignal.timeout(10_000))
    // nothing is acknowledged until the gate opens: reads reach the bound and stop there
    const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }
    for (let i = 0; i < 10_000 && reads < PUSHES_IN_FLIGHT; i++) await turn()
    for (let i = 0; i < 200; i++) await turn()
    assert.equal(reads, PUSHES_IN_FLIGHT)
    open()
    await sweep
    assert.equal(net.replicator.status().pushed, 60)
  })

  it('ends a sweep when its signal aborts, with the reason, and can sweep again', async () => {
    const net = await network({ replication: 2, peers: 1 })
    await blocksOf(1, 'replica', [net.local])
    // a peer that takes the request and never answers
    let onAsked = (): void => {}
    const asked = new Promise<void>(resolve => { onAsked = resolve })
    net.peers[0].have = async (stream) => {
      await pbStream(stream).read(HaveRequest)
      onAsked()
    }
    const controller = new AbortController()
    const reason = new Error('node stopping')
    const sweep = net.replicator.sweep(controller.signal)
    // stopped while it waits on the silent peer
    await asked
    controller.abort(reason)

    await assert.rejects(sweep, (err) => err === reason)
    assert.equal(net.replicator.status().running, false)
    assert.equal(net.replicator.status().failures, 0)

    net.peers[0].have = undefined
    await net.replicator.sweep(AbortSignal.timeout(10_000))
    assert.equal(net.replicator.status().pushed, 1)
  })
})

/** More blocks than one batch, so a dead peer would be dialled again per batch if it were not remembered. */
const SWEEP_BLOCKS = 70
