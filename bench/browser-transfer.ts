// Item 6's transfers: a real headless Chromium opens the weft page (the
// bundle dist/web/weft.js, served by a weft server process) and its node gets
// a file of random bytes over one transport:
// - page ← server over WebRTC-direct, and over WebSockets: the server holds
//   every block; the page joins through it over that transport only
//   (`?transport=`, web/options.ts). Beside each, the stack's own reference:
//   one libp2p stream from the same server to a page joined the same way,
//   carrying the file (bench/page-server.ts);
// - page ← page over WebRTC: page A shares the file through its "Add a file"
//   input with "share only from this tab" ticked (`replicate: false`: only A
//   holds it; it is not the server's file, and the server only relays and
//   signals); page B dials A's `/p2p-circuit/webrtc` address and gets it from
//   A directly.
// The clock runs inside the fetching page from the call of `get` until every
// byte arrived and was hashed (bench/in-page.ts); the page is already joined
// (and for page ← page, connected to A) when it starts. The orchestrator then
// checks every chunk's SHA-256 against the file. Every run is a fresh browser
// context (a fresh page, node and IndexedDB); a row's first runs are warm-ups
// (quick: the first row's only). The transport is checked after every run from the page's own connections, and a
// run that used another fails the figure.
import { createHash } from 'node:crypto'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchBrowser } from '../test/support/browser.js'
import { pageConnect, pageJoined, pageRead, type PageConnection, type PageGetResult } from './in-page.js'
import { SERVER_NODE_FLAGS, startPeer, type RunningPeer } from './process.js'
import { randomFile, type RandomFile } from './random-file.js'
import { mibPerSecond, summarize, type Summary } from './stats.js'
import type { PageServerReady, PageServerTask } from './page-server.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'

const PAGE_SERVER = fileURLToPath(new URL('./page-server.js', import.meta.url))

/** The reference's protocol: a page opens a stream of it and receives the whole file. */
export const STREAM_PROTOCOL = '/weft-bench/one-stream/1.0.0'

/** How a row's fetching page reaches the peer holding the file. */
export type PageTransport = 'webrtc-direct' | 'websockets' | 'webrtc'

/** One row of item 6. */
export interface PageRow {
  name: string
  /** weft's `get`, or the reference: one libp2p stream. */
  what: 'get' | 'stream'
  from: 'server' | 'page'
  transport: PageTransport
}

/** The rows, in table order: each reference before the weft row it is the limit of. */
export const PAGE_ROWS: PageRow[] = [
  { name: 'libp2p one stream, server → page over WebRTC-direct', what: 'stream', from: 'server', transport: 'webrtc-direct' },
  { name: 'weft get, page ← server over WebRTC-direct', what: 'get', from: 'server', transport: 'webrtc-direct' },
  { name: 'libp2p one stream, server → page over WebSockets', what: 'stream', from: 'server', transport: 'websockets' },
  { name: 'weft get, page ← server over WebSockets', what: 'get', from: 'server', transport: 'websockets' },
  { name: 'weft get, page ← page over WebRTC', what: 'get', from: 'page', transport: 'webrtc' }
]

/** One row's figure. */
export interface PageFigure {
  row: string
  what: PageRow['what']
  transport: PageTransport
  /** Bytes each run moved. */
  size: number
  status: 'ok' | 'failed'
  /** MiB/s per counted run (whole clock: received and hashed). */
  throughput?: Summary
  /** MiB/s from the first byte on: the transfer without the get's start-up (the root's lookups). */
  afterFirstByte?: Summary
  ms?: Summary
  firstByteMs?: Summary
  /** Of `ms`, the wait after the last byte for the hashes still running. */
  hashMs?: Summary
  /** The remote address of the connection the file came over (last run). */
  remoteAddr?: string
  /** Page ← page: time page B took to dial A over WebRTC (not timed in `ms`), and attempts used. */
  dialMs?: Summary
  dialAttempts?: number[]
  error?: string
}

