import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, afterEach, before } from 'node:test'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { removeDir, spawnNetwork, spawnServer, type SpawnOptions, type WeftProcess } from './weft-process.js'
import { createNode } from '../../src/index.js'
import type { FileContent } from '../../src/content/file-content.js'
import type { WeftPageHook } from '../../web/main.js'

/**
 * The Chromium the browser tests drive: Debian's, or `WEFT_TEST_CHROMIUM`.
 * (Not `WEFT_CHROMIUM`: the server processes inherit the environment, and
 * weft refuses `WEFT_*` variables that name no setting.)
 */
export const CHROMIUM = process.env.WEFT_TEST_CHROMIUM ?? '/usr/bin/chromium'

/** How long a page may take to reach a state: generous, the machines are shared. */
export const PAGE_TIMEOUT_MS = 30_000

/**
 * Flags for headless Chromium as root on a machine without internet: no
 * sandbox (root), and nothing that calls home. WebRTC needs no flags.
 */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

/**
 * Server options for browser tests: WebSockets and WebRTC-direct on the test
 * host, and the page served from 127.0.0.1. Browsers give WebCrypto only to
 * secure contexts, and plain http is one only on loopback, so the page cannot
 * come from the test host's address the way its libp2p traffic does.
 */
export const PAGE_SERVER: SpawnOptions = { browserTransports: true, http: true, args: ['--http.host', '127.0.0.1'] }

/** Starts a server a page can be opened from and join through. */
export async function spawnPageServer (options: SpawnOptions = {}): Promise<WeftProcess> {
  return spawnServer({ ...PAGE_SERVER, ...options, args: [...PAGE_SERVER.args ?? [], ...options.args ?? []] })
}

/**
 * Launches headless Chromium, with `extraArgs` after the usual flags (e.g. a
 * test CA to trust); the caller closes it (which closes its pages).
 */
export async function launchBrowser (extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs] })
}

/**
 * Launches headless Chromium on a persistent profile in `dir` (its
 * IndexedDB and origin private file system on disk, as a person's are; a
 * context of `launchBrowser` keeps them in memory); the caller closes it.
 */
export async function launchProfile (dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true })
}

/** What a suite of browser tests runs against; see `browserFixture`. */
export interface BrowserFixture {
  /** The servers the suite started with, in order; the first serves the pages `open` opens. */
  readonly servers: WeftProcess[]
  /** The first server. */
  readonly server: WeftProcess
  /** The suite's Chromium. */
  readonly browser: Browser
  /**
   * Opens `path` (a query string, `#/<cid>`, or nothing) on a server's page,
   * in a context of its own (its own IndexedDB, so its own PeerId) unless
   * given one.
   */
  open: (path?: string, options?: OpenOptions) => Promise<WeftPage>
  /** A new browser context (an empty profile), for a test that opens pages in it itself. */
  newContext: () => Promise<BrowserContext>
  /**
   * Starts one more page server mid-test (not added to `servers`); the suite
   * stops and removes it with its own.
   */
  spawnServer: (options?: SpawnOptions) => Promise<WeftProcess>
}

export interface OpenOptions {
  /** Whose page: the first server's if not given. */
  server?: WeftProcess
  /** A context from `newContext`, to open a second page in the same profile. */
  context?: BrowserContext
}

/**
 * The set-up every browser suite shares. Call it in a `describe`: it adds the
 * suite's hooks, which start `servers` page servers (more than one: a network
 * bootstrapped off the first, awaited until the first routes to every other,
 * as `spawnNetwork` does) and a Chromium before the first test, close every
 * context a test opened once the test ends, and stop and remove it all after
 * the last. Its fields are there once the suite's tests run.
 */
