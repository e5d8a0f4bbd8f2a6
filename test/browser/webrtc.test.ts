import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { browserFixture } from '../support/browser.js'

describe('two pages', () => {
  const pages = browserFixture()

  it('connect directly over WebRTC, signalled through the server\'s relay', async () => {
    // one context, two databases: two peers in one browser
    const context = await pages.newContext()
    const alice = await pages.open('?db=alice', { context })
    const bob = await pages.open('?db=bob', { context })
    const [aliceId, bobId] = await Promise.all([alice.peerId(), bob.peerId()])
    assert.notEqual(aliceId, bobId)

    const aliceAddr = await alice.address(/\/ws\/.*\/p2p-circuit\/webrtc\//)
    // the page retries: in @libp2p/webrtc 6.0.33 some first dials (~6%) hang until a timeout
    const result = await bob.submit('connect', aliceAddr, 60_000)
    assert.match(result, /over webrtc(,|$)/)

    const row = await bob.connectionTo(aliceId, 'webrtc')
    assert.equal(await row.getAttribute('data-limited'), 'false')
    await alice.connectionTo(bobId, 'webrtc')

    // what the page shows, checked at the source: libp2p's own connection objects
    const direct = (await bob.connectionsTo(aliceId)).filter(c => /\/webrtc\//.test(c.remoteAddr))
    assert.ok(direct.length > 0, 'no /webrtc connection')
    for (const c of direct) assert.equal(c.limits, undefined, `${c.remoteAddr} is limited: relayed, not direct`)
  })
})