export interface PageTransferOptions {
  /** Counted runs per row, after the warm-ups. */
  runs: number
  /** Uncounted runs of the first row, and of every later row (quick: none, the browser is warm by then). */
  warmups: { first: number, rest: number }
  tmpDir: string
  /** Where the server's WebSockets and WebRTC-direct listen (not loopback: see bench/page-server.ts). */
  host: string
  rows: PageRow[]
  log: (line: string) => void
}

/** How long a page may take to start and join, or to dial another page. */
const JOIN_TIMEOUT_MS = 30_000

/** Generous: a stalled get fails the figure instead of the run. */
function getTimeout (size: number): number {
  return 60_000 + size / 2 ** 20 * 1000
}

/** Rejects after `ms`; the caller's `finally` closes what hangs. */
async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)) }, ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** A fresh context (its own IndexedDB, so its own PeerId and store) with the page open. */
async function openPage (browser: Browser, url: string, console: string[]): Promise<{ context: BrowserContext, page: Page }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on('console', msg => { if (msg.type() === 'error' || msg.type() === 'warning') console.push(`${msg.type()}: ${msg.text()}`) })
  page.on('pageerror', err => { console.push(`pageerror: ${err.message}`) })
  await page.goto(url)
  return { context, page }
}

/** The error's first line, with the page's last console errors. */
function explained (err: any, console: string[]): Error {
  const tail = console.length > 0 ? ` (page console: ${console.slice(-3).join(' | ')})` : ''
  return new Error(`${String(err?.message ?? err).split('\n')[0]}${tail}`)
}

/** The server's address over `transport` (WebSockets for pages that join over any). */
export function serverAddr (server: PageServerReady, transport: PageTransport): string {
  const wanted = transport === 'webrtc-direct' ? /\/webrtc-direct\// : /\/ws\//
  const addr = server.addrs.find(a => wanted.test(a))
  if (addr == null) throw new Error(`the server has no ${transport} address: ${server.addrs.join(', ')}`)
  return addr
}

/** Whether a connection's remote address is a direct one over `transport`. */
export function isDirectOver (c: PageConnection, transport: PageTransport): boolean {
  if (c.limited) return false
  const addr = c.remoteAddr
  if (transport === 'webrtc-direct') return addr.includes('/webrtc-direct') && !addr.includes('/p2p-circuit')
  if (transport === 'websockets') return /\/wss?(\/|$)/.test(addr) && !addr.includes('/p2p-circuit')
  // browser to browser: signalled through a relay, so `/p2p-circuit/webrtc`
  return /\/webrtc(\/|$)/.test(addr)
}

/**
 * The connection the file came over: every unlimited connection to the
 * holder (the only kind weft streams blocks over) must be over `transport`.
 */
function checkTransport (result: PageGetResult, holder: string, transport: PageTransport): string {
  const toHolder = result.connections.filter(c => c.peer === holder)
  const direct = toHolder.filter(c => !c.limited)
  if (direct.length === 0) throw new Error(`no direct connection to the holder ${holder} at the end of the get (${toHolder.map(c => c.remoteAddr).join(', ') || 'none'})`)
  const other = direct.filter(c => !isDirectOver(c, transport))
  if (other.length > 0) throw new Error(`the page reached the holder over another transport than ${transport}: ${other.map(c => c.remoteAddr).join(', ')}`)
  return direct[0].remoteAddr
}

/** Checks every chunk the page hashed against the file's bytes at its offset. */
export async function verify (result: PageGetResult, file: RandomFile): Promise<void> {
  if (result.bytes !== file.size) throw new Error(`got ${result.bytes} bytes, not ${file.size}`)
  const handle = await open(file.path)
  try {
    let offset = 0
    for (const [i, chunk] of result.chunks.entries()) {
      const bytes = Buffer.alloc(chunk.length)
      await handle.read(bytes, 0, chunk.length, offset)
      if (createHash('sha256').update(bytes).digest('hex') !== chunk.sha256) throw new Error(`chunk ${i} (bytes ${offset}–${offset + chunk.length}) is not the file's`)
      offset += chunk.length
    }
  } finally {
    await handle.close()
  }
}

interface Run { result: PageGetResult, remoteAddr: string, dial?: { ms: number, attempts: number } }

