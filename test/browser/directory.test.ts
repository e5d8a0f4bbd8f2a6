import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { PAGE_TIMEOUT_MS, WeftPage, browserFixture, playsPast } from '../support/browser.js'
import { mediaFile } from '../support/media-file.js'

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('several files shared at once', () => {
  const network = browserFixture({ servers: 3 })

  it('dropped on the page are one link, which lists the three files, plays one and downloads one byte for byte', async () => {
    const files = [
      { name: 'clip.webm', bytes: await mediaFile({ format: 'webm', seconds: 4, mbps: 1 }), mimeType: 'video/webm' },
      { name: 'notes.txt', bytes: new TextEncoder().encode('three files, one link\n'), mimeType: 'text/plain' },
      { name: 'data.bin', bytes: randomBytes(5 * 1_048_576 + 3), mimeType: 'application/octet-stream' }
    ]
    const alice = await network.open()
    await alice.peerId()
    // dropped on the drop zone, as a person drags them from a file manager
    const dropped = await alice.page.evaluateHandle(files => {
      const transfer = new DataTransfer()
      for (const f of files) transfer.items.add(new File([Uint8Array.from(atob(f.base64), c => c.charCodeAt(0))], f.name, { type: f.mimeType }))
      return transfer
    }, files.map(f => ({ name: f.name, mimeType: f.mimeType, base64: Buffer.from(f.bytes).toString('base64') })))
    await alice.page.dispatchEvent('#put-drop', 'dragover', { dataTransfer: dropped })
    assert.equal(await alice.page.locator('#put-drop.over').count(), 1, 'the drop zone shows it would take them')
    process.stderr.write(`# screenshot: ${await alice.screenshot('directory-drop-zone')}\n`)
    await alice.page.dispatchEvent('#put-drop', 'drop', { dataTransfer: dropped })
    await alice.page.locator('#put-result[data-state="ok"]').waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.match(await alice.page.locator('#put-result').innerText(), /^shared 3 files: /)
    const link = await alice.page.locator('#share-link').getAttribute('href') ?? ''
    assert.match(link, /#\/bafy\w+$/)
    process.stderr.write(`# screenshot: ${await alice.screenshot('directory-shared')}\n`)

    const bob = await WeftPage.open(await network.newContext(), link)
    const listing = bob.page.locator('#preview ul.listing li')
    await bob.page.locator('#get-result[data-state="ok"]').waitFor({ timeout: PAGE_TIMEOUT_MS })
    const texts = await listing.evaluateAll(items => items.map(li => li.textContent ?? ''))
    assert.equal(texts.length, 3)
    assert.match(texts.find(t => t.startsWith('clip.webm')) ?? '', /^clip\.webm [\d.]+ KiB, video\/webm$/)
    assert.equal(texts.find(t => t.startsWith('data.bin')), 'data.bin 5.0 MiB')
    assert.equal(texts.find(t => t.startsWith('notes.txt')), 'notes.txt 22 bytes, text/plain')
    process.stderr.write(`# screenshot: ${await bob.screenshot('directory-listed')}\n`)

    // plays one
    await bob.page.locator('#preview ul.listing a', { hasText: 'clip.webm' }).click()
    await playsPast(bob, 0.5)
    process.stderr.write(`# screenshot: ${await bob.screenshot('directory-entry-playing')}\n`)

    // back to the listing, and downloads another
    await bob.page.goBack()
    await bob.page.locator('#preview ul.listing a', { hasText: 'data.bin' }).click()
    await bob.page.locator('#get-result[data-state="ok"]', { hasText: 'data.bin' }).waitFor({ timeout: PAGE_TIMEOUT_MS })
    const href = await bob.page.locator('#download').getAttribute('href') ?? ''
    const got = await bob.page.evaluate(async href => {
      const blob = await (await fetch(href)).blob()
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
      return { size: blob.size, sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') }
    }, href)
    assert.deepEqual(got, { size: files[2].bytes.byteLength, sha256: sha256(files[2].bytes) })
  })
})
