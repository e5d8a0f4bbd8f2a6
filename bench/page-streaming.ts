// Issue 16 item 1 in numbers: a page opens the share link of a WebM (made by
// ffmpeg: 120 s at 8 Mbit/s is 114 MiB) and its <video> plays through the
// page's service worker. Measured in the page: the time from opening the link
// to the first video frame presented with the clock running
// (requestVideoFrameCallback), then from a seek to 80 % until a frame from
// there is presented, and the blocks the tab fetched by each moment. Rows:
// - page ← server over WebSockets, and over WebRTC-direct: a weft server
//   holds the file (put by a node in this process); the page joins over that
//   transport only (`?transport=`);
// - page ← page over WebRTC: page A shares the file from its tab only ("share
//   only from this tab", public), page B dials A's /p2p-circuit/webrtc
//   address and opens A's share link: the server holds none of it and only
//   relays the signalling.
// After each row the connection the blocks came over is checked. Every row is
// a fresh browser context. `rate` caps the loopback first (tc tbf; only inside
// the namespace of test/support/in-netns.sh).
//
//   bash test/support/in-netns.sh node dist/bench/page-streaming.js [--seconds 120] [--mbps 8] [--rate 40mbit]
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { launchBrowser, putThrough, spawnPageServer } from '../test/support/browser.js'
import { mediaFile } from '../test/support/media-file.js'
import { removeDir, type WeftProcess } from '../test/support/weft-process.js'
import { isDirectOver, type PageTransport } from './browser-transfer.js'
import { pageConnect, pageJoined } from './in-page.js'
import type { Section } from './report.js'
import type { WeftPageHook } from '../web/main.js'
import type { Browser, Page } from 'playwright-core'

const MIB = 2 ** 20
const run = promisify(execFile)

/** One row of the streaming table. */
export interface StreamingRow {
  name: string
  from: 'server' | 'page'
  transport: PageTransport
}

export const STREAMING_ROWS: StreamingRow[] = [
  { name: 'page ← server over WebSockets', from: 'server', transport: 'websockets' },
  { name: 'page ← server over WebRTC-direct', from: 'server', transport: 'webrtc-direct' },
  { name: 'page ← page over WebRTC (the server only relays signalling)', from: 'page', transport: 'webrtc' }
]

export interface StreamingFigure {
  row: string
  status: 'ok' | 'failed'
  mib: number
  seconds: number
  rate: string
  /** From opening the link to the first frame presented while playing. */
  firstFrameMs?: number
  /** Blocks (1 MiB) the tab had fetched by then. */
  fetchedAtFirstMiB?: number
  /** From setting currentTime to 80 % to a frame from there presented while playing. */
  seekFrameMs?: number
  fetchedInAllMiB?: number
  /** The remote address the blocks came over. */
  remoteAddr?: string
  error?: string
}

export interface StreamingOptions {
  /** The video's length and bitrate: its size is about seconds × mbps / 8 MB. */
  seconds: number
  mbps: number
  /** A tc tbf rate for the loopback (`40mbit`), or none. */
  rate?: string
  rows?: StreamingRow[]
  log: (line: string) => void
}

const JOIN_TIMEOUT_MS = 30_000
/** Generous: a stalled player fails the row, not the run. */
const PLAY_TIMEOUT_MS = 60_000

/**
 * In the page: opens `hash`, waits for the player, then for its first frame
 * presented with the clock running, seeks to `target` seconds and waits for a
 * frame from there. Stands alone (Playwright sends its source).
 */
