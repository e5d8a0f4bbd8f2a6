import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isStartable, transportSymbol, type Transport } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { WebSockets } from '@multiformats/multiaddr-matcher'
import { lazyTransport, LazyTransportListenError } from '../../src/node/lazy-transport.js'

const WS = multiaddr('/ip4/127.0.0.1/tcp/4002/ws')
const TCP = multiaddr('/ip4/127.0.0.1/tcp/4001')

/** A transport that records what was done to it. */
function recording (log: string[]): Transport & { start: () => void, stop: () => void } {
  return {
    [Symbol.toStringTag]: 'recording',
    [transportSymbol]: true,
    start: () => { log.push('start') },
    stop: () => { log.push('stop') },
    dial: async (ma) => { log.push(`dial ${ma.toString()}`); return {} as any },
    createListener: () => { throw new Error('no') },
    listenFilter: () => [],
    dialFilter: (mas) => mas
  }
}

describe('a lazily loaded transport', () => {
  it('claims the addresses its filter names, and loads nothing until it dials', async () => {
    let loads = 0
    const transport = lazyTransport('WebSockets', ma => WebSockets.exactMatch(ma), async () => { loads++; return () => recording([]) })({})
    assert.deepEqual(transport.dialFilter([TCP, WS]), [WS])
    assert.deepEqual(transport.listenFilter([TCP, WS]), [])
    assert.equal(loads, 0)
  })

  it('loads, makes and starts the real transport at its first dial, once, and stops it with the node', async () => {
    const log: string[] = []
    let loads = 0
    const components = { name: 'components' }
    const transport = lazyTransport('WebSockets', () => true, async () => {
      loads++
      return (given: unknown) => { assert.equal(given, components); return recording(log) }
    })(components)
    await Promise.all([transport.dial(WS, {} as any), transport.dial(WS, {} as any)])
    assert.equal(loads, 1)
    assert.deepEqual(log, ['start', `dial ${WS.toString()}`, `dial ${WS.toString()}`])
    assert.ok(isStartable(transport))
    await transport.stop()
    assert.deepEqual(log.slice(3), ['stop'])
  })

  it('tries a load that failed again at the next dial', async () => {
    let loads = 0
    const transport = lazyTransport('WebRTC-direct', () => true, async () => {
      if (loads++ === 0) throw new Error('cannot load')
      return () => recording([])
    })({})
    await assert.rejects(transport.dial(WS, {} as any), /cannot load/)
    await transport.dial(WS, {} as any)
    assert.equal(loads, 2)
  })

  it('refuses to listen with LazyTransportListenError naming the transport', () => {
    const transport = lazyTransport('WebRTC-direct', () => true, async () => () => recording([]))({})
    assert.throws(() => transport.createListener({} as any), (err: any) => err instanceof LazyTransportListenError && err.name === 'LazyTransportListenError' && err.transport === 'WebRTC-direct')
  })
})