export function browserFixture (options: { servers?: number } = {}): BrowserFixture {
  const count = options.servers ?? 1
  const servers: WeftProcess[] = []
  const spawned: WeftProcess[] = []
  const contexts: BrowserContext[] = []
  let browser: Browser | undefined

  before(async () => {
    if (count === 1) {
      servers.push(await spawnPageServer())
    } else {
      servers.push(...(await spawnNetwork(count, PAGE_SERVER)).servers)
    }
    browser = await launchBrowser()
  })

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map(async context => { await context.close() }))
  })

  // also after a failed start: it undoes only what exists
  after(async () => {
    // closing the browser closes its pages first, so no page outlives its servers
    await browser?.close()
    const all = [...servers, ...spawned]
    await Promise.all(all.map(async server => server.stop()))
    for (const server of all) await removeDir(server.dataDir)
  })

  const started = (): Browser => {
    if (browser == null) throw new Error('the browser fixture is used outside a test of its suite')
    return browser
  }
  const newContext = async (): Promise<BrowserContext> => {
    const context = await started().newContext()
    contexts.push(context)
    return context
  }
  return {
    get servers () { started(); return servers },
    get server () { started(); return servers[0] },
    get browser () { return started() },
    newContext,
    open: async (path = '', { server = servers[0], context }: OpenOptions = {}) => {
      return WeftPage.open(context ?? await newContext(), `${server.httpUrl}${path}`)
    },
    spawnServer: async (spawnOptions = {}) => {
      const server = await spawnPageServer(spawnOptions)
      spawned.push(server)
      return server
    }
  }
}

/**
 * A weft page opened by a test. Its methods wait for what the page shows
 * (the DOM), and on a timeout fail with the page's status line and console.
 */
/** Where `WeftPage.screenshot` writes: beside the compiled tests, so no run leaves files in the tree. */
const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url))

export class WeftPage {
  readonly page: Page
  private readonly log: string[] = []

  private constructor (page: Page) {
    this.page = page
    page.on('console', msg => { this.log.push(`${msg.type()}: ${msg.text()}`) })
    page.on('pageerror', err => { this.log.push(`pageerror: ${err.message}`) })
  }

  /** Opens `url` in a new page of `context`. */
  static async open (context: BrowserContext, url: string): Promise<WeftPage> {
    const page = new WeftPage(await context.newPage())
    await page.page.goto(url)
    return page
  }

  /**
   * Saves what the page shows as `<name>.png` under `dist/screenshots/` (or
   * `$WEFT_TEST_SCREENSHOTS`), for a person to look at after the run; its path.
   */
  async screenshot (name: string): Promise<string> {
    const path = join(process.env.WEFT_TEST_SCREENSHOTS ?? SCREENSHOTS, `${name}.png`)
    await mkdir(dirname(path), { recursive: true })
    await this.page.screenshot({ path, fullPage: true })
    return path
  }

  /** The page's PeerId, once its node has started. */
  async peerId (): Promise<string> {
    const el = this.page.locator('#peer-id')
    await this.explained(el.filter({ hasText: /^(12D3Koo|Qm)\w+$/ }).waitFor({ timeout: PAGE_TIMEOUT_MS }), 'a PeerId')
    return el.innerText()
  }

  /** The row of the connection list for `peer` (over `transport`, if given), once it is listed. */
  async connectionTo (peer: string, transport?: string): Promise<Locator> {
    const row = this.page.locator(`#connections li[data-peer="${peer}"]${transport != null ? `[data-transport="${transport}"]` : ''}`).first()
    await this.explained(row.waitFor({ timeout: PAGE_TIMEOUT_MS }), `a connection to ${peer} ${transport ?? ''}`)
    return row
  }

  /** Whether the connection list shows `peer` right now. */
  async isConnectedTo (peer: string): Promise<boolean> {
    return await this.page.locator(`#connections li[data-peer="${peer}"]`).count() > 0
  }

  /** The first of the page's own addresses matching `pattern`, once it has one. */
  async address (pattern: RegExp): Promise<string> {
    const item = this.page.locator('#addresses li[data-addr]').filter({ hasText: pattern }).first()
    await this.explained(item.waitFor({ timeout: PAGE_TIMEOUT_MS }), `an address matching ${pattern}`)
    return item.innerText()
  }

