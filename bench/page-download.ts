// Issue 16 item 2: Chromium's memory while a page downloads a large file
// through its share link. A weft server holds the file (put by a node in
// this process); a headless Chromium opens the page on the link and clicks
// "Download"; RSS summed over every Chromium process (browser, renderers,
// GPU, utility, the service worker's) is sampled every 200 ms from /proc
// from the idle, joined page until the file is saved, and the saved file is
// hashed against the put. `--sw off` runs the page without its service
// worker: the old path, which reads the file into Blob parts first.
//
//   bash test/support/in-netns.sh node dist/bench/page-download.js --mib 512 [--sw off]
import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFileSync, readdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createNode } from '../src/index.js'
import { launchBrowser, spawnPageServer } from '../test/support/browser.js'
import { removeDir } from '../test/support/weft-process.js'
import type { WeftPageHook } from '../web/main.js'

const MIB = 2 ** 20

/** Every process below `root`, with its parent: Chromium's tree under this one. */
function descendants (root: number): number[] {
  const parents = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ').pop()?.split(' ') ?? []
      parents.set(Number(name), Number(fields[1]))
    } catch {}
  }
  const found: number[] = []
  const walk = (pid: number): void => {
    for (const [child, parent] of parents) if (parent === pid) { found.push(child); walk(child) }
  }
  walk(root)
  return found
}

/** RSS in bytes of each Chromium process under this one, by its kind (`--type=`, or `browser`), and summed (VmRSS; shared pages count in each). */
function chromiumRss (): { sum: number, anon: number, byKind: Record<string, number> } {
  let sum = 0
  let anon = 0
  const byKind: Record<string, number> = {}
  for (const pid of descendants(process.pid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      if (!/^Name:\s*(chrom|headless)/im.test(status)) continue
      const rss = Number(/^VmRSS:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      const kind = [cmdline.find(a => a.startsWith('--type='))?.slice(7) ?? 'browser', cmdline.find(a => a.startsWith('--utility-sub-type='))?.slice(19)].filter(Boolean).join(':')
      byKind[kind] = (byKind[kind] ?? 0) + rss
      sum += rss
      anon += Number(/^RssAnon:\s*(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024
    } catch {}
  }
  return { sum, anon, byKind }
}

async function * randomChunks (size: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < size;) {
    const chunk = randomFillSync(Buffer.alloc(Math.min(4 * MIB, size - sent)))
    hash.update(chunk)
    sent += chunk.byteLength
    yield chunk
  }
}

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const { values } = parseArgs({ options: { mib: { type: 'string', default: '512' }, sw: { type: 'string', default: 'on' } } })
const size = Number(values.mib) * MIB
const server = await spawnPageServer()
const browser = await launchBrowser()
try {
  const hash = createHash('sha256')
  const writer = await createNode({ bootstrap: [server.multiaddrs[0]], storage: { writeQuorum: 1 } }, { transient: true })
  let cid: string
  const putStarted = Date.now()
  try {
    cid = (await writer.put(randomChunks(size, hash))).cid.toString()
  } finally {
    await writer.stop()
  }
  const sha256 = hash.digest('hex')
  console.error(`put ${values.mib} MiB in ${((Date.now() - putStarted) / 1000).toFixed(1)} s: ${cid}`)

  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  await page.goto(`${server.httpUrl}${values.sw === 'off' ? '?sw=off' : ''}`)
  await page.evaluate(async () => { await (globalThis as unknown as { weft: WeftPageHook }).weft.ready })
  await page.locator('#status[data-state="connected"]').waitFor({ timeout: 30_000 })
  const streaming = await page.evaluate(async () => (globalThis as unknown as { weft: WeftPageHook }).weft.streaming)
  await new Promise(resolve => setTimeout(resolve, 2000))
  const idle = chromiumRss()
  let peak = idle
  const sample = (): void => {
    const now = chromiumRss()
    if (now.sum > peak.sum) peak = now
  }
  const sampler = setInterval(sample, 200)

  const started = Date.now()
  await page.evaluate(hash => { location.hash = hash }, `#/${cid}/big.bin`)
  // with the worker the link is there at once; without, once the Blob is whole
  const link = page.locator('#get-result[data-state="ok"]')
  await link.waitFor({ timeout: 30 * 60_000 })
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30 * 60_000 }), page.locator('#download').click()])
  const path = await download.path()
  const seconds = (Date.now() - started) / 1000
  clearInterval(sampler)
  sample()
  const saved = await sha256File(path)
  const result = {
    mib: Number(values.mib),
    serviceWorker: streaming,
    seconds: Number(seconds.toFixed(1)),
    mibPerSecond: Number((size / MIB / seconds).toFixed(1)),
    idleRssMiB: Math.round(idle.sum / MIB),
    peakRssMiB: Math.round(peak.sum / MIB),
    growthMiB: Math.round((peak.sum - idle.sum) / MIB),
    /** Of the growth, anonymous memory (heaps, buffers), not file pages mapped in. */
    anonGrowthMiB: Math.round((peak.anon - idle.anon) / MIB),
    /** At the peak, by process kind: MiB over the idle page. */
    growthByKindMiB: Object.fromEntries(Object.entries(peak.byKind).map(([kind, rss]) => [kind, Math.round((rss - (idle.byKind[kind] ?? 0)) / MIB)])),
    identical: saved === sha256
  }
  console.log(JSON.stringify(result))
  await context.close()
} finally {
  await browser.close()
  await server.stop()
  await removeDir(server.dataDir)
}
