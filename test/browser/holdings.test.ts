import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { PAGE_TIMEOUT_MS, WeftPage, browserFixture } from '../support/browser.js'
import { providerFound } from '../support/providers.js'

const MiB = 1_048_576

describe('what a tab holds and gives', () => {
  const pages = browserFixture()

  it('lists a file the tab shares, what it served to another peer, and removes it', async () => {
    const alice = await pages.open()
    // nothing to show yet: no section
    await alice.status('connected')
    assert.equal(await alice.page.locator('#holds').isHidden(), true)

    const bytes = randomBytes(2 * MiB + 12)
    const shared = await alice.shareFile('holiday.bin', bytes, { localOnly: true })
    const row = alice.page.locator(`#held li[data-cid="${shared.cid}"]`)
    await row.waitFor({ timeout: PAGE_TIMEOUT_MS })
    const text = await row.innerText()
    assert.match(text, /^holiday\.bin 2\.0 MiB, only in this tab/)
    assert.match(text, new RegExp(shared.cid))
    assert.equal(await row.locator('a').getAttribute('href'), shared.link)
    assert.match(await alice.page.locator('#holds').innerText(), /Keeping this tab open keeps sharing/)
    // nothing served yet: no served line
    assert.equal(await alice.page.locator('#served').isHidden(), true)

    await providerFound(pages.server.multiaddrs[0], shared.cid, await alice.peerId())
    const bob = await WeftPage.open(await pages.newContext(), shared.link)
    const got = await bob.receivedFile(90_000)
    assert.equal(got.size, bytes.length)

    const served = alice.page.locator('#served', { hasText: /serving 1 peer now/ })
    await served.waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.match(await served.innerText(), /^Served 2\.0 MiB \(\d+ blocks\) to other peers since this tab opened/)
    process.stderr.write(`# screenshot: ${await alice.screenshot('holds-shared-and-served')}\n`)

    // the list follows the identity across a reload
    await alice.page.reload()
    await row.waitFor({ timeout: PAGE_TIMEOUT_MS })

    await row.locator('button.remove').click()
    await row.waitFor({ state: 'detached', timeout: PAGE_TIMEOUT_MS })
    const pinned = await alice.page.evaluate(async () => {
      const { weft } = globalThis as unknown as { weft: { ready: Promise<{ status: () => { storage: { pins: number } } }> } }
      return (await weft.ready).status().storage.pins
    })
    assert.equal(pinned, 0)
  })
})
