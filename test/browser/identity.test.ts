import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { WeftPage, launchBrowser, spawnPageServer } from '../support/browser.js'
import { removeDir, type WeftProcess } from '../support/weft-process.js'
import type { Browser } from 'playwright-core'

describe('a page\'s identity', () => {
  let server: WeftProcess
  let browser: Browser

  before(async () => {
    server = await spawnPageServer()
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await server?.stop()
    if (server != null) await removeDir(server.dataDir)
  })

  it('keeps its PeerId across a reload with the same database', async () => {
    const context = await browser.newContext()
    const page = await WeftPage.open(context, `${server.httpUrl}?db=kept`)
    const before = await page.peerId()
    await page.page.reload()
    assert.equal(await page.peerId(), before)
    await context.close()
  })

  it('is another peer with another database in the same browser', async () => {
    const context = await browser.newContext()
    const one = await WeftPage.open(context, `${server.httpUrl}?db=one`)
    const two = await WeftPage.open(context, `${server.httpUrl}?db=two`)
    assert.notEqual(await one.peerId(), await two.peerId())
    await context.close()
  })
})
