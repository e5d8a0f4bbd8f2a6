import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { createNode, type WeftNode } from '../src/index.js'
import { statusWhen } from './support/status.js'
import { TEST_HOST, removeDir, spawnNetwork, spawnServer, tempDir } from './support/weft-process.js'

/** An in-process server node on the test host, for driving queries from the test. */
async function testNode (dataDir: string, bootstrap: string[] = []): Promise<WeftNode> {
  return createNode({ dataDir, listen: [`/ip4/${TEST_HOST}/tcp/0`], bootstrap, http: { enabled: false } })
}

async function connectedTo (node: WeftNode, peer: string): Promise<void> {
  if (node.getConnections(peerIdFromString(peer)).length > 0) return
  await new Promise<void>(resolve => {
    const onConnect = (evt: CustomEvent): void => {
      if (evt.detail.toString() === peer) {
        node.removeEventListener('peer:connect', onConnect)
        resolve()
      }
    }
    node.addEventListener('peer:connect', onConnect)
  })
}

describe('servers on loopback', () => {
  it('two server processes connect over TCP', async () => {
    const a = await spawnServer({ http: true })
    const b = await spawnServer({ bootstrap: [a.multiaddrs[0]] })
    try {
      const status = await statusWhen(a, s => s.connectedPeers.includes(b.peerId), 20_000)
      assert.ok((status.connections.tcp ?? 0) >= 1, JSON.stringify(status))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  describe('a DHT of five server processes', () => {
    let network: Awaited<ReturnType<typeof spawnNetwork>>
    let node: WeftNode
    let dataDir: string

    before(async () => {
      network = await spawnNetwork(5)
      dataDir = await tempDir()
      // joins through the second server, which at first knows only the first
      node = await testNode(dataDir, [network.servers[1].multiaddrs[0]])
      await connectedTo(node, network.servers[1].peerId)
    })

    after(async () => {
      await node?.stop()
      await network?.stop()
      await removeDir(dataDir)
    })

    it('finds a server it is not connected to by PeerId', async () => {
      const target = network.servers[4]
      assert.equal(node.getConnections(peerIdFromString(target.peerId)).length, 0)
      const found = await node.findPeer(peerIdFromString(target.peerId))
      assert.equal(found.id.toString(), target.peerId)
      const tcp = multiaddr(target.multiaddrs[0]).decapsulateCode(421).toString()
      assert.ok(found.multiaddrs.some(ma => ma.toString() === tcp), `${found.multiaddrs.join(', ')} lacks ${tcp}`)
    })

    it('getClosestPeers finds every server in a multi-hop lookup', async () => {
      const key = new TextEncoder().encode('weft test key')
      // a lookup returns only the peers that answered it; on a loaded machine
      // one answer can be lost, so a lookup is repeated (at most three times)
      // until it returns every server
      let ids: string[] = []
      for (let attempt = 0; attempt < 3 && !network.servers.every(s => ids.includes(s.peerId)); attempt++) {
        ids = (await node.getClosestPeers(key)).map(p => p.id.toString())
      }
      for (const server of network.servers) {
        assert.ok(ids.includes(server.peerId), `${server.peerId} missing from ${ids.join(', ')}`)
      }
    })
  })

  it('keeps the peer store and DHT provider records across a restart', async () => {
    const server = await spawnServer()
    const dataDir = await tempDir()
    const cid = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('kept across restarts')))
    try {
      const first = await testNode(dataDir, [server.multiaddrs[0]])
      await connectedTo(first, server.peerId)
      await first.libp2p.contentRouting.provide(cid, { signal: AbortSignal.timeout(20_000) })
      await first.stop()

      const second = await testNode(dataDir)
      try {
        assert.equal(second.getConnections().length, 0)
        const stored = await second.libp2p.peerStore.get(peerIdFromString(server.peerId))
        assert.ok(stored.addresses.length > 0, 'the server\'s addresses were forgotten')
        let provider: string | undefined
        for await (const p of second.libp2p.services.dht.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) {
          if (p.name === 'PROVIDER') {
            provider = p.providers[0]?.id.toString()
            break
          }
        }
        assert.equal(provider, second.peerId.toString())
      } finally {
        await second.stop()
      }
    } finally {
      await server.stop()
      await removeDir(dataDir)
    }
  })
})
