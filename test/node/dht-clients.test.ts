import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { keepClientsOut } from '../../src/node/dht-clients.js'
import { Joining } from '../../src/node/joining.js'
import { createNode, type WeftNode } from '../../src/index.js'
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht'
import type { PeerId, PeerInfo, PeerUpdate } from '@libp2p/interface'

const PROTOCOL = '/weft/kad/1.0.0'

async function somePeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A kad-dht stand-in: onPeerConnect puts the peer straight into its table, as kad-dht does once the ping answers. */
function fakeDht (): { dht: KadDHT, table: Set<string>, events: EventTarget } {
  const table = new Set<string>()
  const routingTable = Object.assign(new EventTarget(), {
    find: async (peer: PeerId) => table.has(peer.toString()) ? peer : undefined,
    remove: async (peer: PeerId) => { table.delete(peer.toString()) }
  })
  const dht = {
    routingTable,
    onPeerConnect: async (peer: PeerInfo) => {
      table.add(peer.id.toString())
      routingTable.dispatchEvent(new CustomEvent('peer:add', { detail: peer.id }))
    }
  }
  return { dht: dht as unknown as KadDHT, table, events: new EventTarget() }
}

function identified (events: EventTarget, peerId: PeerId, protocols: string[]): void {
  events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId, protocols } }))
}

/** Resolves once every removal the wrapper started has run (they are one promise hop away). */
async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

describe('a routing table that keeps DHT clients out', () => {
  function wrapped (): { dht: DhtParts, table: Set<string>, events: EventTarget } {
    const fake = fakeDht()
    const dht = keepClientsOut(PROTOCOL, () => fake.dht)({ events: fake.events } as unknown as KadDHTComponents)
    return { dht: dht as unknown as DhtParts, table: fake.table, events: fake.events }
  }
  interface DhtParts { onPeerConnect: (peer: PeerInfo) => Promise<void> }

  it('does not take a peer whose identify did not list the DHT protocol, though the peer store says it speaks it', async () => {
    const { dht, table, events } = wrapped()
    const page = await somePeer()
    identified(events, page, ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/weft/block/1.0.0'])
    await dht.onPeerConnect({ id: page, multiaddrs: [] })
    assert.equal(table.has(page.toString()), false)
  })

  it('takes a peer whose identify listed the DHT protocol, and one it knows nothing of yet', async () => {
    const { dht, table, events } = wrapped()
    const [server, named] = [await somePeer(), await somePeer()]
    identified(events, server, ['/ipfs/id/1.0.0', PROTOCOL])
    await dht.onPeerConnect({ id: server, multiaddrs: [] })
    await dht.onPeerConnect({ id: named, multiaddrs: [] })
    assert.deepEqual([...table].sort(), [server.toString(), named.toString()].sort())
  })

  it('removes a peer already in the table once its identify shows it is a client', async () => {
    const { dht, table, events } = wrapped()
    const page = await somePeer()
    await dht.onPeerConnect({ id: page, multiaddrs: [] })
    identified(events, page, ['/ipfs/id/1.0.0'])
    await settled()
    assert.equal(table.has(page.toString()), false)
  })

  it('takes a peer again once a later identify lists the DHT protocol (a node that became a server)', async () => {
    const { dht, table, events } = wrapped()
    const peer = await somePeer()
    identified(events, peer, ['/ipfs/id/1.0.0'])
    identified(events, peer, ['/ipfs/id/1.0.0', PROTOCOL])
    await dht.onPeerConnect({ id: peer, multiaddrs: [] })
    assert.equal(table.has(peer.toString()), true)
  })
})

describe('a server whose DHT a client queried', () => {
  const dirs: string[] = []
  const nodes: WeftNode[] = []
  const joinings: Joining[] = []
  after(async () => {
    for (const joining of joinings) joining.stop()
    await Promise.all(nodes.map(async n => n.stop()))
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  async function node (init: Parameters<typeof createNode>[0]): Promise<WeftNode> {
    const dataDir = await mkdtemp(join(tmpdir(), 'weft-dht-clients-'))
    dirs.push(dataDir)
    const made = await createNode({ dataDir, http: { enabled: false }, allowPrivateAddresses: true, ...init })
    nodes.push(made)
    return made
  }

  /**
   * A server, and a client that sent it a DHT query once the server had read
   * its identify (a query before it: identify's list overwrites the peer
   * store's). The client listens on TCP: a page has its relayed address, and
   * kad-dht takes no peer without an address. `offers`: the routing table's
   * `add` calls from then on, with their promises.
   */
  async function queried (): Promise<{ server: WeftNode, client: WeftNode, joining: Joining, offers: Array<{ peer: PeerId, added: Promise<void> }> }> {
    const server = await node({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    const joining = new Joining(server.libp2p, server.config.dht.protocol, 3_600_000)
    joinings.push(joining)
    const identified = new Promise<void>(resolve => {
      server.libp2p.addEventListener('peer:identify', () => { resolve() }, { once: true })
    })
    const client = await node({ role: 'browser', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [server.getMultiaddrs()[0].toString()] })
    await identified
    const marked = new Promise<void>(resolve => {
      const onUpdate = (evt: CustomEvent<PeerUpdate>): void => {
        if (!evt.detail.peer.id.equals(client.peerId) || !evt.detail.peer.protocols.includes(PROTOCOL)) return
        server.libp2p.removeEventListener('peer:update', onUpdate)
        resolve()
      }
      server.libp2p.addEventListener('peer:update', onUpdate)
    })
    await client.getClosestPeers(new TextEncoder().encode('a key'))
    // libp2p now lists the DHT protocol for the client in the server's peer store
    await marked
    const table = (server.libp2p.services.dht as any).routingTable
    const offers: Array<{ peer: PeerId, added: Promise<void> }> = []
    const add = table.add.bind(table)
    table.add = (peer: PeerId, options?: unknown) => {
      const added = add(peer, options)
      offers.push({ peer, added })
      return added
    }
    return { server, client, joining, offers }
  }

  it('is not offered to the routing table by the top-up of connected DHT servers', async () => {
    const { client, joining, offers } = await queried()
    await joining.topUp()
    assert.deepEqual(offers.filter(o => o.peer.equals(client.peerId)), [])
  })

  it('is kept out of the routing table, so the server\'s answers never name it', async () => {
    const { server, client, joining, offers } = await queried()
    await joining.topUp()
    await Promise.allSettled(offers.map(async o => o.added))
    await settled()
    const table = (server.libp2p.services.dht as any).routingTable
    assert.equal(await table.find(client.peerId), undefined)
    const other = await node({ role: 'browser', listen: [], bootstrap: [server.getMultiaddrs()[0].toString()] })
    const named = await other.getClosestPeers(new TextEncoder().encode('another key'))
    assert.deepEqual(named.map(p => p.id.toString()).filter(id => id === client.peerId.toString()), [])
  })
})