function figureOf (row: PageRow, size: number, runs: Run[]): PageFigure {
  const results = runs.map(r => r.result)
  const dials = runs.flatMap(r => r.dial != null ? [r.dial] : [])
  return {
    row: row.name,
    what: row.what,
    transport: row.transport,
    size,
    status: 'ok',
    throughput: summarize(results.map(r => mibPerSecond(r.bytes, r.ms))),
    ms: summarize(results.map(r => r.ms)),
    afterFirstByte: summarize(results.map(r => mibPerSecond(r.bytes, r.ms - r.firstByteMs))),
    firstByteMs: summarize(results.map(r => r.firstByteMs)),
    hashMs: summarize(results.map(r => r.hashMs)),
    remoteAddr: runs.at(-1)?.remoteAddr,
    ...(dials.length > 0 ? { dialMs: summarize(dials.map(d => d.ms)), dialAttempts: dials.map(d => d.attempts) } : {})
  }
}

/** One page ← server run: a fresh page joined over `transport` only gets the file (or reads the reference stream). */
async function fromServer (browser: Browser, server: PageServerReady, row: PageRow, file: RandomFile): Promise<Run> {
  const console: string[] = []
  const { context, page } = await openPage(browser, `${server.httpUrl}?transport=${row.transport}`, console)
  try {
    await within(page.evaluate(pageJoined, { server: server.peerId, dial: serverAddr(server, row.transport), timeoutMs: JOIN_TIMEOUT_MS }), JOIN_TIMEOUT_MS + 5000, 'joining')
    const result = row.what === 'get'
      ? await within(page.evaluate(pageRead, { cid: server.cid }), getTimeout(file.size), 'the get')
      : await within(page.evaluate(pageRead, { server: server.peerId, protocol: STREAM_PROTOCOL }), getTimeout(file.size), 'the stream')
    await verify(result, file)
    return { result, remoteAddr: checkTransport(result, server.peerId, row.transport) }
  } catch (err) {
    throw explained(err, console)
  } finally {
    await context.close()
  }
}

/** Page A, holding the file, which nobody else has. */
interface Holder {
  context: BrowserContext
  peerId: string
  /** A's `/p2p-circuit/webrtc` address. */
  webrtcAddr: string
  cid: string
}

/** Opens page A and shares the file through its "Add a file" input, only from its tab. */
async function startHolder (browser: Browser, server: PageServerReady, file: RandomFile): Promise<Holder> {
  const console: string[] = []
  const { context, page } = await openPage(browser, server.httpUrl, console)
  try {
    const joined = await within(page.evaluate(pageJoined, { server: server.peerId, dial: serverAddr(server, 'websockets'), address: '/p2p-circuit/webrtc', timeoutMs: JOIN_TIMEOUT_MS }), JOIN_TIMEOUT_MS + 5000, 'page A joining')
    const webrtcAddr = joined.addrs.find(a => a.includes('/p2p-circuit/webrtc/')) ?? ''
    await page.locator('#put-local').setChecked(true)
    // shared plain: page B reads the CID's bytes and checks them against the file (shares are encrypted by default)
    await page.locator('#put-public').setChecked(true)
    // by path: Playwright hands Chromium the file itself, whatever its size
    await page.locator('#put-file').setInputFiles(file.path)
    const result = page.locator('#put-result:is([data-state="ok"], [data-state="error"])')
    await result.waitFor({ timeout: getTimeout(file.size) })
    if (await result.getAttribute('data-state') === 'error') throw new Error(`page A's put: ${await result.innerText()}`)
    return { context, peerId: joined.peerId, webrtcAddr, cid: await page.locator('#put-cid').innerText() }
  } catch (err) {
    await context.close()
    throw explained(err, console)
  }
}

