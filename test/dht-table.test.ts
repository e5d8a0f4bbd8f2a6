import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DHT_QUERY } from '../src/node/common-options.js'
import { OwnClosest, type TableView } from '../src/node/connected-table.js'
import { byDistance, compareDistance, peerKadId } from '../src/placement/xor.js'
import { createTestNetwork, type TestNetwork } from '../src/testing/index.js'
import type { WeftNode } from '../src/index.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** The parts of kad-dht this spec drives: its network's `peer` event (a peer named in an answer) and its routing table's queue. */
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

/** Whether kad-dht queued `peer` for the routing table (the queue pings a new contact first: for an unconnected one, a dial). */
function queuedForTable (node: WeftNode, peer: PeerId): boolean {
  return internals(node).routingTable.routingTableUpdateQueue.find(peer) != null
}

async function randomPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A peer nobody runs, at an address nothing listens on. */
async function stranger (): Promise<PeerInfo> {
  return { id: await randomPeer(), multiaddrs: [multiaddr('/memory/nobody-listens-here')] }
}

/** A routing table of `peers` (closest first to whatever key it is asked about: the spec asks only about its own node). */
function tableOf (peers: PeerId[]): TableView & { set: (peers: PeerId[]) => void } {
  let held = peers
  return Object.assign(new EventTarget(), {
    closestPeers: (_: Uint8Array, options?: { count?: number }) => held.slice(0, options?.count ?? 20),
    set: (next: PeerId[]) => { held = next }
  })
}

describe('routing-table intakes (src/node/connected-table.ts)', () => {
  let pair: TestNetwork
  let weft: TestNetwork

  before(async () => {
    pair = await createTestNetwork(2, { dhtQuery: { ...DHT_QUERY, tableIntake: 'connected' } })
    weft = await createTestNetwork(1)
  })
  after(async () => { await Promise.all([pair?.stop(), weft?.stop()]) })

  it('connected: does not queue (dial and ping) a peer only named in an answer', async () => {
    const node = pair.nodes[0]
    const named = await stranger()
    nameInAnswer(node, named)
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(queuedForTable(node, named.id), false)
    assert.equal(node.getConnections(named.id).length, 0)
  })

  it('close: counts a peer as a neighbour only when it is closer than the k-th closest peer of a full table', async () => {
    const self = await randomPeer()
    const k = 4
    const candidates = await byDistance(self.toMultihash().bytes, await Promise.all(Array.from({ length: 12 }, randomPeer)))
    // the table: the 2nd, 4th, 6th and 8th closest of the candidates
    const neighbourhood = new OwnClosest(self, tableOf([1, 3, 5, 7].map(i => candidates[i])), k)
    assert.equal(await neighbourhood.wouldJoin(candidates[0]), true)
    assert.equal(await neighbourhood.wouldJoin(candidates[6]), true)
    assert.equal(await neighbourhood.wouldJoin(candidates[8]), false)
    assert.equal(await neighbourhood.wouldJoin(candidates[11]), false)
  })

  it('close: counts every peer as a neighbour while the table holds fewer than k, and reads the table again when it changes', async () => {
    const self = await randomPeer()
    const [a, b, c, far] = await byDistance(self.toMultihash().bytes, await Promise.all(Array.from({ length: 4 }, randomPeer)))
    const table = tableOf([a, b])
    const neighbourhood = new OwnClosest(self, table, 3)
    assert.equal(await neighbourhood.wouldJoin(far), true)
    table.set([a, b, c])
    table.dispatchEvent(new CustomEvent('peer:add', { detail: c }))
    assert.equal(await neighbourhood.wouldJoin(far), false)
    assert.ok(compareDistance(await peerKadId(self), await peerKadId(c), await peerKadId(far)) < 0)
  })

  it('connected: still takes a named peer it holds a connection to', async () => {
    const [node, other] = pair.nodes
    assert.ok(node.getConnections(other.peerId).length > 0)
    nameInAnswer(node, { id: other.peerId, multiaddrs: other.getMultiaddrs() })
    await new Promise(resolve => setImmediate(resolve))
    // already in the table from the connection, or queued to be: either way kad-dht was offered it
    const found = await internals(node).routingTable.find(other.peerId)
    assert.ok(found != null || queuedForTable(node, other.peerId))
  })

  it('weft\'s nodes run kad-dht\'s own intake: a named unconnected peer is queued', async () => {
    const node = weft.nodes[0]
    const named = await stranger()
    nameInAnswer(node, named)
    assert.equal(queuedForTable(node, named.id), true)
  })
})
