import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { REJOIN_FIRST_MS, Rejoin } from '../../src/node/rejoin.js'
import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'

const PROTOCOL = '/weft/kad/1.0.0'
const silentLog: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => silentLog })
const silentLogger: ComponentLogger = { forComponent: () => silentLog }
const BOOTSTRAP = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

/**
 * A node connected to one peer that identified as `identified` and whose
 * peer-store record lists the DHT protocol (as libp2p lists it for any peer
 * that opened a DHT stream); resolves `dialled` when Rejoin dials its bootstrap list.
 */
async function connectedTo (identified: string[]): Promise<{ rejoin: Rejoin, dialled: Promise<string> }> {
  const peer: PeerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const events = new EventTarget()
  let dial: (addr: string) => void = () => {}
  const dialled = new Promise<string>(resolve => { dial = resolve })
  const rejoin = new Rejoin({
    events: events as any,
    logger: silentLogger,
    peerStore: { get: async () => ({ id: peer, protocols: ['/ipfs/id/1.0.0', PROTOCOL] }) } as any,
    connectionManager: {
      getConnections: () => [{ remotePeer: peer }],
      openConnection: async (addr: unknown) => { dial(String(addr)); return {} }
    } as any
  }, { list: [BOOTSTRAP], dhtProtocol: PROTOCOL })
  rejoin.start()
  events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: peer, protocols: identified } }))
  return { rejoin, dialled }
}

describe('rejoining the network (Rejoin)', () => {
  it('dials the bootstrap peers again when its only peer is a client that sent it a DHT query', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const { rejoin, dialled } = await connectedTo(['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'])
    try {
      t.mock.timers.tick(REJOIN_FIRST_MS)
      assert.equal(await dialled, BOOTSTRAP)
    } finally {
      rejoin.stop()
    }
  })

  it('dials nobody while it is connected to a DHT server', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const { rejoin, dialled } = await connectedTo(['/ipfs/id/1.0.0', PROTOCOL])
    const checked = mock.fn()
    try {
      t.mock.timers.tick(REJOIN_FIRST_MS)
      // the check runs a few promise hops after its timer
      await Promise.race([dialled.then(() => { checked() }), new Promise(resolve => setImmediate(resolve))])
      for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
      assert.equal(checked.mock.callCount(), 0)
    } finally {
      rejoin.stop()
    }
  })
})
