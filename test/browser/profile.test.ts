import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { browserFixture, putThrough, type WeftPage } from '../support/browser.js'
import type { WeftPageHook } from '../../web/main.js'

const MiB = 1_048_576

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The IndexedDB database a page's node runs on. */
async function databaseOf (page: WeftPage): Promise<string> {
  await page.peerId()
  return page.page.evaluate(() => (globalThis as unknown as { weft: WeftPageHook }).weft.db ?? '')
}

describe('tabs of one browser profile', () => {
  const pages = browserFixture()

  it('each get a shared file as peers of their own, never two nodes with one PeerId', async () => {
    const bytes = randomBytes(MiB + 4321)
    const cid = await putThrough(pages.server.multiaddrs[0], bytes)
    const context = await pages.newContext()
    const link = `#/${cid}/both.bin`
    const [one, two] = await Promise.all([pages.open(link, { context }), pages.open(link, { context })])
    for (const tab of [one, two]) {
      const { result, ...file } = await tab.receivedFile()
      assert.deepEqual(file, { name: 'both.bin', size: bytes.length, sha256: sha256(bytes) })
    }
    const ids = [await one.peerId(), await two.peerId()]
    assert.notEqual(ids[0], ids[1])
    assert.deepEqual([await databaseOf(one), await databaseOf(two)].sort(), ['weft', 'weft-2'])
    process.stderr.write(`# screenshot: ${await two.screenshot('profile-second-tab')}\n`)
  })

  it('gives a closed tab\'s identity to the next tab opened, and keeps a reloaded tab\'s', async () => {
    const context = await pages.newContext()
    const first = await pages.open('', { context })
    const second = await pages.open('', { context })
    const firstId = await first.peerId()
    const secondId = await second.peerId()
    assert.equal(await databaseOf(first), 'weft')
    assert.equal(await databaseOf(second), 'weft-2')

    // a reload is the same tab: same database, same PeerId
    await second.page.reload()
    assert.equal(await second.peerId(), secondId)
    assert.equal(await databaseOf(second), 'weft-2')

    // the first tab closes: its lock goes with it, the next tab takes its database
    await first.page.close()
    const third = await pages.open('', { context })
    assert.equal(await databaseOf(third), 'weft')
    assert.equal(await third.peerId(), firstId)
  })
})