async function playAndSeek ({ hash, cid, target, timeoutMs }: { hash: string, cid: string, target: number, timeoutMs: number }): Promise<{ firstMs: number, firstBlocks: number, seekMs: number, blocks: number }> {
  const { weft } = globalThis as unknown as { weft: WeftPageHook }
  const frameFrom = async (video: HTMLVideoElement, at: number): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no frame from ${at} s within ${timeoutMs} ms (at ${video.currentTime} s, readyState ${video.readyState}, ${video.paused ? 'paused' : 'playing'}, error ${video.error?.message ?? 'none'})`)) }, timeoutMs)
    const onFrame = (_now: number, frame: { mediaTime: number }): void => {
      if (!video.paused && frame.mediaTime >= at) { clearTimeout(timer); resolve() } else video.requestVideoFrameCallback(onFrame)
    }
    video.requestVideoFrameCallback(onFrame)
  })
  const opened = performance.now()
  location.hash = hash
  const video = await new Promise<HTMLVideoElement>((resolve, reject) => {
    const deadline = opened + timeoutMs
    const look = (): void => {
      const found = document.querySelector('#preview video') as HTMLVideoElement | null
      if (found != null) resolve(found)
      else if (performance.now() > deadline) reject(new Error(`no player within ${timeoutMs} ms: ${document.querySelector('#get-result')?.textContent ?? ''}`))
      else setTimeout(look, 10)
    }
    look()
  })
  await frameFrom(video, 0)
  const firstMs = performance.now() - opened
  const firstBlocks = weft.streamedBlocks(cid)
  const seeked = performance.now()
  video.currentTime = target
  await frameFrom(video, target)
  return { firstMs, firstBlocks, seekMs: performance.now() - seeked, blocks: weft.streamedBlocks(cid) }
}

/** The server's address over `transport`. */
function addrOver (server: WeftProcess, transport: PageTransport): string {
  const addr = server.multiaddrs.find(a => transport === 'webrtc-direct' ? a.includes('/webrtc-direct/') : a.includes('/ws/'))
  if (addr == null) throw new Error(`the server has no ${transport} address: ${server.multiaddrs.join(', ')}`)
  return addr
}

/** The direct connection to `holder` over `transport` the page has now. */
async function connectionOver (page: Page, holder: string, transport: PageTransport): Promise<string> {
  const connections = await page.evaluate(holder => (globalThis as unknown as { weft: WeftPageHook }).weft.node?.getConnections()
    .filter(c => c.remotePeer.toString() === holder)
    .map(c => ({ peer: holder, remoteAddr: c.remoteAddr.toString(), limited: c.limits != null })) ?? [], holder)
  const direct = connections.filter(c => !c.limited)
  const other = direct.filter(c => !isDirectOver(c, transport))
  if (direct.length === 0 || other.length > 0) throw new Error(`the page's connections to the holder are not direct over ${transport} alone: ${connections.map(c => c.remoteAddr).join(', ') || 'none'}`)
  return direct[0].remoteAddr
}

/** Opens the page in a fresh context, joined through the server (over `transport`, if given). */
async function joinedPage (browser: Browser, server: WeftProcess, transport: PageTransport | undefined, address?: string): Promise<{ page: Page, peerId: string, addrs: string[], close: () => Promise<void> }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${server.httpUrl ?? ''}${transport != null ? `?transport=${transport}` : ''}`)
  if (!await page.evaluate(async () => (globalThis as unknown as { weft: WeftPageHook }).weft.streaming)) throw new Error('no service worker controls the page')
  const joined = await page.evaluate(pageJoined, { server: server.peerId, dial: addrOver(server, transport ?? 'websockets'), ...(address != null ? { address } : {}), timeoutMs: JOIN_TIMEOUT_MS })
  return { page, ...joined, close: async () => { await context.close() } }
}

/** Measures every row with one video; the caller gets a failed figure for a row that failed. */
export async function measurePageStreaming (options: StreamingOptions): Promise<StreamingFigure[]> {
  const bytes = await mediaFile({ format: 'webm', seconds: options.seconds, mbps: options.mbps })
  const mib = Number((bytes.byteLength / MIB).toFixed(1))
  const rate = options.rate ?? 'uncapped'
  const base = { mib, seconds: options.seconds, rate }
  const server = await spawnPageServer()
  const browser = await launchBrowser()
  let capped = false
  const figures: StreamingFigure[] = []
  try {
    const cid = await putThrough(server.multiaddrs[0], bytes)
    // page A's film for page ← page: another of the same length and rate
    // (other noise), which the server does not hold, so page B can only get it from A
    const file = join(tmpdir(), `weft-bench-film-${process.pid}.webm`)
    await writeFile(file, await mediaFile({ format: 'webm', seconds: options.seconds, mbps: options.mbps, seed: 7 }))
    if (options.rate != null) {
      if (process.env.WEFT_TEST_NETNS !== '1') throw new Error('a loopback rate only inside test/support/in-netns.sh')
      await run('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', options.rate, 'burst', '512kb', 'latency', '400ms'])
      capped = true
    }
    for (const row of options.rows ?? STREAMING_ROWS) {
      options.log(`page streaming, ${row.name}: ${mib} MiB WebM of ${options.seconds} s, ${rate}`)
      const opened: Array<() => Promise<void>> = []
      try {
        let holder = server.peerId
        let hash = `#/${cid}/film.webm`
        let played = cid
        let viewer: Page
        if (row.from === 'server') {
          const b = await joinedPage(browser, server, row.transport)
          opened.push(b.close)
          viewer = b.page
        } else {
          const a = await joinedPage(browser, server, undefined, '/p2p-circuit/webrtc')
          opened.push(a.close)
          await a.page.locator('#put-local').setChecked(true)
          await a.page.locator('#put-public').setChecked(true)
          await a.page.locator('#put-file').setInputFiles(file)
          const put = a.page.locator('#put-result:is([data-state="ok"], [data-state="error"])')
          await put.waitFor({ timeout: PLAY_TIMEOUT_MS })
          if (await put.getAttribute('data-state') === 'error') throw new Error(`page A's put: ${await put.innerText()}`)
          played = await a.page.locator('#put-cid').innerText()
          hash = new URL(await a.page.locator('#share-link').getAttribute('href') ?? '').hash
          holder = a.peerId
          const b = await joinedPage(browser, server, undefined)
          opened.push(b.close)
          viewer = b.page
          const dial = await viewer.evaluate(pageConnect, { addr: a.addrs.find(x => x.includes('/p2p-circuit/webrtc/')) ?? '' })
          if (dial.limited) throw new Error(`page B's connection to A is relayed: ${dial.remoteAddr}`)
        }
        const result = await viewer.evaluate(playAndSeek, { hash, cid: played, target: options.seconds * 0.8, timeoutMs: PLAY_TIMEOUT_MS })
        figures.push({
          row: row.name,
          status: 'ok',
          ...base,
          firstFrameMs: Math.round(result.firstMs),
          fetchedAtFirstMiB: result.firstBlocks,
          seekFrameMs: Math.round(result.seekMs),
          fetchedInAllMiB: result.blocks,
          remoteAddr: await connectionOver(viewer, holder, row.transport)
        })
      } catch (err: any) {
        options.log(`page streaming, ${row.name} failed: ${String(err.message ?? err).split('\n')[0]}`)
        figures.push({ row: row.name, status: 'failed', ...base, error: String(err.message ?? err).split('\n')[0] })
      } finally {
        for (const close of opened.reverse()) await close().catch(() => {})
      }
    }
    await rm(file, { force: true })
  } finally {
    if (capped) await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root'])
    await browser.close()
    await server.stop()
    await removeDir(server.dataDir)
  }
  return figures
}

