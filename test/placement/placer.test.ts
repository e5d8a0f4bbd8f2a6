import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { QuotaExceededError } from '../../src/errors.js'
import { Placer } from '../../src/placement/placer.js'
import { haveRequestHandler, HAVE_PROTOCOL } from '../../src/protocols/have-protocol.js'
import { STORE_WINDOW } from '../../src/protocols/limits.js'
import { storeRequestHandler, STORE_PROTOCOL, type Forward } from '../../src/protocols/store-protocol.js'
import { MemoryBlocks, dialHandler, randomPeerId, rawBlock } from '../support/fakes.js'
import type { PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

interface FakeServer { id: PeerId, blocks: MemoryBlocks, down?: boolean, haveAsked: number }

/**
 * Servers in memory behind the real store handler, and a Placer over them
 * whose finder answers `order` (and `freshOrder` when asked afresh): the
 * placement decisions are tested, not XOR.
 */
async function network (options: { servers: number, replication: number, writeQuorum: number, forwarding?: boolean, forward?: Forward, pushTimeoutMs?: number }): Promise<{
  servers: FakeServer[]
  placer: Placer
  finder: { order: PeerId[], freshOrder?: PeerId[], fresh: number, down: string[] }
}> {
  const uploader = await randomPeerId()
  const servers: FakeServer[] = await Promise.all(Array.from({ length: options.servers }, async () => ({ id: await randomPeerId(), blocks: new MemoryBlocks(), haveAsked: 0 })))
  const finder = { order: servers.map(s => s.id), freshOrder: undefined as PeerId[] | undefined, fresh: 0, down: [] as string[] }
  const placer = new Placer({
    replication: options.replication,
    writeQuorum: options.writeQuorum,
    finder: {
      candidates: async (_cid: CID, _signal: AbortSignal, opts: { fresh?: boolean } = {}) => {
        if (opts.fresh === true) finder.fresh++
        return opts.fresh === true ? finder.freshOrder ?? finder.order : finder.order
      },
      down: (peer: PeerId) => { finder.down.push(peer.toString()) }
    },
    open: async (peer, protocol) => {
      const server = servers.find(s => s.id.equals(peer)) ?? assert.fail(`no server ${peer.toString()}`)
      if (server.down === true) throw Object.assign(new Error('connection refused'), { name: 'DialError' })
      if (protocol === HAVE_PROTOCOL) {
        server.haveAsked++
        return (await dialHandler(haveRequestHandler(server.blocks), uploader)).stream
      }
      // a forwarding server stores straight into the servers it is asked to forward to
      const forward: Forward | undefined = options.forward ?? (options.forwarding === true
        ? async (cid, bytes, targets) => {
          const took = servers.filter(s => targets.some(t => t.equals(s.id)) && s.down !== true)
          for (const s of took) await s.blocks.put(cid, bytes, 'replica')
          return { holders: took.map(s => s.id), pending: 0 }
        }
        : undefined)
      return (await dialHandler(storeRequestHandler(server.blocks, { forward }), uploader)).stream
    },
    storeProtocol: STORE_PROTOCOL,
    storeHere: async () => { assert.fail('the uploader holds no replicas') },
    window: STORE_WINDOW,
    ...(options.pushTimeoutMs != null ? { pushTimeoutMs: options.pushTimeoutMs } : {}),
    signal: AbortSignal.timeout(30_000)
  })
  return { servers, placer, finder }
}

const holders = (servers: FakeServer[], cid: CID): boolean[] => servers.map(s => s.blocks.roleOf(cid) === 'replica')

describe('placer', () => {
  it('sends nothing for a block its replica set keeps already (the same file put again)', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forwarding: true })
    const block = await rawBlock('put twice')
    for (const s of net.servers.slice(0, 3)) await s.blocks.put(block.cid, block.bytes, 'replica')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.deepEqual({ replicas: placed.replicas, alreadyKept: placed.alreadyKept, sent: placed.sent }, { replicas: 3, alreadyKept: 3, sent: false })
    assert.equal(net.placer.bytesSent, 0)
    assert.deepEqual(net.servers.map(s => s.blocks.puts.length), [1, 1, 1, 0, 0, 0], 'only the seeding puts')
  })

  it('sends a block only to the members of its replica set that lack it (a put cut short and run again)', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forwarding: true })
    const block = await rawBlock('half placed')
    await net.servers[0].blocks.put(block.cid, block.bytes, 'replica')
    await net.servers[2].blocks.put(block.cid, block.bytes, 'replica')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, true, true, false, false, false])
    assert.equal(net.placer.bytesSent, block.bytes.byteLength, 'sent once, to the one member that lacked it')
    assert.equal(net.servers[1].blocks.puts.length, 1)
  })

  it('asks only the closest member whether it keeps a new block before sending it', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forwarding: true })
    const block = await rawBlock('new block')
    await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.deepEqual(net.servers.map(s => s.haveAsked), [1, 0, 0, 0, 0, 0])
  })

  it('sends each block once, to its closest server, which forwards it to the rest of the replica set', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forwarding: true })
    const block = await rawBlock('sent once')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, true, true, false, false, false])
    assert.equal(net.placer.bytesSent, block.bytes.byteLength)
    assert.equal(net.servers[0].blocks.puts.length, 1)
  })

  it('pushes from the uploader to the next closest where a forwarded push failed', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forwarding: true })
    net.servers[1].down = true
    const block = await rawBlock('one forward failed')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, false, true, true, false, false])
    assert.equal(net.placer.bytesSent, 2 * block.bytes.byteLength)
    // the first holder answered without it and nothing pending: reported, though it cannot say why
    assert.deepEqual(placed.refusals, [`${net.servers[1].id.toString()}: refused or failed the push on from ${net.servers[0].id.toString()}`])
  })

  it('reaches the quorum with servers that confirmed, not with pushes a first holder says it is still making', async () => {
    // a first holder that answers at once with every push still going
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2, forward: async (_cid, _bytes, targets) => ({ holders: [], pending: targets.length }) })
    const block = await rawBlock('promised, not kept')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.ok(placed.replicas >= 2, `${placed.replicas} servers confirmed`)
    assert.equal(holders(net.servers, block.cid).filter(Boolean).length, placed.replicas)
  })

  it('pushes to every member itself where the closest server does not forward (an older server)', async () => {
    const net = await network({ servers: 4, replication: 3, writeQuorum: 2 })
    const block = await rawBlock('no forwarding')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, true, true, false])
    assert.equal(net.placer.bytesSent, 3 * block.bytes.byteLength)
  })

  it('stores a block at its replication closest servers, and nowhere else', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2 })
    const block = await rawBlock('one')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, true, true, false, false, false])
  })

  it('replaces a server that refuses (its quota) and one that is down by the next closest', async () => {
    const net = await network({ servers: 6, replication: 3, writeQuorum: 2 })
    net.servers[0].blocks.beforePut = (cid, bytes) => new QuotaExceededError(cid.toString(), bytes.byteLength, 10, 10)
    net.servers[1].down = true
    const block = await rawBlock('two')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [false, false, true, true, true, false])
    assert.equal(placed.refusals.length, 2)
    assert.match(placed.refusals.join('; '), /quota/)
    assert.deepEqual(net.finder.down, [net.servers[1].id.toString()], 'the server that is down is reported, the full one is not')
  })

  it('counts a replica per server: a block tried again never counts one server twice', async () => {
    const net = await network({ servers: 1, replication: 5, writeQuorum: 3 })
    const block = await rawBlock('three')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 1)
  })

  it('asks afresh for servers when a block falls short, and reaches the quorum through one that appeared', async () => {
    const net = await network({ servers: 4, replication: 3, writeQuorum: 3 })
    // the first answer knew only two servers; the network shows the rest when asked again
    net.finder.order = net.servers.slice(0, 2).map(s => s.id)
    net.finder.freshOrder = net.servers.map(s => s.id)
    const block = await rawBlock('four')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, true, true, false])
    assert.equal(net.finder.fresh, 1)
  })

  it('at the quorum but short of replication, asks afresh once and stops', async () => {
    const net = await network({ servers: 3, replication: 5, writeQuorum: 3 })
    const block = await rawBlock('five')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.equal(net.finder.fresh, 1)
  })

  it('below the quorum, keeps asking with backoff and stores at a server that was refusing', async () => {
    const net = await network({ servers: 2, replication: 2, writeQuorum: 2 })
    let refusals = 2
    net.servers[1].blocks.beforePut = (cid, bytes) => refusals-- > 0 ? new QuotaExceededError(cid.toString(), bytes.byteLength, 10, 10) : undefined
    const block = await rawBlock('six')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 2)
    assert.ok(net.finder.fresh >= 2, `${net.finder.fresh} fresh asks`)
  })

  it('gives a block a server never answers for to the next closest, and says the silent one timed out', async () => {
    const net = await network({ servers: 4, replication: 3, writeQuorum: 3, pushTimeoutMs: 300 })
    // takes the stream and the block, and never answers
    net.servers[1].blocks.beforePut = async () => new Promise<never>(() => {})
    const block = await rawBlock('silent server')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [true, false, true, true])
    assert.deepEqual(placed.refusals, [`${net.servers[1].id.toString()}: timed out after 300 ms`])
    assert.deepEqual(net.finder.down, [net.servers[1].id.toString()], 'the blocks after it go elsewhere from the start')
  })

  it('never times out a server that answers slowly but steadily, however long a block waits behind the others', async () => {
    const net = await network({ servers: 2, replication: 1, writeQuorum: 1, pushTimeoutMs: 300 })
    // one block at a time, 120 ms each: the sixth waits 720 ms for its answer
    let queue = Promise.resolve()
    net.servers[0].blocks.beforePut = async () => {
      const turn = queue.then(async () => { await new Promise(resolve => setTimeout(resolve, 120)) })
      queue = turn
      await turn
    }
    const blocks = await Promise.all(Array.from({ length: 6 }, async (_, i) => rawBlock(`steady ${i}`)))
    const placed = await Promise.all(blocks.map(async b => net.placer.place(b.cid, b.bytes)))
    net.placer.close()
    assert.deepEqual(placed.map(p => p.refusals), blocks.map(() => []))
    assert.ok(blocks.every(b => net.servers[0].blocks.roleOf(b.cid) === 'replica'))
    assert.deepEqual(net.finder.down, [])
  })

  it('sends a block the closest server refuses to the next closest as first holder, which forwards it: twice its bytes, not once per member', async () => {
    const net = await network({ servers: 5, replication: 3, writeQuorum: 3, forwarding: true })
    net.servers[0].blocks.beforePut = (cid, bytes) => new QuotaExceededError(cid.toString(), bytes.byteLength, 10, 10)
    const block = await rawBlock('first holder full')
    const placed = await net.placer.place(block.cid, block.bytes)
    net.placer.close()
    assert.equal(placed.replicas, 3)
    assert.deepEqual(holders(net.servers, block.cid), [false, true, true, true, false])
    assert.equal(net.placer.bytesSent, 2 * block.bytes.byteLength)
    assert.match(placed.refusals.join('; '), new RegExp(`^${net.servers[0].id.toString()}: quota`))
  })
})
