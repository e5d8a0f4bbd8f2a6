import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { watchServers } from '../../src/placement/server-watch.js'
import { randomPeerId } from '../support/fakes.js'
import type { Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'

const STORE = '/weft/store/1.0.0'

/** An event bus and the two events the watch follows. */
function bus (): { events: TypedEventTarget<Libp2pEvents>, identify: (peer: PeerId, protocols: string[]) => void, disconnect: (peer: PeerId) => void } {
  const events = new EventTarget() as unknown as TypedEventTarget<Libp2pEvents>
  return {
    events,
    identify: (peerId, protocols) => { events.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId, protocols } }) as any) },
    disconnect: (peerId) => { events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: peerId }) as any) }
  }
}

describe('watching servers', () => {
  it('tells of a membership change when a server identifies or leaves, not for a page, nor for a second connection', async () => {
    const { events, identify, disconnect } = bus()
    const changes: string[] = []
    const stop = watchServers({ events }, STORE, { onMembershipChange: peer => { changes.push(peer.toString()) } })
    const [server, page] = [await randomPeerId(), await randomPeerId()]

    identify(server, ['/weft/kad/1.0.0', STORE])
    identify(server, ['/weft/kad/1.0.0', STORE])
    identify(page, ['/weft/block/1.0.0'])
    disconnect(page)
    assert.deepEqual(changes, [server.toString()])
    disconnect(server)
    assert.deepEqual(changes, [server.toString(), server.toString()])
    stop()
    identify(server, [STORE])
    assert.equal(changes.length, 2)
  })

  it('tells of every identify as a server or not, and of a server that stops speaking the store protocol as leaving', async () => {
    const { events, identify, disconnect } = bus()
    const told: string[] = []
    watchServers({ events }, STORE, {
      onServer: () => { told.push('server') },
      onNotServer: () => { told.push('not a server') },
      onMembershipChange: () => { told.push('change') }
    })
    const peer = await randomPeerId()

    identify(peer, [STORE])
    identify(peer, [STORE])
    identify(peer, ['/weft/kad/1.0.0'])
    disconnect(peer)
    assert.deepEqual(told, ['server', 'change', 'server', 'not a server', 'change'])
  })
})