  /** The status line once it reaches `state` (`connected`, `error`...). */
  async status (state: string): Promise<string> {
    const el = this.page.locator(`#status[data-state="${state}"]`)
    await this.explained(el.waitFor({ timeout: PAGE_TIMEOUT_MS }), `status ${state}`)
    return el.innerText()
  }

  /**
   * Fills one of the page's forms (`connect`, `find`) and submits it. Resolves
   * with the result text shown beside it; rejects if the page shows an error.
   */
  async submit (form: 'connect' | 'find', value: string, timeout = PAGE_TIMEOUT_MS): Promise<string> {
    await this.page.locator(`#${form} input`).fill(value)
    await this.page.locator(`#${form} button`).click()
    const result = this.page.locator(`#${form}-result:is([data-state="ok"], [data-state="error"])`)
    await this.explained(result.waitFor({ timeout }), `the ${form} result`)
    const text = await result.innerText()
    if (await result.getAttribute('data-state') === 'error') throw new Error(`${form} ${value}: ${text}`)
    return text
  }

  /**
   * The page's connections to `peer` as its libp2p node reports them, through
   * the page's test hook (`globalThis.weft`, see web/main.ts): what the page
   * shows is derived from this, so some tests check the source too.
   */
  async connectionsTo (peer: string): Promise<Array<{ remoteAddr: string, limits: unknown }>> {
    return this.page.evaluate(peer => {
      const { weft } = globalThis as unknown as { weft: WeftPageHook }
      return (weft.node?.getConnections() ?? [])
        .filter(c => c.remotePeer.toString() === peer)
        .map(c => ({ remoteAddr: c.remoteAddr.toString(), limits: c.limits }))
    }, peer)
  }

  /**
   * Shares a file through the page's "Add a file" input, as a person picking
   * it would (`localOnly` ticks "share only from this tab"; the page
   * encrypts by default, `encrypt: true` leaves it so, otherwise "public" is
   * ticked). Resolves with what the page shows once it is stored; rejects
   * with the page's error.
   */
  async shareFile (name: string, bytes: Uint8Array, options: { localOnly?: boolean, encrypt?: boolean, timeout?: number } = {}): Promise<SharedFileShown> {
    await this.page.locator('#put-local').setChecked(options.localOnly === true)
    await this.page.locator('#put-public').setChecked(options.encrypt !== true)
    await this.page.locator('#put-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) })
    const result = await this.settled('put-result', `the put of ${name}`, options.timeout)
    const stored = this.page.locator('#put-stored')
    return {
      result,
      cid: await this.page.locator('#put-cid').innerText(),
      link: await this.page.locator('#share-link').getAttribute('href') ?? '',
      stored: await stored.innerText(),
      replicas: Number(await stored.getAttribute('data-replicas'))
    }
  }

  /**
   * Asks the page's "Get a file" form for `value` (a CID or a share link);
   * resolves with the file it offers, as `receivedFile` does.
   */
  async getFile (value: string, timeout = PAGE_TIMEOUT_MS): Promise<ReceivedFile> {
    await this.page.locator('#get-cid').fill(value)
    await this.page.locator('#get-form button').click()
    return this.receivedFile(timeout)
  }

  /**
   * The file the "Get a file" section offers once it has read it (rejects with
   * the page's error): the download link's file name, and the size and
   * SHA-256 of the Blob behind it, hashed in the page so no bytes cross CDP.
   */
  async receivedFile (timeout = PAGE_TIMEOUT_MS): Promise<ReceivedFile> {
    const result = await this.settled('get-result', 'the file', timeout)
    const link = this.page.locator('#download')
    const name = await link.getAttribute('download') ?? ''
    const { size, sha256 } = await this.page.evaluate(async href => {
      const blob = await (await fetch(href)).blob()
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
      return { size: blob.size, sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') }
    }, await link.getAttribute('href') ?? '')
    return { name, size, sha256, result }
  }

  /**
   * The text beside one of the file sections (`put-result`, `get-result`)
   * once it settles: ok, or an error, which this throws.
   */
  private async settled (id: string, what: string, timeout = PAGE_TIMEOUT_MS): Promise<string> {
    const result = this.page.locator(`#${id}:is([data-state="ok"], [data-state="error"])`)
    await this.explained(result.waitFor({ timeout }), what)
    const text = await result.innerText()
    if (await result.getAttribute('data-state') === 'error') throw new Error(`${what}: ${text}`)
    return text
  }

  /** Adds the page's status line and console to the error of a wait that failed. */
  private async explained (waiting: Promise<unknown>, what: string): Promise<void> {
    try {
      await waiting
    } catch (err: any) {
      const status = await this.page.locator('#status').innerText().catch(() => '?')
      throw new Error(`waited in vain for ${what}; page status: ${status}\n${this.log.slice(-20).join('\n')}`, { cause: err })
    }
  }
}

/** What the page shows once it has shared a file. */
export interface SharedFileShown {
  /** The status line, e.g. `shared a.bin: 3.0 MiB in 4 blocks, 0.9 s`. */
  result: string
  cid: string
  /** The share link, `<page>#/<cid>/<name>`. */
  link: string
  /** Where it is stored, as the page says it. */
  stored: string
  replicas: number
}

/** A file the page got, as its download link offers it. */
export interface ReceivedFile {
  name: string
  size: number
  sha256: string
  /** The status line, e.g. `got a.bin: 3.0 MiB in 1.2 s, 4 blocks from peers`. */
  result: string
}

/**
 * Makes every page of `context` answer `showSaveFilePicker` (File System
 * Access) with a file of the origin's private file system (OPFS) named as
 * the page suggests: a handle of the kind the real picker returns, whose
 * `createWritable` the page writes through. Headless Chromium shows no
 * picker and Playwright cannot answer one; an init script is the test's own
 * and out of reach of anything the page loads. Read it with `pickedFile`.
 */
export async function answerSavePicker (context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    Object.defineProperty(window, 'showSaveFilePicker', {
      configurable: true,
      value: async ({ suggestedName }: { suggestedName: string }) => (await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true })
    })
  })
}

