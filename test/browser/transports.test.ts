import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { WeftPage, launchBrowser, spawnPageServer } from '../support/browser.js'
import { removeDir, type WeftProcess } from '../support/weft-process.js'
import type { Browser, BrowserContext } from 'playwright-core'

describe('a page joins through the server that served it', () => {
  let server: WeftProcess
  let browser: Browser
  let context: BrowserContext

  before(async () => {
    server = await spawnPageServer()
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    if (server != null) await removeDir(server.dataDir)
  })

  // each test gets a fresh context: its own IndexedDB, so its own PeerId
  const open = async (query: string): Promise<WeftPage> => {
    await context?.close()
    context = await browser.newContext()
    return WeftPage.open(context, `${server.httpUrl}${query}`)
  }

  it('connects to the server over WebSockets', async () => {
    const page = await open('?transport=websockets')
    const row = await page.connectionTo(server.peerId)
    assert.equal(await row.getAttribute('data-transport'), 'websockets')
    assert.match(await row.innerText(), /websockets/)
    assert.match(await page.status('connected'), /^connected to 1 peer$/)
  })

  it('connects to the server over WebRTC-direct', async () => {
    const page = await open('?transport=webrtc-direct')
    const row = await page.connectionTo(server.peerId)
    assert.equal(await row.getAttribute('data-transport'), 'webrtc-direct')
    assert.match(await row.innerText(), /webrtc-direct/)
  })

  it('reserves a relay slot and shows its /p2p-circuit/webrtc address', async () => {
    const page = await open('')
    const address = await page.address(/\/p2p-circuit\/webrtc\//)
    assert.ok(address.includes(`/p2p/${server.peerId}/p2p-circuit/webrtc/p2p/${await page.peerId()}`), address)
  })

  it('shows an error on the page when the URL names an unknown transport', async () => {
    const page = await open('?transport=carrier-pigeon')
    assert.match(await page.status('error'), /unknown transport "carrier-pigeon"/)
  })
})
