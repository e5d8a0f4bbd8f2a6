import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DHT_QUERY } from '../src/node/common-options.js'
import { createTestNetwork, type TestNetwork } from '../src/testing/index.js'
import type { WeftNode } from '../src/index.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** The parts of kad-dht this spec drives: its network's `peer` event (a peer named in an answer) and its routing table's update queue. */
interface DhtInternals {
  network: EventTarget
  routingTable: {
    routingTableUpdateQueue: { find: (peer: PeerId) => unknown }
    find: (peer: PeerId) => Promise<PeerId | undefined>
  }
}

function internals (node: WeftNode): DhtInternals {
  return node.libp2p.services.dht as unknown as DhtInternals
}

/** What kad-dht does with a FIND_NODE answer naming `peer`: its network dispatches `peer` for it. */
function nameInAnswer (node: WeftNode, peer: PeerInfo): void {
  internals(node).network.dispatchEvent(new CustomEvent('peer', { detail: peer }))
}

function queuedForTable (node: WeftNode, peer: PeerId): boolean {
  return internals(node).routingTable.routingTableUpdateQueue.find(peer) != null
}

describe('the routing table of a weft node', () => {
  let pair: TestNetwork
  let stranger: TestNetwork
  let kadOwn: TestNetwork

  before(async () => {
    pair = await createTestNetwork(2)
    stranger = await createTestNetwork(1)
    kadOwn = await createTestNetwork(1, { dhtQuery: { ...DHT_QUERY, tableTakesNamedPeers: true } })
  })
  after(async () => { await Promise.all([pair?.stop(), stranger?.stop(), kadOwn?.stop()]) })

  it('does not dial a peer only named in an answer to put it in the table', async () => {
    const node = pair.nodes[0]
    const named = stranger.nodes[0]
    nameInAnswer(node, { id: named.peerId, multiaddrs: named.getMultiaddrs() })
    assert.equal(queuedForTable(node, named.peerId), false)
    assert.equal(node.getConnections(named.peerId).length, 0)
  })

  it('still takes a named peer it holds a connection to', async () => {
    const [node, other] = pair.nodes
    assert.ok(node.getConnections(other.peerId).length > 0)
    nameInAnswer(node, { id: other.peerId, multiaddrs: other.getMultiaddrs() })
    // already in the table from the connection, or queued to be: either way kad-dht was offered it
    const found = await internals(node).routingTable.find(other.peerId)
    assert.ok(found != null || queuedForTable(node, other.peerId))
  })

  it('queues a named unconnected peer under kad-dht\'s own intake (the benchmark\'s +named rows)', async () => {
    const node = kadOwn.nodes[0]
    const named = stranger.nodes[0]
    nameInAnswer(node, { id: named.peerId, multiaddrs: named.getMultiaddrs() })
    assert.equal(queuedForTable(node, named.peerId), true)
  })
})