/**
 * Takes `showSaveFilePicker` away from every page of `context`, as in
 * Firefox and Safari: downloads then go through the service worker.
 */
export async function withoutSavePicker (context: BrowserContext): Promise<void> {
  // a [Global] interface's operations live on the window itself
  await context.addInitScript(() => { Object.defineProperty(window, 'showSaveFilePicker', { configurable: true, value: undefined }) })
}

/** Size and SHA-256 of a file `answerSavePicker` handed the page, hashed in the page. */
export async function pickedFile (page: Page, name: string): Promise<{ size: number, sha256: string }> {
  return page.evaluate(async name => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(name)).getFile()
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))
    return { size: file.size, sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') }
  }, name)
}

/** Resolves once the page's player has played past `seconds` (its clock running), with the time that took. */
export async function playsPast (page: WeftPage, seconds: number): Promise<number> {
  await page.page.locator('#preview video').waitFor({ timeout: PAGE_TIMEOUT_MS })
  return page.page.evaluate(async ({ seconds, timeout }) => {
    const video = document.querySelector('#preview video') as HTMLVideoElement
    const started = performance.now()
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the video did not play past ${seconds} s in ${timeout} ms (at ${video.currentTime} s, readyState ${video.readyState}, error ${video.error?.message ?? 'none'})`)) }, timeout)
      const check = (): void => {
        if (!video.paused && video.currentTime > seconds) { clearTimeout(timer); resolve() }
      }
      video.addEventListener('timeupdate', check)
      check()
    })
    return performance.now() - started
  }, { seconds, timeout: PAGE_TIMEOUT_MS })
}

/**
 * Puts `content` from a transient node in this process (as `weft put` runs
 * one) through the server at `bootstrap`, one replica being enough: what a
 * page then opens by link. Resolves with the root CID.
 */
export async function putThrough (bootstrap: string, content: FileContent): Promise<string> {
  const writer = await createNode({ bootstrap: [bootstrap], storage: { writeQuorum: 1 } }, { transient: true })
  try {
    return (await writer.put(content)).cid.toString()
  } finally {
    await writer.stop()
  }
}
