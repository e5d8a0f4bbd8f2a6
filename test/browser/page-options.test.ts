import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bootstrapOver, pageOptions } from '../../web/options.js'

const WS = '/ip4/198.18.0.1/tcp/4002/ws/p2p/12D3KooWServer'
const WSS = '/dns4/example.org/tcp/443/tls/sni/example.org/ws/p2p/12D3KooWServer'
const DIRECT = '/ip4/198.18.0.1/udp/4001/webrtc-direct/certhash/uEiAbc/p2p/12D3KooWServer'

describe('the page\'s query string', () => {
  it('defaults to every transport, the database "weft" and the service worker', () => {
    assert.deepEqual(pageOptions(''), { transport: 'all', db: 'weft', serviceWorker: true })
  })

  it('reads the transport and the database name', () => {
    assert.deepEqual(pageOptions('?transport=webrtc-direct&db=alice'), { transport: 'webrtc-direct', db: 'alice', serviceWorker: true })
  })

  it('turns the service worker off with sw=off, and names a wrong value', () => {
    assert.equal(pageOptions('?sw=off').serviceWorker, false)
    assert.throws(() => pageOptions('?sw=no'), /sw must be on or off in the URL, not "no"/)
  })

  it('rejects an unknown transport, naming it and the choices', () => {
    assert.throws(() => pageOptions('?transport=tcp'), /unknown transport "tcp".*all, websockets, webrtc-direct/)
  })

  it('rejects an empty database name', () => {
    assert.throws(() => pageOptions('?db='), /db name/)
  })

  it('keeps only the bootstrap addresses of the chosen transport', () => {
    assert.deepEqual(bootstrapOver([WS, WSS, DIRECT], 'websockets'), [WS, WSS])
    assert.deepEqual(bootstrapOver([WS, WSS, DIRECT], 'webrtc-direct'), [DIRECT])
    assert.deepEqual(bootstrapOver([WS, DIRECT], 'all'), [WS, DIRECT])
  })

  it('says so when the server offers no address of the chosen transport', () => {
    assert.throws(() => bootstrapOver([WS], 'webrtc-direct'), /no webrtc-direct address/)
  })
})
