import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { seededBlock, startTestnet, TestnetError, type Testnet } from '../src/testing/index.js'
import { isRunning } from './support/pids.js'
import { TEST_HOST } from './support/weft-process.js'

describe('startTestnet: real servers over a few processes', () => {
  let net: Testnet
  let pids: number[]

  before(async () => {
    net = await startTestnet({ servers: 6, processes: 2, host: TEST_HOST })
    pids = net.processes.map(p => p.pid ?? -1)
  })
  after(async () => { await net?.stop() })

  it('resolves with 6 servers spread over 2 processes, every one knowing the 5 others', async () => {
    assert.equal(net.servers.length, 6)
    assert.deepEqual([...new Set(net.servers.map(s => s.process))].sort(), [0, 1])
    assert.equal(net.processes.length, 2)
    assert.ok(net.bootstrap.startsWith(`/ip4/${TEST_HOST}/tcp/`) && net.bootstrap.endsWith(`/p2p/${net.servers[0].peerId}`), net.bootstrap)
    for (const server of net.servers) {
      const status = await net.status(server.peerId)
      assert.equal(status.peerId, server.peerId)
      assert.equal(status.role, 'server')
      assert.ok(status.routingTableSize >= 5, `server ${server.index} knows ${status.routingTableSize} servers`)
    }
  })

  it('seeds blocks made from a seed into the servers named, which then keep them as replicas and are counted as their holders', async () => {
    const [a, b] = net.servers
    const blocks = await Promise.all([0, 1, 2].map(async i => seededBlock('spec', i, 1000)))
    const cids = blocks.map(b => b.cid.toString())
    await net.seed(a.peerId, { seed: 'spec', size: 1000, indices: [0, 1] })
    await net.seed(b.peerId, { seed: 'spec', size: 1000, indices: [1] })
    assert.deepEqual(await net.roles(a.peerId, cids), ['replica', 'replica', null])
    assert.deepEqual(await net.holderCounts(cids), [1, 2, 0])
  })

  it('stopServer stops one server; its process keeps the others', async () => {
    const gone = net.servers[5]
    await net.stopServer(gone.peerId)
    assert.equal(net.servers.length, 5)
    assert.ok(!net.servers.some(s => s.peerId === gone.peerId))
    await assert.rejects(net.status(gone.peerId), (err: any) => err instanceof TestnetError && err.value === gone.peerId)
    const sibling = net.servers.find(s => s.process === gone.process)
    assert.ok(sibling != null)
    assert.equal((await net.status(sibling.peerId)).peerId, sibling.peerId)
  })

  it('killProcess SIGKILLs a process and its servers; addServers joins new ones to the rest', async () => {
    const lost = await net.killProcess(1)
    assert.ok(lost.length > 0 && lost.every(s => s.process === 1))
    assert.equal(isRunning(pids[1]), false)
    assert.ok(net.servers.every(s => s.process === 0))
    const added = await net.addServers(2)
    assert.equal(added.length, 2)
    assert.ok(added.every(s => s.process === 0), 'new servers go to the processes still alive')
    const all = net.servers.length
    for (const server of added) {
      assert.ok((await net.status(server.peerId)).routingTableSize >= all - 1)
    }
  })

  it('addServers with processes starts the new servers in new processes of their own, which killProcess ends alone', async () => {
    const before = net.processes.length
    const added = await net.addServers(2, { processes: 2 })
    assert.deepEqual(added.map(s => s.process), [before, before + 1])
    assert.equal(net.processes.length, before + 2)
    const lost = await net.killProcess(before)
    assert.deepEqual(lost.map(s => s.peerId), [added[0].peerId])
    assert.equal((await net.status(added[1].peerId)).peerId, added[1].peerId)
    pids = net.processes.map(p => p.pid ?? -1)
  })

  it('stop() leaves no process and no data directory behind', async () => {
    const dir = net.dataDir
    assert.ok(existsSync(dir))
    await net.stop()
    assert.deepEqual(pids.filter(isRunning), [])
    assert.ok(net.processes.every(p => !p.alive))
    assert.equal(existsSync(dir), false)
    await net.stop()
  })
})

describe('startTestnet options', () => {
  it('rejects a number of servers that is not a positive integer, naming it', async () => {
    for (const servers of [0, -1, 2.5, Number.NaN]) {
      await assert.rejects(startTestnet({ servers }), (err: any) => err.name === 'TestnetError' && Object.is(err.value, servers))
    }
  })
})
