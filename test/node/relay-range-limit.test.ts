import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { ipRangeOf, RelayRangeLimit } from '../../src/node/relay-range-limit.js'
import { randomPeerId } from '../support/fakes.js'

describe('relay range limit', () => {
  it('counts an IPv4 client by its /24 and an IPv6 client by its /48, however the address is written', () => {
    assert.equal(ipRangeOf(multiaddr('/ip4/203.0.113.7/tcp/4001')), 'ip4/203.0.113')
    assert.equal(ipRangeOf(multiaddr('/ip6/2001:db8:1::5/tcp/4001')), ipRangeOf(multiaddr('/ip6/2001:0db8:0001:0:0:0:0:9/udp/1/quic-v1')))
    assert.notEqual(ipRangeOf(multiaddr('/ip6/2001:db8:1::5/tcp/1')), ipRangeOf(multiaddr('/ip6/2001:db8:2::5/tcp/1')))
    assert.equal(ipRangeOf(multiaddr('/dns4/example.org/tcp/1')), undefined)
  })

  it('refuses a new reservation once the range holds its share, never a refresh, and counts what it refused', async () => {
    const [held, again, fresh] = await Promise.all([randomPeerId(), randomPeerId(), randomPeerId()])
    const reservations = new Map<string, { addr: ReturnType<typeof multiaddr> }>([[held.toString(), { addr: multiaddr('/ip4/203.0.113.7/tcp/1') }]])
    const limit = new RelayRangeLimit(1)
    limit.attach({
      relay: { reservations: { get: peer => reservations.get(peer.toString()), values: () => reservations.values() } },
      connectionManager: { getConnections: () => [{ remoteAddr: multiaddr('/ip4/203.0.113.9/tcp/2') }] }
    })
    assert.equal(await limit.deny(held), false)
    assert.equal(await limit.deny(again), true)
    assert.equal(limit.refused, 1)
    limit.attach({
      relay: { reservations: { get: peer => reservations.get(peer.toString()), values: () => reservations.values() } },
      connectionManager: { getConnections: () => [{ remoteAddr: multiaddr('/ip4/198.51.100.1/tcp/2') }] }
    })
    assert.equal(await limit.deny(fresh), false)
  })
})
