import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import toBuffer from 'it-to-buffer'
import { createNode, formatCapability, formatShareLink, parseCapability, type WeftNode } from '../../src/index.js'
import { browserFixture } from '../support/browser.js'

const MiB = 1_048_576

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function transientNode (bootstrap: string): Promise<WeftNode> {
  return createNode({ bootstrap: [bootstrap], storage: { replication: 3, writeQuorum: 3 } }, { transient: true })
}

/** Whether any file under `dirs` holds the 64 bytes of `plain` at `offset` (a sample of windows: each leaf's first, middle and last). */
async function holdsAny (dirs: string[], plain: Uint8Array): Promise<boolean> {
  const windows: Buffer[] = []
  for (let at = 0; at + 64 <= plain.byteLength; at += MiB / 2) windows.push(Buffer.from(plain.subarray(at, at + 64)))
  windows.push(Buffer.from(plain.subarray(plain.byteLength - 64)))
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue
      const bytes = await readFile(join(entry.parentPath, entry.name)).catch(() => Buffer.alloc(0))
      if (windows.some(w => bytes.includes(w))) return true
    }
  }
  return false
}

describe('encrypted shares in the page', () => {
  const network = browserFixture({ servers: 3 })

  it('encrypts a share by default: the link carries the key in its fragment, no server holds the plaintext, a Node reader decrypts it with the link', async () => {
    const bytes = randomBytes(2 * MiB + 4321)
    const page = await network.open()
    const shared = await page.shareFile('private.bin', bytes, { encrypt: true })
    const url = new URL(shared.link)
    assert.equal(url.search, '')
    assert.match(url.hash, new RegExp(`^#/${shared.cid}/private\\.bin\\?k=[A-Za-z0-9_-]{43}$`))
    assert.equal(await holdsAny(network.servers.map(s => s.dataDir), bytes), false)

    const reader = await transientNode(network.servers[2].multiaddrs[0])
    try {
      assert.equal(sha256(await toBuffer(reader.get(shared.link))), sha256(bytes))
      assert.equal((await reader.stat(shared.link)).name, 'private.bin')
    } finally {
      await reader.stop()
    }
  })

  it('a page opened with an encrypted link decrypts a file a Node node put, byte-identical', async () => {
    const bytes = randomBytes(MiB + 99)
    const writer = await transientNode(network.servers[1].multiaddrs[0])
    let capability: string
    try {
      capability = (await writer.put(bytes, { encrypt: { name: 'from-node.bin' } })).capability ?? assert.fail('no capability')
    } finally {
      await writer.stop()
    }
    const cap = parseCapability(capability) ?? assert.fail()
    const link = formatShareLink(network.server.httpUrl ?? assert.fail(), { ...cap, name: 'from-node.bin' })
    const page = await network.open(new URL(link).hash)
    const { result, ...file } = await page.receivedFile()
    assert.deepEqual(file, { name: 'from-node.bin', size: bytes.length, sha256: sha256(bytes) })
    assert.match(result, /^got from-node\.bin/)
  })

  it('the key in a link never leaves the browser: no request the page makes (URL, Referer or any header) carries it', async () => {
    const bytes = randomBytes(300_000)
    const writer = await transientNode(network.servers[1].multiaddrs[0])
    let capability: string
    try {
      capability = (await writer.put(bytes, { encrypt: { name: 'quiet.bin' } })).capability ?? assert.fail('no capability')
    } finally {
      await writer.stop()
    }
    const cap = parseCapability(capability) ?? assert.fail()
    const key = Buffer.from(cap.key).toString('base64url')
    const context = await network.newContext()
    const page = await context.newPage()
    // what Chromium puts on the wire: CDP gives a request's URL without its fragment (that is `urlFragment`, never sent)
    const cdp = await context.newCDPSession(page)
    const sent: string[] = []
    cdp.on('Network.requestWillBeSent', (event: any) => { sent.push(event.request.url, ...Object.values(event.request.headers as Record<string, string>)) })
    cdp.on('Network.webSocketCreated', (event: any) => { sent.push(event.url) })
    await cdp.send('Network.enable')
    await page.goto(formatShareLink(network.server.httpUrl ?? assert.fail(), { ...cap, name: 'quiet.bin' }))
    await page.locator('#get-result[data-state="ok"]').waitFor({ timeout: 60_000 })
    assert.ok(sent.some(s => s.startsWith(network.server.httpUrl ?? '')), 'no request to the page\'s server was seen')
    assert.deepEqual(sent.filter(s => s.includes(key)), [])
  })

  it('a page opened with a link with the wrong key shows DecryptionError and offers no file', async () => {
    const writer = await transientNode(network.servers[1].multiaddrs[0])
    let cid: string
    try {
      cid = parseCapability((await writer.put(randomBytes(5000), { encrypt: true })).capability ?? '')?.cid ?? assert.fail()
    } finally {
      await writer.stop()
    }
    const wrong = parseCapability(formatCapability({ cid, key: randomBytes(32) })) ?? assert.fail()
    const page = await network.open(new URL(formatShareLink(network.server.httpUrl ?? assert.fail(), wrong)).hash)
    await assert.rejects(page.receivedFile(), /the key does not open/)
    assert.equal(await page.page.locator('#get-done').isHidden(), true)
  })
})
