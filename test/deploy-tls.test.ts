import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { launchBrowser, WeftPage } from './support/browser.js'
import { makeTestCertificates } from './support/test-ca.js'
import { TlsProxy } from './support/tls-proxy.js'
import { removeDir, runWeft, spawnServer, tempDir, TEST_HOST, type WeftProcess } from './support/weft-process.js'
import type { BootstrapInfo } from '../src/http/server.js'
import type { Browser } from 'playwright-core'

/** The site's name, as a DNS name would point at the proxy; Chromium is told to resolve it to the test host. */
const SITE = 'weft.test'

/**
 * A free TCP port on `host`, for the server's `/ws` listener: with `announce`
 * set, `weft start` prints the announced addresses, not the ones it listens
 * on, so the proxy's upstream port is chosen here, as an operator would.
 */
async function freePort (host: string): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, host, resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>(resolve => probe.close(() => { resolve() }))
  return port
}

/** A free UDP port on `host`, for the WebRTC-direct listener, for the same reason. */
async function freeUdpPort (host: string): Promise<number> {
  const probe = createSocket('udp4')
  await new Promise<void>(resolve => probe.bind(0, host, resolve))
  const { port } = probe.address()
  await new Promise<void>(resolve => probe.close(() => { resolve() }))
  return port
}

describe('a server behind a TLS reverse proxy serves wss to pages on https', () => {
  let dir: string
  let proxy: TlsProxy
  let proxyPort: number
  let server: WeftProcess
  let browser: Browser
  let siteUrl: string
  let webrtcDirect: string

  before(async () => {
    dir = await tempDir('weft-tls-')
    const certs = await makeTestCertificates(dir, SITE)
    proxy = new TlsProxy({ key: certs.serverKey, cert: certs.serverChain })
    proxyPort = await proxy.listen(TEST_HOST)
    const wsPort = await freePort(TEST_HOST)
    const udpPort = await freeUdpPort(TEST_HOST)
    webrtcDirect = `/ip4/${TEST_HOST}/udp/${udpPort}/webrtc-direct`
    // what docs/deploy.md tells an operator: WebSockets on a port only the
    // proxy reaches, the proxy's public wss address announced, and private
    // addresses kept out of what pages dial (as on the internet); WebRTC-direct
    // needs no proxy, and is announced without its certhash, which libp2p fills in
    server = await spawnServer({
      http: true,
      args: ['--listen', `/ip4/${TEST_HOST}/tcp/${wsPort}/ws`, '--listen', webrtcDirect,
        '--announce', `/dns4/${SITE}/tcp/${proxyPort}/wss`, '--announce', webrtcDirect,
        '--allow-private-addresses', 'false']
    })
    const { port: httpPort } = new URL(server.httpUrl ?? '')
    proxy.forwardTo({ http: { host: TEST_HOST, port: Number(httpPort) }, ws: { host: TEST_HOST, port: wsPort } })
    siteUrl = `https://${SITE}:${proxyPort}/`
    // trusts the test's CA (the chain's root) and resolves the site's name to the proxy, nothing more:
    // a certificate the CA did not sign is still refused
    browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${certs.caSpkiSha256}`,
      `--host-resolver-rules=MAP ${SITE} ${TEST_HOST}`])
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    await proxy?.close()
    if (server != null) await removeDir(server.dataDir)
    if (dir != null) await removeDir(dir)
  })

  it('lists the announced addresses, and only them, in /weft/bootstrap.json: the /dns4/…/wss one, and WebRTC-direct with its certhash filled in', async () => {
    const info = await (await fetch(new URL('weft/bootstrap.json', server.httpUrl))).json() as BootstrapInfo
    assert.equal(info.bootstrap.length, 2, info.bootstrap.join(', '))
    assert.equal(info.bootstrap[0], `/dns4/${SITE}/tcp/${proxyPort}/wss/p2p/${server.peerId}`)
    assert.match(info.bootstrap[1], new RegExp(`^${webrtcDirect}/certhash/uEi[\\w-]+/p2p/${server.peerId}$`))
    assert.equal(info.allowPrivateAddresses, false)
  })

  it('the filled-in certhash is the certificate the server listens with: weft put joins through that address alone', async () => {
    const info = await (await fetch(new URL('weft/bootstrap.json', server.httpUrl))).json() as BootstrapInfo
    const file = join(dir, 'hello.txt')
    await writeFile(file, 'hello over webrtc-direct\n')
    const put = await runWeft(['put', file, '--bootstrap', info.bootstrap[1], '--storage.write-quorum', '1', '--quiet'])
    assert.equal(put.code, 0, put.stderr)
    assert.match(put.stdout, /^baf\w+\n$/)
  })

  it('a page opened on https:// joins the server through wss via the proxy', async () => {
    const context = await browser.newContext()
    try {
      const page = await WeftPage.open(context, `${siteUrl}?transport=websockets`)
      // WebCrypto, and so the page's node, needs a secure context: https from a name, not loopback
      assert.deepEqual(await page.page.evaluate(() => ({ protocol: location.protocol, secure: isSecureContext })), { protocol: 'https:', secure: true })
      const row = await page.connectionTo(server.peerId, 'websockets')
      assert.match(await row.innerText(), /websockets/)
      assert.match(await page.status('connected'), /^connected to 1 peer$/)
      const connections = await page.connectionsTo(server.peerId)
      assert.deepEqual(connections.map(c => c.remoteAddr), [`/dns4/${SITE}/tcp/${proxyPort}/wss/p2p/${server.peerId}`])
      assert.ok(proxy.upgrades >= 1, 'the WebSocket went through the proxy')
    } finally {
      await context.close()
    }
  })

  it('the same page without the CA trusted is refused by the browser, so the trust above is what made it work', async () => {
    const untrusting = await launchBrowser([`--host-resolver-rules=MAP ${SITE} ${TEST_HOST}`])
    try {
      const page = await untrusting.newPage()
      await assert.rejects(page.goto(siteUrl), /ERR_CERT_AUTHORITY_INVALID/)
    } finally {
      await untrusting.close()
    }
  })
})
