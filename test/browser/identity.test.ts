import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { browserFixture } from '../support/browser.js'

describe('a page\'s identity', () => {
  const pages = browserFixture()

  it('keeps its PeerId across a reload with the same database', async () => {
    const page = await pages.open('?db=kept')
    const before = await page.peerId()
    await page.page.reload()
    assert.equal(await page.peerId(), before)
  })

  it('is another peer with another database in the same browser', async () => {
    const context = await pages.newContext()
    const one = await pages.open('?db=one', { context })
    const two = await pages.open('?db=two', { context })
    assert.notEqual(await one.peerId(), await two.peerId())
  })
})
