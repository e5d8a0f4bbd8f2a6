import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createNode } from '../../src/index.js'
import { browserFixture } from '../support/browser.js'

/** An uploaded page that tries to reach the storage of the origin it is served from. */
const HOSTILE_HTML = `<!doctype html>
<html><head><title>hostile</title></head><body><script>
try { localStorage.setItem('weft-hostile-marker', 'written') } catch {}
try { indexedDB.open('weft-hostile-marker') } catch {}
document.title = 'script ran'
</script></body></html>
`

describe('the gateway shares its origin with the page, and keeps strangers\' content out of it', () => {
  const fixture = browserFixture()

  it('an uploaded HTML file opens in an opaque origin, its script does not run, and the page\'s storage is untouched', async () => {
    // the page's node keeps its key in the origin's IndexedDB
    const weft = await fixture.open()
    await weft.peerId()
    const uploader = await createNode({ bootstrap: [fixture.server.multiaddrs[0]], storage: { writeQuorum: 1 } }, { transient: true })
    let cid: string
    try {
      cid = (await uploader.put(new TextEncoder().encode(HOSTILE_HTML))).cid.toString()
    } finally {
      await uploader.stop()
    }

    const hostile = await weft.page.context().newPage()
    const response = await hostile.goto(`${fixture.server.httpUrl}ipfs/${cid}`)
    assert.equal(response?.status(), 200)
    assert.equal(response?.headers()['content-type'], 'text/html; charset=utf-8')
    assert.equal(response?.headers()['content-security-policy'], 'sandbox')
    assert.equal(await hostile.evaluate(() => self.origin), 'null')
    assert.equal(await hostile.title(), 'hostile', 'the script did not run')

    const seen = await weft.page.evaluate(async () => ({
      marker: localStorage.getItem('weft-hostile-marker'),
      databases: (await indexedDB.databases()).map(d => d.name)
    }))
    assert.equal(seen.marker, null)
    assert.ok(seen.databases.length > 0, 'the page\'s own databases are there to be seen')
    assert.ok(!seen.databases.includes('weft-hostile-marker'), `databases: ${seen.databases.join(', ')}`)
  })
})
