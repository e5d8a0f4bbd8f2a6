import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createNode, STORE_PROTOCOL, type WeftNode } from '../src/index.js'
import { pushBlocks } from '../src/protocols/store-protocol.js'
import { statusWhen } from './support/status.js'
import { removeDir, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'

/** A fresh swarm key in the `/key/swarm/psk/1.0.0/` format. */
function swarmKey (): string {
  const key = new Uint8Array(95)
  generateKey(key)
  return new TextDecoder().decode(key)
}

/** A transient node (what `weft put` runs) with `psk`, or none. */
async function clientWith (psk: string): Promise<WeftNode> {
  return createNode({ network: { psk } }, { transient: true })
}

describe('a private network (network.psk)', () => {
  let dir: string
  let keyFile: string
  let servers: WeftProcess[] = []

  before(async () => {
    dir = await tempDir('weft-pnet-')
    keyFile = join(dir, 'swarm.key')
    await writeFile(keyFile, swarmKey())
    const args = ['--network.psk', keyFile, '--storage.replication', '2', '--storage.write-quorum', '2']
    const first = await spawnServer({ args, http: true, browserTransports: true })
    const second = await spawnServer({ args, bootstrap: [first.multiaddrs[0]] })
    servers = [first, second]
  })

  after(async () => {
    await Promise.all(servers.map(async s => s.stop()))
    await removeDir(dir)
  })

  it('lets servers with the same key form a network, listening on no WebRTC address', async () => {
    await statusWhen(servers[0], status => status.connectedPeers?.includes(servers[1].peerId) === true && status.routingTableSize >= 1)
    for (const server of servers) assert.ok(server.multiaddrs.every(ma => !ma.includes('webrtc')), server.multiaddrs.join(' '))
    assert.ok(servers[0].multiaddrs.some(ma => ma.includes('/ws')), servers[0].multiaddrs.join(' '))
  })

  it('connects a node with the same key, which can put and get', async () => {
    const client = await createNode({ network: { psk: await readFile(keyFile, 'utf8') }, bootstrap: [servers[0].multiaddrs[0]], storage: { replication: 2, writeQuorum: 2 } }, { transient: true })
    try {
      const bytes = new TextEncoder().encode('a closed weft')
      const { cid, replicas } = await client.put(bytes)
      assert.equal(replicas, 2)
      const chunks: Uint8Array[] = []
      for await (const chunk of client.get(cid)) chunks.push(chunk)
      assert.equal(new TextDecoder().decode(Buffer.concat(chunks)), 'a closed weft')
    } finally {
      await client.stop()
    }
  })

  it('does not connect a node with another key, over TCP or WebSockets', async () => {
    const stranger = await clientWith(swarmKey())
    try {
      for (const address of servers[0].multiaddrs) {
        await assert.rejects(stranger.dial(multiaddr(address), { signal: AbortSignal.timeout(15_000) }), `${address} let a node with another key in`)
      }
      assert.equal(stranger.getConnections().length, 0)
    } finally {
      await stranger.stop()
    }
  })

  it('does not connect a node without a key', async () => {
    const outsider = await createNode({}, { transient: true })
    try {
      await assert.rejects(outsider.dial(multiaddr(servers[0].multiaddrs[0]), { signal: AbortSignal.timeout(15_000) }))
      assert.equal(outsider.getConnections().length, 0)
    } finally {
      await outsider.stop()
    }
  })

  it('refuses to start with a key file that holds no swarm key, naming network.psk', async () => {
    const bad = join(dir, 'bad.key')
    await writeFile(bad, 'not a key')
    await assert.rejects(clientWith(bad), (err: Error & { key?: string }) => err.name === 'ConfigError' && err.key === 'network.psk' && err.message.includes(bad))
    await assert.rejects(clientWith(join(dir, 'missing.key')), (err: Error & { key?: string }) => err.name === 'ConfigError' && /cannot be read/.test(err.message))
  })
})

describe('a server that takes blocks only from listed peers (storage.allowPeers)', () => {
  it('keeps a listed peer\'s block and refuses another peer\'s, naming the setting', async () => {
    const listed = await createNode({}, { transient: true })
    const stranger = await createNode({}, { transient: true })
    const server = await spawnServer({ args: ['--storage.allow-peers', listed.peerId.toString()] })
    try {
      const push = async (node: WeftNode, text: string): Promise<{ status: string, message?: string }> => {
        const bytes = new TextEncoder().encode(text)
        const block = { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
        const signal = AbortSignal.timeout(20_000)
        const stream = await node.libp2p.dialProtocol(multiaddr(server.multiaddrs[0]), STORE_PROTOCOL, { signal })
        for await (const answer of pushBlocks(stream, [block], { signal, peer: server.peerId })) return answer
        throw new Error('no answer')
      }
      assert.equal((await push(listed, 'from a listed peer')).status, 'stored')
      const refused = await push(stranger, 'from a stranger')
      assert.equal(refused.status, 'limited')
      assert.match(refused.message ?? '', /is not in storage\.allowPeers/)
    } finally {
      await Promise.all([listed.stop(), stranger.stop(), server.stop()])
    }
  })
})
