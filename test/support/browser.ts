import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { spawnServer, type SpawnOptions, type WeftProcess } from './weft-process.js'
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

/** Launches headless Chromium; the caller closes it (which closes its pages). */
export async function launchBrowser (): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
}

/**
 * A weft page opened by a test. Its methods wait for what the page shows
 * (the DOM), and on a timeout fail with the page's status line and console.
 */
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
