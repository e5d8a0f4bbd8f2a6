import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { PAGE_TIMEOUT_MS, browserFixture } from '../support/browser.js'

describe('the page for people', () => {
  const pages = browserFixture()

  it('fits a phone\'s width without scrolling sideways', async () => {
    const context = await pages.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })
    try {
      const page = await pages.open('#/bafy-not-a-cid', { context })
      await page.status('connected')
      await page.page.locator('#get-result[data-failure]').waitFor({ timeout: PAGE_TIMEOUT_MS })
      const { scrollWidth, clientWidth } = await page.page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }))
      assert.ok(scrollWidth <= clientWidth, `the page is ${scrollWidth} px wide on a ${clientWidth} px screen`)
      process.stderr.write(`# screenshot: ${await page.screenshot('phone-width')}\n`)
    } finally {
      await context.close()
    }
  })

  it('shows a transfer\'s progress in the title and favicon, and labels its controls', async () => {
    const page = await pages.open()
    await page.status('connected')
    for (const label of ['CID or share link', 'Drop files here to share them']) {
      assert.equal(await page.page.getByLabel(label).count(), 1, `nothing labelled "${label}"`)
    }
    const sharing = page.shareFile('big.bin', randomBytes(24 * 1_048_576), { localOnly: true })
    await page.page.waitForFunction(() => /^\d+% · weft$/.test(document.title) && document.querySelector('link[rel="icon"]')?.getAttribute('href')?.startsWith('data:image/svg+xml') === true, undefined, { timeout: PAGE_TIMEOUT_MS })
    await sharing
    await page.page.waitForFunction(() => document.title === 'weft', undefined, { timeout: PAGE_TIMEOUT_MS })
    // a copy button says it copied
    await page.page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.page.locator('#copy-link').click()
    await page.page.locator('#copy-link', { hasText: 'Copied' }).waitFor({ timeout: PAGE_TIMEOUT_MS })
  })
})
