import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { capabilityHash, formatCapability, formatShareLink, parseCapability } from '../../src/content/capability.js'

const CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

function throwsNamed (fn: () => unknown, name: string): void {
  assert.throws(fn, (err: Error) => err.name === name, `expected ${name}`)
}

describe('capabilities', () => {
  it('formats weft:<cid>#k=<key> with the key in 43 base64url characters, and reads it back', () => {
    const key = randomBytes(32)
    const cap = formatCapability({ cid: CID, key })
    assert.match(cap, new RegExp(`^weft:${CID}#k=[A-Za-z0-9_-]{43}$`))
    const parsed = parseCapability(cap)
    assert.equal(parsed?.cid, CID)
    assert.deepEqual(parsed?.key, new Uint8Array(key))
  })

  it('formats a link with the CID, name and key in the fragment only, and reads it back', () => {
    const key = randomBytes(32)
    const link = formatShareLink('https://weft.example/app/?db=x#old', { cid: CID, key, name: 'my file?.txt' })
    const url = new URL(link)
    assert.equal(url.origin + url.pathname + url.search, 'https://weft.example/app/')
    assert.ok(url.hash.startsWith(`#/${CID}/my%20file%3F.txt?k=`))
    const parsed = parseCapability(link)
    assert.equal(parsed?.cid, CID)
    assert.equal(parsed?.name, 'my file?.txt')
    assert.deepEqual(parsed?.key, new Uint8Array(key))
  })

  it('reads a fragment with no name', () => {
    const key = randomBytes(32)
    assert.equal(parseCapability(`http://127.0.0.1:8080/${capabilityHash({ cid: CID, key })}`)?.cid, CID)
  })

  it('is undefined for a bare CID and a plain share link', () => {
    assert.equal(parseCapability(CID), undefined)
    assert.equal(parseCapability(`https://weft.example/#/${CID}/a.txt`), undefined)
  })

  it('a capability or link without a key fails with MissingKeyError', () => {
    throwsNamed(() => parseCapability(`weft:${CID}`), 'MissingKeyError')
    throwsNamed(() => parseCapability(`weft:${CID}#k=`), 'MissingKeyError')
    throwsNamed(() => parseCapability(`https://weft.example/#/${CID}/a.txt?k=`), 'MissingKeyError')
  })

  it('a key that is not 32 base64url bytes fails with InvalidCapabilityError naming the capability', () => {
    const short = `weft:${CID}#k=${Buffer.from(randomBytes(16)).toString('base64url')}`
    assert.throws(() => parseCapability(short), (err: any) => err.name === 'InvalidCapabilityError' && err.value === short)
    throwsNamed(() => parseCapability(`weft:${CID}#k=not*base64`), 'InvalidCapabilityError')
    throwsNamed(() => parseCapability('weft:#k=abc'), 'InvalidCapabilityError')
  })
})

describe('the page\'s share links with a key', () => {
  it('carry the key as ?k= after the name, and read it back as the capability the node decrypts with', async () => {
    const { contentRef, parseShareHash, shareHash } = await import('../../web/share-link.js')
    const key = Buffer.from(randomBytes(32)).toString('base64url')
    const hash = shareHash({ cid: CID, name: 'a b.txt', key })
    assert.equal(hash, `#/${CID}/a%20b.txt?k=${key}`)
    const shared = parseShareHash(hash)
    assert.deepEqual(shared, { cid: CID, name: 'a b.txt', key })
    assert.equal(contentRef(shared ?? assert.fail()), `weft:${CID}#k=${key}`)
    assert.deepEqual(parseCapability(contentRef(shared ?? assert.fail()))?.key, new Uint8Array(Buffer.from(key, 'base64url')))
    assert.deepEqual(parseShareHash(`#/${CID}?k=${key}`), { cid: CID, key })
    assert.deepEqual(parseShareHash(`#/${CID}/plain.txt`), { cid: CID, name: 'plain.txt' })
    assert.equal(contentRef({ cid: CID }), CID)
  })
})

describe('weft get and put with capabilities, before any networking', () => {
  it('weft get of a capability without a key exits 2 naming MissingKeyError; a short key, InvalidCapabilityError', async () => {
    const { runWeft } = await import('../support/weft-process.js')
    const missing = await runWeft(['get', `weft:${CID}`])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /^weft: MissingKeyError: .*carries no key/m)
    const short = await runWeft(['get', `weft:${CID}#k=abc`])
    assert.equal(short.code, 2)
    assert.match(short.stderr, /InvalidCapabilityError/)
  })

  it('weft put with --convergent but no --encrypt, or a --page that is not a URL, exits 2', async () => {
    const { runWeft } = await import('../support/weft-process.js')
    const file = new URL(import.meta.url).pathname
    const convergent = await runWeft(['put', file, '--convergent'])
    assert.equal(convergent.code, 2)
    assert.match(convergent.stderr, /--convergent and --page go with --encrypt/)
    const page = await runWeft(['put', file, '--encrypt', '--page', 'not a url'])
    assert.equal(page.code, 2)
    assert.match(page.stderr, /--page must be a URL/)
  })
})