/** The streaming rows as a table. */
export function pageStreamingSection (figures: StreamingFigure[]): Section {
  const first = figures[0]
  return {
    id: 'page-streaming',
    title: `6b. Browser: a page plays a ${first?.mib ?? '?'} MiB WebM (${first?.seconds ?? '?'} s) as it streams, and seeks to 80 %`,
    note: 'A headless Chromium opens the WebM\'s share link on a joined page; its `<video>` plays through the page\'s service worker. ' +
      'Clock in the page: from opening the link to the first frame presented while playing (`requestVideoFrameCallback`), then from setting ' +
      '`currentTime` to 80 % to a frame from there. Fetched: 1 MiB blocks the tab had fetched by then. Page ← page: page A shared its own copy ' +
      'from its tab only; page B dialled A\'s `/p2p-circuit/webrtc` address (outside the clock) and the server held none of A\'s file. ' +
      `Loopback: ${first?.rate ?? '?'}. One run per row.`,
    columns: ['row', 'first frame ms', 'fetched by then', 'seek to 80 % → frame ms', 'fetched in all', 'connection'],
    rows: figures.map(f => f.status === 'failed'
      ? [f.row, `failed: ${f.error ?? ''}`, '–', '–', '–', '–']
      : [f.row, String(f.firstFrameMs), `${f.fetchedAtFirstMiB ?? '?'} MiB`, String(f.seekFrameMs), `${f.fetchedInAllMiB ?? '?'} MiB`, `\`${(f.remoteAddr ?? '').replace(/\/p2p\/\w+/g, '/p2p/…').replace(/\/certhash\/[^/]+/, '/certhash/…')}\``]),
    data: figures
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, mbps: { type: 'string', default: '8' }, rate: { type: 'string' } } })
  const figures = await measurePageStreaming({
    seconds: Number(values.seconds),
    mbps: Number(values.mbps),
    ...(values.rate != null ? { rate: values.rate } : {}),
    log: line => { process.stderr.write(`${line}\n`) }
  })
  for (const f of figures) console.log(JSON.stringify(f))
}