/** One page ← page run: a fresh page B dials A over WebRTC, then gets A's file. */
async function fromPage (browser: Browser, server: PageServerReady, holder: Holder, file: RandomFile): Promise<Run> {
  const console: string[] = []
  const { context, page } = await openPage(browser, server.httpUrl, console)
  try {
    await within(page.evaluate(pageJoined, { server: server.peerId, dial: serverAddr(server, 'websockets'), timeoutMs: JOIN_TIMEOUT_MS }), JOIN_TIMEOUT_MS + 5000, 'page B joining')
    const dial = await within(page.evaluate(pageConnect, { addr: holder.webrtcAddr }), 3 * JOIN_TIMEOUT_MS, 'page B dialling A')
    if (dial.limited) throw new Error(`page B's connection to A is limited (relayed): ${dial.remoteAddr}`)
    const result = await within(page.evaluate(pageRead, { cid: holder.cid }), getTimeout(file.size), 'the get')
    await verify(result, file)
    return { result, remoteAddr: checkTransport(result, holder.peerId, 'webrtc'), dial: { ms: dial.ms, attempts: dial.attempts } }
  } catch (err) {
    throw explained(err, console)
  } finally {
    await context.close()
  }
}

/** Starts the page server, holding `file`. */
export async function startPageServer (options: Pick<PageTransferOptions, 'tmpDir' | 'host'> & { webRoots?: string[] }, file: RandomFile): Promise<{ peer: RunningPeer, ready: PageServerReady }> {
  const task: PageServerTask = { role: 'page-server', tmpDir: options.tmpDir, host: options.host, streamProtocol: STREAM_PROTOCOL, file: file.path, ...(options.webRoots != null ? { webRoots: options.webRoots } : {}) }
  // it stands for a `weft start` server, and runs with its V8 flags
  const peer = await startPeer(PAGE_SERVER, task, getTimeout(file.size), { nodeArgs: SERVER_NODE_FLAGS })
  return { peer, ready: peer.info as unknown as PageServerReady }
}

/**
 * Page A's file for page ← page: random bytes of the same size, but not the
 * server's file, which page B would get from the server.
 */
async function pageFile (options: PageTransferOptions, size: number): Promise<RandomFile> {
  const dir = join(options.tmpDir, 'page-a')
  await mkdir(dir, { recursive: true })
  return randomFile(dir, size)
}

/** Measures one row: page A set up if needed, then warm-ups and counted runs. */
async function measureRow (browser: Browser, server: PageServerReady, row: PageRow, file: RandomFile, options: PageTransferOptions, warmups: number): Promise<PageFigure> {
  const runs: Run[] = []
  if (row.from === 'server') {
    for (let i = 0; i < warmups + options.runs; i++) {
      const run = await fromServer(browser, server, row, file)
      if (i >= warmups) runs.push(run)
    }
    return figureOf(row, file.size, runs)
  }
  const own = await pageFile(options, file.size)
  const holder = await startHolder(browser, server, own)
  try {
    for (let i = 0; i < warmups + options.runs; i++) {
      const run = await fromPage(browser, server, holder, own)
      if (i >= warmups) runs.push(run)
    }
    return figureOf(row, own.size, runs)
  } finally {
    await holder.context.close()
  }
}

/** Measures every row of `options.rows` with `file` (page ← page: a file of the same size that only page A holds). */
export async function measurePageTransfers (file: RandomFile, options: PageTransferOptions): Promise<PageFigure[]> {
  const failed = (row: PageRow, err: any): PageFigure => ({ row: row.name, what: row.what, transport: row.transport, size: file.size, status: 'failed', error: String(err.message ?? err) })
  const [browser, server] = await Promise.allSettled([launchBrowser(), startPageServer(options, file)])
  try {
    if (browser.status === 'rejected') return options.rows.map(row => failed(row, browser.reason))
    if (server.status === 'rejected') return options.rows.map(row => failed(row, server.reason))
    const figures: PageFigure[] = []
    for (const [i, row] of options.rows.entries()) {
      const warmups = i === 0 ? options.warmups.first : options.warmups.rest
      options.log(`${row.name}: ${file.size / 2 ** 20} MiB, ${warmups} warm-up + ${options.runs} runs`)
      try {
        figures.push(await measureRow(browser.value, server.value.ready, row, file, options, warmups))
      } catch (err: any) {
        options.log(`${row.name} failed: ${String(err.message ?? err)}`)
        figures.push(failed(row, err))
      }
    }
    return figures
  } finally {
    if (browser.status === 'fulfilled') await browser.value.close()
    if (server.status === 'fulfilled') await server.value.peer.release()
  }
}
