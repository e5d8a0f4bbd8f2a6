import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { SavedSizeError, saveMethod, savePicker, saveToFile, type SaveFilePicker } from '../../web/download-file.js'
import type { Content } from '../../src/index.js'
import { answerSavePicker, browserFixture, PAGE_TIMEOUT_MS, pickedFile, putThrough, type WeftPage } from '../support/browser.js'
import type { WeftPageHook } from '../../web/main.js'

function sha256 (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

describe('the way a download goes', () => {
  it('is the File System Access picker wherever the browser has one, else the worker, else a Blob', () => {
    assert.equal(saveMethod(true, true), 'file-system-access')
    assert.equal(saveMethod(true, false), 'file-system-access')
    assert.equal(saveMethod(false, true), 'service-worker')
    assert.equal(saveMethod(false, false), 'blob')
  })

  it('is found by feature detection: a function named showSaveFilePicker, nothing else', () => {
    assert.equal(savePicker({}), undefined)
    assert.equal(savePicker({ showSaveFilePicker: 'yes' }), undefined)
    assert.equal(typeof savePicker({ showSaveFilePicker: () => {} }), 'function')
  })
})

/** A picker whose file keeps what is written, and says whether it was closed or aborted. */
function memoryPicker (): { picker: SaveFilePicker, file: { chunks: Uint8Array[], state: 'open' | 'closed' | 'aborted' }, asked: string[] } {
  const file = { chunks: [] as Uint8Array[], state: 'open' as 'open' | 'closed' | 'aborted' }
  const asked: string[] = []
  const picker: SaveFilePicker = async ({ suggestedName }) => {
    asked.push(suggestedName)
    return {
      createWritable: async () => ({
        write: async data => { file.chunks.push(data.slice()) },
        close: async () => { file.state = 'closed' },
        abort: async () => { file.state = 'aborted'; file.chunks = [] }
      }),
      getFile: async () => ({ size: file.chunks.reduce((n, c) => n + c.byteLength, 0) })
    }
  }
  return { picker, file, asked }
}

/** Content whose read yields `chunks`, then fails with `error` if given. */
function contentOf (chunks: Uint8Array[], error?: Error): Content {
  return {
    read: async function * () {
      yield * chunks
      if (error != null) throw error
    }
  } as unknown as Content
}

describe('a save through the picker', () => {
  it('writes every chunk in order into the picked file, named as suggested, and closes it', async () => {
    const { picker, file, asked } = memoryPicker()
    const saved = await saveToFile(picker, contentOf([Uint8Array.of(1, 2), Uint8Array.of(3)]), 'a.bin', 3)
    assert.equal(saved.bytes, 3)
    assert.deepEqual(asked, ['a.bin'])
    assert.deepEqual(file.chunks, [Uint8Array.of(1, 2), Uint8Array.of(3)])
    assert.equal(file.state, 'closed')
  })

  it('fails with SavedSizeError when the file came out another size than its root says', async () => {
    const { picker } = memoryPicker()
    await assert.rejects(saveToFile(picker, contentOf([Uint8Array.of(1, 2)]), 'short.bin', 5), (err: SavedSizeError) => {
      assert.equal(err.name, 'SavedSizeError')
      assert.deepEqual({ expected: err.expected, written: err.written, saved: err.saved }, { expected: 5, written: 2, saved: 2 })
      assert.match(err.message, /the saved file has 2 bytes \(2 written\), not the 5 of the file/)
      return true
    })
  })

  it('aborts the picked file when the read fails midway, leaving nothing written', async () => {
    const { picker, file } = memoryPicker()
    await assert.rejects(saveToFile(picker, contentOf([Uint8Array.of(1)], Object.assign(new Error('gone'), { name: 'BlockNotFoundError' })), 'cut.bin', 9), /gone/)
    assert.equal(file.state, 'aborted')
    assert.deepEqual(file.chunks, [])
  })
})

describe('saving a file to disk through the File System Access API (Chromium)', () => {
  const network = browserFixture({ servers: 1 })

  const serverPut = async (bytes: Uint8Array): Promise<string> => {
    return putThrough(network.server.multiaddrs[0], bytes)
  }

  /** Downloads that went through the browser's own manager, by URL: the picker's saves must make none. */
  let managed: string[] = []

  /** Opens `path` in a context whose picker the test answers. */
  const openPicking = async (path: string): Promise<WeftPage> => {
    const context = await network.newContext()
    await answerSavePicker(context)
    const page = await network.open(path, { context })
    managed = []
    page.page.on('download', download => { managed.push(download.url()) })
    return page
  }

  const storedBytes = async (page: WeftPage): Promise<number> =>
    page.page.evaluate(async () => (await (globalThis as unknown as { weft: WeftPageHook }).weft.stats()).usedBytes)

  const saveByClick = async (page: WeftPage): Promise<string> => {
    await page.page.locator('#download').click()
    const result = page.page.locator('#save-result:is([data-state="ok"], [data-state="error"])')
    await result.waitFor({ timeout: PAGE_TIMEOUT_MS })
    const text = await result.innerText()
    assert.equal(await result.getAttribute('data-state'), 'ok', text)
    assert.deepEqual(managed, [], 'no download through the browser\'s manager')
    return text
  }

  it('writes a file the worker streams into the picked file as it arrives, byte-identical, kept nowhere in the tab', async () => {
    const bytes = randomBytes(9 * 1_048_576 + 777)
    const cid = await serverPut(bytes)
    const page = await openPicking(`#/${cid}/big.bin`)
    await page.page.locator('#get-result[data-state="ok"]').waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.equal(await page.page.locator('#download').getAttribute('data-save'), 'file-system-access')
    assert.match(await saveByClick(page), /^saved big\.bin to disk: 9\.0 MiB in [\d.]+ s, every block checked, never held whole in this tab$/)
    const saved = await pickedFile(page.page, 'big.bin')
    assert.deepEqual(saved, { size: bytes.byteLength, sha256: sha256(bytes) })
    // the root and the first leaf (read to tell the type); the save cached nothing
    const stored = await storedBytes(page)
    assert.ok(stored <= 1_048_576 + 4096, `${stored} bytes kept in the tab`)
    process.stderr.write(`# screenshot: ${await page.screenshot('download-file-system-access')}\n`)
  })

  it('goes on saving when another link is opened meanwhile, and names its file', async () => {
    const bytes = randomBytes(24 * 1_048_576 + 3)
    const [cid, other] = [await serverPut(bytes), await serverPut(randomBytes(1000))]
    const page = await openPicking(`#/${cid}/long.bin`)
    await page.page.locator('#get-result[data-state="ok"]').waitFor({ timeout: PAGE_TIMEOUT_MS })
    await page.page.locator('#download').click()
    await page.page.locator('#save-result', { hasText: /^saving long\.bin: .* written to disk$/ }).waitFor({ timeout: PAGE_TIMEOUT_MS })
    await page.page.evaluate(hash => { location.hash = hash }, `#/${other}/small.bin`)
    await page.page.locator('#get-result[data-state="ok"]', { hasText: /^got small\.bin/ }).waitFor({ timeout: PAGE_TIMEOUT_MS })
    const result = page.page.locator('#save-result:is([data-state="ok"], [data-state="error"])')
    await result.waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.match(await result.innerText(), /^saved long\.bin to disk: 24\.0 MiB/)
    assert.deepEqual(await pickedFile(page.page, 'long.bin'), { size: bytes.byteLength, sha256: sha256(bytes) })
  })

  it('offers a large file for saving without reading it first when the page runs without its worker', async () => {
    const bytes = randomBytes(6 * 1_048_576 + 5)
    const cid = await serverPut(bytes)
    const page = await openPicking(`?sw=off#/${cid}/six.bin`)
    const offered = page.page.locator('#get-result[data-state="ok"]')
    await offered.waitFor({ timeout: PAGE_TIMEOUT_MS })
    assert.match(await offered.innerText(), /^six\.bin: 6\.0 MiB; Save writes it to a file you choose as it arrives, never held whole in this tab$/)
    assert.equal(await page.page.locator('#download').innerText(), 'Save six.bin to disk')
    // nothing was read but the root, for the size: no leaf, no Blob
    const stored = await storedBytes(page)
    assert.ok(stored < 65_536, `${stored} bytes kept in the tab`)
    await saveByClick(page)
    assert.deepEqual(await pickedFile(page.page, 'six.bin'), { size: bytes.byteLength, sha256: sha256(bytes) })
    process.stderr.write(`# screenshot: ${await page.screenshot('download-save-without-worker')}\n`)
  })
})
