import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { spawnServer, TEST_HOST, type WeftProcess } from './support/weft-process.js'

const PER_RANGE = 3

/**
 * A relay client that asks `relay` for a reservation as it starts (what a
 * page does on its server): resolves with the started node, or rejects with
 * why the relay refused.
 */
async function reserveOn (relay: string): Promise<Libp2p> {
  const node = await createLibp2p({
    start: false,
    addresses: { listen: [`${relay}/p2p-circuit`] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  try {
    await node.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  return node
}

describe('relay reservations per IP range (relay.maxReservationsPerRange)', () => {
  let server: WeftProcess
  const clients: Libp2p[] = []

  before(async () => {
    // reachable on two ranges: the test host's and loopback's
    server = await spawnServer({ args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--relay.max-reservations-per-range', String(PER_RANGE)] })
  })

  after(async () => {
    await Promise.all(clients.map(async c => c.stop()))
    await server?.stop()
  })

  it('gives the PeerIds of one range at most their share of the relay\'s slots, while a client of another range still gets one', async () => {
    const viaHost = server.multiaddrs.find(ma => ma.startsWith(`/ip4/${TEST_HOST}/`)) ?? assert.fail(server.multiaddrs.join(' '))
    const viaLoopback = server.multiaddrs.find(ma => ma.startsWith('/ip4/127.0.0.1/')) ?? assert.fail(server.multiaddrs.join(' '))

    // one script, many identities, one address
    for (let i = 0; i < PER_RANGE; i++) clients.push(await reserveOn(viaHost))
    for (const client of clients) assert.ok(client.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit')), 'a client within its share has no relayed address')
    await assert.rejects(reserveOn(viaHost), 'a PeerId past its range\'s share got a reservation')

    const other = await reserveOn(viaLoopback)
    clients.push(other)
    assert.ok(other.getMultiaddrs().some(ma => ma.toString().includes('/p2p-circuit')))
  })
})
