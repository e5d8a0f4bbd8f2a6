import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { createNode, formatShareLink, parseCapability, type Capability } from '../../src/index.js'
import { formatKey } from '../../src/content/capability.js'
import { browserFixture, PAGE_TIMEOUT_MS, playsPast, WeftPage, withoutSavePicker } from '../support/browser.js'
import { mediaFile } from '../support/media-file.js'
import type { BrowserContext } from 'playwright-core'
import type { ServedRange } from '../../web/stream-bridge.js'
import type { WeftPageHook } from '../../web/main.js'

// Encrypted files through the page's service worker: played as they arrive,
// seeked, downloaded to disk, while the key stays in the tab. The worker's
// URLs name an opaque stream id; the tab decrypts only the leaves of each
// range it is asked for.

const run = promisify(execFile)

/** The loopback's rate while a test streams, as in streaming.test.ts: what plays early cannot be the whole file. */
const CAPPED_RATE = '24mbit'
const MiB = 1_048_576

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * An HTTP proxy in front of the page's server that writes down every
 * request it passes on (method, URL, every header): the server's HTTP log,
 * as a server that keeps one would have it.
 */
async function recordingProxy (target: string): Promise<{ url: string, log: string[], close: () => Promise<void> }> {
  const upstream = new URL(target)
  const log: string[] = []
  const server: Server = createServer((req, res) => {
    log.push(`${req.method ?? ''} ${req.url ?? ''} ${JSON.stringify(req.headers)}`)
    const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => { res.destroy() })
    req.pipe(forward)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('the proxy has no address')
  return {
    url: `http://127.0.0.1:${address.port}/`,
    log,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

async function served (page: WeftPage): Promise<ServedRange[]> {
  return page.page.evaluate(() => (globalThis as unknown as { weft: WeftPageHook }).weft.served())
}

/** Blocks the page's node fetched for its worker's reads under `id` (1 MiB each). */
async function fetchedBytes (page: WeftPage, id: string): Promise<number> {
  return MiB * await page.page.evaluate(id => (globalThis as unknown as { weft: WeftPageHook }).weft.streamedBlocks(id), id)
}

describe('encrypted files through the page\'s service worker', () => {
  const network = browserFixture({ servers: 1 })
  let proxy: Awaited<ReturnType<typeof recordingProxy>>
  let video: { capability: Capability, size: number, seconds: number }
  let capped = false

  /** Puts `bytes` encrypted from a node in this process, as `weft put --encrypt` does. */
  const encryptedPut = async (bytes: Uint8Array, name: string, type?: string): Promise<Capability> => {
    const writer = await createNode({ bootstrap: [network.server.multiaddrs[0]], storage: { writeQuorum: 1 } }, { transient: true })
    try {
      const put = await writer.put(bytes, { encrypt: { name, ...(type != null ? { type } : {}) } })
      return parseCapability(put.capability ?? '') ?? assert.fail('no capability')
    } finally {
      await writer.stop()
    }
  }

  /** Opens the share link of `cap` through the recording proxy, in `context`, with every request the browser makes written to `seen`. */
  const openLink = async (context: BrowserContext, cap: Capability, seen: string[]): Promise<WeftPage> => {
    // what the page and its worker ask for, the worker's own answers included: URL and every header
    context.on('request', req => { seen.push(req.url(), ...Object.values(req.headers())) })
    const page = await WeftPage.open(context, formatShareLink(proxy.url, cap))
    assert.equal(await page.page.evaluate(async () => (globalThis as unknown as { weft: WeftPageHook }).weft.streaming), true, 'the service worker controls the page')
    return page
  }

  before(async () => {
    const seconds = 30
    const bytes = await mediaFile({ format: 'webm', seconds, mbps: 8 })
    video = { capability: { ...await encryptedPut(bytes, 'noise.webm', 'video/webm'), name: 'noise.webm' }, size: bytes.byteLength, seconds }
    proxy = await recordingProxy(network.server.httpUrl ?? assert.fail('the server serves no page'))
    if (process.env.WEFT_TEST_NETNS === '1') {
      await run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', CAPPED_RATE, 'burst', '512kb', 'latency', '400ms'])
      capped = true
    }
  })

  after(async () => {
    if (capped) await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root'])
    await proxy?.close()
  })

  it('plays an encrypted WebM opened by its link and seeks in it, fetching only the leaves there; no URL the worker or the server sees carries the key', async () => {
    const context = await network.newContext()
    const seen: string[] = []
    const page = await openLink(context, video.capability, seen)
    const ms = await playsPast(page, 0.5)
    // the player's URL names an opaque id: not the key, not the CID, not the name
    const src = await page.page.locator('#preview video').getAttribute('src') ?? ''
    const id = /^\/weft-stream\/(enc-[0-9a-f-]{36})\?tab=[0-9a-f-]{36}$/.exec(src)?.[1] ?? assert.fail(`the video's src is ${src}`)
    process.stderr.write(`# encrypted: playing after ${ms.toFixed(0)} ms, ${(await fetchedBytes(page, id) / MiB).toFixed(1)} of ${(video.size / MiB).toFixed(1)} MiB fetched\n`)
    process.stderr.write(`# screenshot: ${await page.screenshot('encrypted-streaming-playing')}\n`)
    assert.match(await page.page.locator('#get-result').innerText(), /^noise\.webm: [\d.]+ MiB, video\/webm, encrypted: (playing|paused) as it streams, [\d.]+ [KM]iB streamed$/)

    const before = await served(page)
    const target = video.seconds * 0.8
    await page.page.evaluate(target => { (document.querySelector('#preview video') as HTMLVideoElement).currentTime = target }, target)
    const seekMs = await playsPast(page, target + 0.5)
    const ranges = await served(page)
    const fetched = await fetchedBytes(page, id)
    process.stderr.write(`# encrypted: played at ${target} s ${seekMs.toFixed(0)} ms after the seek; ranges ${ranges.map(r => `${(r.offset / MiB).toFixed(1)}+${(r.sent / MiB).toFixed(1)}${r.stopped ? ' (stopped)' : ''}`).join(' ')} MiB; ${(fetched / MiB).toFixed(1)} MiB fetched\n`)
    process.stderr.write(`# screenshot: ${await page.screenshot('encrypted-streaming-after-seek')}\n`)
    assert.ok(ranges.every(r => r.cid === id), JSON.stringify(ranges))
    assert.ok(ranges.slice(before.length).some(r => r.offset > video.size * 0.6 && r.offset < video.size * 0.9), JSON.stringify(ranges))
    // the middle of the file was never fetched (nor decrypted)
    assert.ok(fetched < video.size * 0.6, `${fetched} of ${video.size} bytes fetched`)

    const key = formatKey(video.capability.key)
    assert.ok(seen.some(s => s.includes('/weft-stream/')), 'the player\'s requests were seen')
    assert.deepEqual(seen.filter(s => s.includes(key)), [])
    // the server was sent the page and its bootstrap, nothing of the file: no key, no stream URL
    assert.ok(proxy.log.some(line => line.startsWith('GET / ')), proxy.log.join('\n'))
    assert.deepEqual(proxy.log.filter(line => line.includes(key) || line.includes('/weft-stream/') || line.includes(video.capability.cid)), [])
  })

  it('answers a probe with 206, the plaintext\'s size and the type, sandboxed; a stream id no tab holds is served by none', async () => {
    const page = await openLink(await network.newContext(), video.capability, [])
    await page.page.locator('#preview video').waitFor({ timeout: PAGE_TIMEOUT_MS })
    const src = await page.page.locator('#preview video').getAttribute('src') ?? ''
    const answers = await page.page.evaluate(async src => {
      const ask = async (url: string, range: string): Promise<Record<string, string | number | null>> => {
        const response = await fetch(url, { headers: { range } })
        return { status: response.status, length: response.headers.get('content-length'), range: response.headers.get('content-range'), type: response.headers.get('content-type'), csp: response.headers.get('content-security-policy'), bytes: (await response.arrayBuffer()).byteLength }
      }
      return [await ask(src, 'bytes=0-1'), await ask('/weft-stream/enc-00000000-0000-4000-8000-000000000000', 'bytes=0-1')]
    }, src)
    assert.deepEqual(answers[0], { status: 206, length: '2', range: `bytes 0-1/${video.size}`, type: 'video/webm', csp: 'sandbox', bytes: 2 })
    assert.equal(answers[1].status, 503)
  })

  it('downloads a large encrypted file to disk through the worker, byte-identical, under its name', async () => {
    const bytes = randomBytes(6 * MiB + 12_345)
    const cap = { ...await encryptedPut(bytes, 'big.bin'), name: 'big.bin' }
    // through the worker, as in Firefox: where File System Access is there the Download link asks for a file instead
    const context = await network.newContext()
    await withoutSavePicker(context)
    const page = await openLink(context, cap, [])
    const result = page.page.locator('#get-result[data-state="ok"]')
    await result.waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.match(await result.innerText(), /^big\.bin: [\d.]+ MiB, encrypted: .*never held whole in this tab$/)
    assert.match(await page.page.locator('#download').getAttribute('href') ?? '', /^\/weft-download\/enc-[0-9a-f-]{36}\?tab=/)
    const [download] = await Promise.all([page.page.waitForEvent('download'), page.page.locator('#download').click()])
    assert.equal(download.suggestedFilename(), 'big.bin')
    const saved = await readFile(await download.path())
    assert.equal(saved.byteLength, bytes.byteLength)
    assert.equal(sha256(saved), sha256(bytes))
    process.stderr.write(`# screenshot: ${await page.screenshot('encrypted-streaming-download')}\n`)
  })
})
