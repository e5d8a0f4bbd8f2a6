import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { browserFixture } from '../support/browser.js'

describe('a page joins through the server that served it', () => {
  // each page opens in a fresh context: its own IndexedDB, so its own PeerId
  const pages = browserFixture()

  it('connects to the server over WebSockets', async () => {
    const page = await pages.open('?transport=websockets')
    const row = await page.connectionTo(pages.server.peerId)
    assert.equal(await row.getAttribute('data-transport'), 'websockets')
    assert.match(await row.innerText(), /websockets/)
    assert.match(await page.status('connected'), /^connected to 1 peer$/)
  })

  it('connects to the server over WebRTC-direct', async () => {
    const page = await pages.open('?transport=webrtc-direct')
    const row = await page.connectionTo(pages.server.peerId)
    assert.equal(await row.getAttribute('data-transport'), 'webrtc-direct')
    assert.match(await row.innerText(), /webrtc-direct/)
  })

  it('reserves a relay slot and shows its /p2p-circuit/webrtc address', async () => {
    const page = await pages.open()
    const address = await page.address(/\/p2p-circuit\/webrtc\//)
    assert.ok(address.includes(`/p2p/${pages.server.peerId}/p2p-circuit/webrtc/p2p/${await page.peerId()}`), address)
  })

  it('shows an error on the page when the URL names an unknown transport', async () => {
    const page = await pages.open('?transport=carrier-pigeon')
    assert.match(await page.status('error'), /unknown transport "carrier-pigeon"/)
  })
})
