import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { launchBrowser, spawnPageServer, WeftPage } from './support/browser.js'
import { pollUntil } from './support/status.js'
import { certhashOf, plantCertificateDueForRenewal } from './support/webrtc-certificate.js'
import { removeDir, spawnServer, tempDir, type WeftProcess } from './support/weft-process.js'
import type { BootstrapInfo } from '../src/http/server.js'
import type { WeftPageHook } from '../web/main.js'
import type { Browser } from 'playwright-core'

/** The WebRTC-direct address a server's `/weft/bootstrap.json` offers pages right now. */
async function bootstrapWebRTCDirect (server: WeftProcess): Promise<string> {
  const info = await (await fetch(new URL('weft/bootstrap.json', server.httpUrl))).json() as BootstrapInfo
  const addrs = info.bootstrap.filter(a => a.includes('/webrtc-direct/'))
  assert.equal(addrs.length, 1, `one WebRTC-direct address in ${JSON.stringify(info.bootstrap)}`)
  return addrs[0]
}

/** The WebRTC-direct address `weft start` printed it listens on. */
function printedWebRTCDirect (server: WeftProcess): string {
  const addr = server.multiaddrs.find(a => a.includes('/webrtc-direct/'))
  assert.ok(addr != null, `a WebRTC-direct address among ${server.multiaddrs.join(', ')}`)
  return addr
}

describe('the WebRTC-direct certhash pages bootstrap with is the certificate the server listens with', () => {
  const cleanup: Array<() => Promise<unknown>> = []
  after(async () => { for (const undo of cleanup.reverse()) await undo() })

  it('is the same after a restart: the certificate and its key are kept in the data directory', async () => {
    const dataDir = await tempDir()
    cleanup.push(async () => removeDir(dataDir))
    const first = await spawnServer({ dataDir, browserTransports: true, http: true })
    const before = await bootstrapWebRTCDirect(first)
    await first.stop()
    const second = await spawnServer({ dataDir, browserTransports: true, http: true })
    cleanup.push(async () => second.stop())
    const afterRestart = await bootstrapWebRTCDirect(second)
    assert.equal(certhashOf(afterRestart), certhashOf(printedWebRTCDirect(second)))
    assert.equal(certhashOf(afterRestart), certhashOf(before), 'a bookmarked address keeps its certhash across restarts')
  })

  describe('renewed while the server runs', () => {
    let browser: Browser

    it('bootstrap.json follows the renewal; a page joins with the new certhash, and a hard-coded old address is refused', async () => {
      const dataDir = await tempDir()
      cleanup.push(async () => removeDir(dataDir))
      // a first run makes the key and a certificate; the planted one, of the
      // same key, is one @libp2p/webrtc renews a few seconds after loading it
      await (await spawnPageServer({ dataDir })).stop()
      const planted = await plantCertificateDueForRenewal(dataDir, 10_000)
      const server = await spawnPageServer({ dataDir })
      cleanup.push(async () => server.stop())
      const old = await bootstrapWebRTCDirect(server)
      assert.equal(certhashOf(old), planted, 'the server loads the kept certificate')

      const renewed = await pollUntil(async () => bootstrapWebRTCDirect(server), addr => certhashOf(addr) !== planted,
        addr => `bootstrap.json still offers ${addr}`, { timeoutMs: 60_000, intervalMs: 250 })
      assert.equal(renewed.replace(/\/certhash\/[^/]+/, ''), old.replace(/\/certhash\/[^/]+/, ''), 'only the certhash changed')

      browser = await launchBrowser()
      cleanup.push(async () => browser.close())
      // a page bootstrapping from bootstrap.json gets the new certificate's hash and joins
      const page = await WeftPage.open(await browser.newContext(), `${server.httpUrl}?transport=webrtc-direct`)
      const row = await page.connectionTo(server.peerId, 'webrtc-direct')
      assert.match(await row.innerText(), /webrtc-direct/)

      // a page whose bootstrap address was written down before the renewal
      // (here: its bootstrap.json answered with the old one) cannot connect
      // with it, and can with the current one
      const context = await browser.newContext()
      await context.route('**/weft/bootstrap.json', async route => {
        const info = await (await route.fetch()).json() as BootstrapInfo
        await route.fulfill({ json: { ...info, bootstrap: [old] } })
      })
      const stale = await WeftPage.open(context, `${server.httpUrl}?transport=webrtc-direct`)
      await stale.peerId()
      const dial = async (addr: string): Promise<string> => stale.page.evaluate(async addr => {
        const { weft } = globalThis as unknown as { weft: WeftPageHook }
        try {
          return `connected over ${(await weft.connect(addr)).transport}`
        } catch (err: any) {
          return `failed: ${String(err.message)}`
        }
      }, addr)
      // no quick refusal: each attempt waits out its time-out (6 s seen), the DTLS handshake never completing
      const failure = await dial(old)
      assert.match(failure, /^failed: /)
      assert.equal(await stale.isConnectedTo(server.peerId), false)
      assert.equal(await dial(renewed), 'connected over webrtc-direct')
    })
  })
})
