import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { browserFixture } from '../support/browser.js'
import { statusWhen } from '../support/status.js'

describe('a page in a DHT of servers', () => {
  const network = browserFixture({ servers: 3 })

  it('finds a server it is not connected to by PeerId', async () => {
    // joins through the second server, which at first knows only the first
    const [first, entry] = network.servers
    const page = await network.open('?transport=websockets', { server: entry })
    await page.connectionTo(entry.peerId)

    // a server that joins after the page did, known only to the first server:
    // the page can learn of it only by asking the DHT
    const latecomer = await network.spawnServer({ bootstrap: [first.multiaddrs[0]] })
    // (the first server's routing table: the two other servers and the latecomer)
    await statusWhen(first, s => s.connectedPeers.includes(latecomer.peerId) && s.routingTableSize >= network.servers.length)
    assert.equal(await page.isConnectedTo(latecomer.peerId), false)

    const result = await page.submit('find', latecomer.peerId)
    // the answer came from the network, not from what the page already knew
    assert.match(result, /^found .*, asking [1-9]\d* peers?$/)
    const found = await page.page.locator('#found li').allInnerTexts()
    const ws = latecomer.multiaddrs.map(a => multiaddr(a).decapsulateCode(421).toString()).filter(a => a.endsWith('/ws'))
    assert.equal(ws.length, 1)
    assert.ok(found.some(a => a.replace(/\/p2p\/\w+$/, '') === ws[0]), `${found.join(', ')} lacks ${ws[0]}`)
  })
})
