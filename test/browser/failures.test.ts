import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { PAGE_TIMEOUT_MS, browserFixture, putThrough, withoutSavePicker, type WeftPage } from '../support/browser.js'

const MiB = 1_048_576

/** The failure an element shows once it shows one: its kind (`data-failure`) and text; a screenshot of the page. */
async function failureIn (page: WeftPage, id: string, shot: string, timeout = PAGE_TIMEOUT_MS): Promise<{ kind: string, text: string, retry: boolean }> {
  const el = page.page.locator(`#${id}[data-failure]`)
  await el.waitFor({ timeout })
  process.stderr.write(`# screenshot: ${await page.screenshot(shot)}\n`)
  return {
    kind: await el.getAttribute('data-failure') ?? '',
    text: await el.innerText(),
    retry: await el.locator('button.retry').count() > 0
  }
}

describe('what the page says when something fails', () => {
  const pages = browserFixture()

  it('says a link that names no file is an invalid link, with no retry', async () => {
    const page = await pages.open('#/bafy-not-a-cid/holiday.mp4')
    const failure = await failureIn(page, 'get-result', 'failure-invalid-link')
    assert.equal(failure.kind, 'invalid-link')
    assert.match(failure.text, /^This link or CID names no file/)
    assert.match(failure.text, /"bafy-not-a-cid" is not a valid CID/)
    assert.equal(failure.retry, false)
  })

  it('says a file no peer has is not found, with a retry', async () => {
    const nobodys = CID.createV1(raw.code, await sha256Hasher.digest(randomBytes(64))).toString()
    const page = await pages.open(`#/${nobodys}/gone.bin`)
    await page.status('connected')
    const failure = await failureIn(page, 'get-result', 'failure-not-found', 90_000)
    assert.equal(failure.kind, 'not-found')
    assert.match(failure.text, /^Not found: no reachable peer has this file/)
    assert.equal(failure.retry, true)
  })

  it('says no peers are reachable when the server the tab joined through goes away', async () => {
    const server = await pages.spawnServer()
    const page = await pages.open('', { server })
    await page.status('connected')
    await server.stop()
    const failure = await failureIn(page, 'status', 'failure-no-peers')
    assert.equal(failure.kind, 'no-peers')
    assert.match(failure.text, /^No peers reachable/)
  })

  it('says the browser\'s storage is full when IndexedDB refuses a shared file', async () => {
    // the browser's real quota, made small before the page stores anything: IndexedDB throws its QuotaExceededError
    const context = await pages.newContext()
    const blank = await context.newPage()
    const cdp = await context.newCDPSession(blank)
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(pages.server.httpUrl ?? '').origin, quotaSize: 512 * 1024 })
    const page = await pages.open('', { context })
    await page.status('connected')
    await assert.rejects(page.shareFile('too-big.bin', randomBytes(4 * MiB), { localOnly: true }), /browser's storage for the page is full/)
    const failure = await failureIn(page, 'put-result', 'failure-storage-full')
    assert.equal(failure.kind, 'storage-full')
    assert.equal(failure.retry, true)
  })

  it('says a server offering no browser transport gives a browser no way in', async () => {
    const server = await pages.spawnServer({ browserTransports: false })
    const page = await pages.open('', { server })
    const failure = await failureIn(page, 'status', 'failure-transport-missing')
    assert.equal(failure.kind, 'transport-missing')
    assert.match(failure.text, /offers no way in for a browser/)
    assert.match(failure.text, /the server offers browsers no address to join through/)
  })

  it('says a transfer cut off midway was interrupted, with a retry that tries again', async () => {
    const bytes = randomBytes(48 * MiB)
    const server = await pages.spawnServer()
    const cid = await putThrough(server.multiaddrs[0], bytes)
    // without the worker, so that the page itself reads (and counts) the bytes,
    // and without File System Access, which would offer it for saving unread
    const context = await pages.newContext()
    await withoutSavePicker(context)
    const page = await pages.open(`?sw=off#/${cid}/cut.bin`, { server, context })
    await page.page.locator('#get-result', { hasText: /MiB of 48\.0 MiB/ }).waitFor({ timeout: PAGE_TIMEOUT_MS })
    // the only peer holding it goes away under the transfer
    await server.stop()
    const failure = await failureIn(page, 'get-result', 'failure-interrupted', 90_000)
    assert.equal(failure.kind, 'interrupted')
    assert.match(failure.text, /^The transfer was interrupted after [\d.]+ (MiB|KiB|bytes) of 48\.0 MiB: retry to go on/)
    assert.equal(failure.retry, true)

    // Retry reads again (the blocks that came are in this tab's store) and,
    // with the network still gone, says again where it stopped
    await page.page.locator('#get-result button.retry').click()
    await page.page.locator('#get-result[data-state="pending"]').waitFor({ timeout: PAGE_TIMEOUT_MS })
    const again = await failureIn(page, 'get-result', 'failure-interrupted-retried', 90_000)
    assert.equal(again.kind, 'interrupted')
  })
})
