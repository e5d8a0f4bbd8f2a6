// Where an in-page get's time goes (issue 15): the page ← server rows of
// bench/browser-transfer.ts, each weft get measured in turn with the stream it
// is the limit of (a ratio read side by side, on a machine shared with others),
// and optionally profiled in the page through the Chrome DevTools Protocol
// (`Profiler.start`/`stop`, one .cpuprofile per run). Inside the bench's
// network namespace:
//   bash test/support/in-netns.sh node dist/bench/page-profile.js [--size 64] [--rounds 3]
//     [--transports websockets,webrtc-direct] [--what stream,get,get-uncached,get-b] [--web-b DIR] [--profile DIR]
// `--web-b DIR --what stream,get,get-b` also gets the file through the page
// built in DIR (a copy of another build's dist/web), served beside this one.
// The server's own CPU: run it with NODE_OPTIONS='--cpu-prof --cpu-prof-dir=DIR'.
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { launchBrowser } from '../test/support/browser.js'
import { serverAddr, startPageServer, STREAM_PROTOCOL, verify, type PageTransport } from './browser-transfer.js'
import { pageJoined, pageRead, type PageGetResult } from './in-page.js'
import { randomFile } from './random-file.js'
import { mibPerSecond } from './stats.js'
import type { PageServerReady } from './page-server.js'
import type { Browser } from 'playwright-core'

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    transports: { type: 'string', default: 'websockets,webrtc-direct' },
    profile: { type: 'string' },
    what: { type: 'string', default: 'stream,get' },
    'web-b': { type: 'string' }
  }
})
const size = Number(values.size) * 2 ** 20
const rounds = Number(values.rounds)
const transports = values.transports.split(',') as PageTransport[]
const profileDir = values.profile
/**
 * What a run reads: the reference stream, the get (caching every block, as a
 * page does), the get keeping no block, or the get of the page built in
 * `--web-b` (another checkout's dist/web: an A/B in one run).
 */
type What = 'stream' | 'get' | 'get-uncached' | 'get-b'
const whats = values.what.split(',') as What[]

/** CPU seconds so far of every process on the machine by kind (the page server, Chromium's processes by --type), from /proc. */
function cpuByKind (): Map<string, number> {
  const ticks = 100
  const kinds = new Map<string, number>()
  for (const pid of readdirSync('/proc').filter(d => /^\d+$/.test(d))) {
    try {
      // Chromium's children rewrite their command line into one string
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      let kind: string
      if (cmd.includes('page-server.js')) kind = 'server'
      else if (cmd.includes('chrom')) kind = `chromium ${/--type=(\S+)/.exec(cmd)?.[1] ?? 'browser'}${/--utility-sub-type=(\S+)/.exec(cmd)?.[1].replace(/^(\w+)\.mojom\.(\w+)$/, ' ($2)') ?? ''}`
      else if (cmd.includes('page-profile.js')) kind = 'orchestrator'
      else kind = 'other'
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      kinds.set(kind, (kinds.get(kind) ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticks)
    } catch {}
  }
  return kinds
}

/** What each kind spent between two readings, in CPU ms per MiB moved. */
function cpuPerMiB (before: Map<string, number>, after: Map<string, number>, bytes: number): string {
  const mib = bytes / 2 ** 20
  return [...after].map(([kind, s]) => [kind, (s - (before.get(kind) ?? 0)) * 1000 / mib] as const)
    .filter(([, ms]) => ms >= 0.5).sort((a, b) => b[1] - a[1]).map(([kind, ms]) => `${kind} ${ms.toFixed(1)}`).join(', ')
}

/** One run in a fresh context: joined over `transport`, then the get or the stream, profiled if asked. */
async function run (browser: Browser, server: PageServerReady, transport: PageTransport, what: What, label: string): Promise<PageGetResult> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    page.on('pageerror', err => { console.error(`pageerror: ${err.message}`) })
    const url = what === 'get-b' ? server.otherUrls[0] : server.httpUrl
    await page.goto(`${url}?transport=${transport}`)
    await page.evaluate(pageJoined, { server: server.peerId, dial: serverAddr(server, transport), timeoutMs: 30_000 })
    const cdp = profileDir != null ? await context.newCDPSession(page) : undefined
    if (cdp != null) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 250 })
      await cdp.send('Profiler.start')
    }
    const cpuBefore = cpuByKind()
    const result = what === 'stream'
      ? await page.evaluate(pageRead, { server: server.peerId, protocol: STREAM_PROTOCOL })
      : await page.evaluate(pageRead, { cid: server.cid, ...(what === 'get-uncached' ? { cache: false as const } : {}) })
    console.log(`  ${label} CPU ms per MiB: ${cpuPerMiB(cpuBefore, cpuByKind(), result.bytes)}`)
    if (cdp != null && profileDir != null) {
      const { profile } = await cdp.send('Profiler.stop')
      await writeFile(join(profileDir, `${label}.cpuprofile`), JSON.stringify(profile))
    }
    return result
  } finally {
    await context.close()
  }
}

const dir = await mkdtemp(join(tmpdir(), 'weft-page-profile-'))
if (profileDir != null) await mkdir(profileDir, { recursive: true })
try {
  const file = await randomFile(dir, size)
  const host = process.env.WEFT_TEST_HOST ?? '127.0.0.1'
  const [browser, server] = await Promise.all([launchBrowser(), startPageServer({ tmpDir: dir, host, ...(values['web-b'] != null ? { webRoots: [values['web-b']] } : {}) }, file)])
  try {
    // a warm-up of each, uncounted
    for (const transport of transports) {
      for (const what of whats) await run(browser, server.ready, transport, what, `warm-${transport}-${what}`)
    }
    for (let round = 1; round <= rounds; round++) {
      for (const transport of transports) {
        const rates: Record<string, { all: number, afterFirst: number }> = {}
        // each round in another order: what runs later in a round was seen to run faster (a warmer browser)
        const order = whats.map((_, i) => whats[(i + round - 1) % whats.length])
        for (const what of order) {
          const result = await run(browser, server.ready, transport, what, `${transport}-${what}-${round}`)
          await verify(result, file)
          rates[what] = { all: mibPerSecond(result.bytes, result.ms), afterFirst: mibPerSecond(result.bytes, result.ms - result.firstByteMs) }
          console.log(`round ${round} ${transport} ${what}: ${rates[what].all.toFixed(1)} MiB/s (after first byte ${rates[what].afterFirst.toFixed(1)}; ${result.rootMs != null ? `root ${result.rootMs.toFixed(0)} ms, ` : ''}first byte ${result.firstByteMs.toFixed(0)} ms, hashes after the last byte ${result.hashMs.toFixed(0)} ms, ${result.chunks.length} chunks)`)
        }
        for (const what of whats.filter(w => w !== 'stream')) {
          if (rates.stream != null) console.log(`round ${round} ${transport}: ${what}/stream ${(rates[what].all / rates.stream.all).toFixed(2)}x, after first byte ${(rates[what].afterFirst / rates.stream.afterFirst).toFixed(2)}x`)
        }
      }
    }
  } finally {
    await browser.close()
    await server.peer.release()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
