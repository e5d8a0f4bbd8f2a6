import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { base36 } from 'multiformats/bases/base36'
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha512 } from 'multiformats/hashes/sha2'
import { HashMismatchError, InvalidCIDError, ProtocolError } from '../../src/errors.js'
import { MAX_CID_BYTES } from '../../src/protocols/limits.js'
import { parseCid, parseCidString, verifyBlock } from '../../src/protocols/verify.js'
import { rawBlock } from '../support/fakes.js'

const PEER = '12D3KooWPeerNamedInErrors'
const EMPTY_RAW = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const CID_V0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'

function isInvalidCid (value: string, pattern?: RegExp): (err: unknown) => true {
  return (err) => {
    assert.ok(err instanceof InvalidCIDError, `expected an InvalidCIDError, got ${String(err)}`)
    assert.equal(err.value, value)
    if (pattern != null) assert.match(err.message, pattern)
    return true
  }
}

describe('verify', () => {
  it('accepts bytes that hash to a sha2-256 CID', async () => {
    const block = await rawBlock('hello')
    await verifyBlock(block.cid, block.bytes)
    await verifyBlock(CID.parse(EMPTY_RAW), new Uint8Array(0))
  })

  it('rejects bytes that do not hash to the CID, naming the CID and the peer', async () => {
    const block = await rawBlock('hello')
    await assert.rejects(verifyBlock(block.cid, new TextEncoder().encode('hellO'), PEER), (err) => {
      assert.ok(err instanceof HashMismatchError)
      assert.equal(err.cid, block.cid.toString())
      assert.equal(err.peer, PEER)
      assert.match(err.message, new RegExp(PEER))
      return true
    })
  })

  it('checks identity CIDs against the bytes they contain', async () => {
    const bytes = new TextEncoder().encode('tiny')
    const cid = CID.createV1(raw.code, identity.digest(bytes))
    await verifyBlock(cid, bytes)
    await assert.rejects(verifyBlock(cid, new TextEncoder().encode('tinY')), HashMismatchError)
  })

  it('refuses to verify a hash function weft does not support', async () => {
    const bytes = new TextEncoder().encode('hello')
    const cid = CID.createV1(raw.code, await sha512.digest(bytes))
    await assert.rejects(verifyBlock(cid, bytes), isInvalidCid(cid.toString(), /sha2-512|0x13/))
  })

  it('parses CIDs typed by users: CIDv1 in base32, base36 or base64, CIDv0, surrounding whitespace', async () => {
    const { cid } = await rawBlock('hello')
    assert.ok(parseCidString(cid.toString()).equals(cid))
    assert.ok(parseCidString(cid.toString(base36)).equals(cid))
    assert.ok(parseCidString(cid.toString(base64)).equals(cid))
    assert.ok(parseCidString(`  ${cid.toString()}\n`).equals(cid))
    assert.equal(parseCidString(CID_V0).version, 0)
  })

  it('rejects a bad CID string, naming the value and the reason', async () => {
    assert.throws(() => parseCidString('hello'), isInvalidCid('hello', /^"hello" is not a valid CID: /))
    assert.throws(() => parseCidString('bafy!!'), isInvalidCid('bafy!!', /"bafy!!" is not a valid CID/))
    assert.throws(() => parseCidString('   '), isInvalidCid('   ', /is not a valid CID: it is empty/))
    const sha512Cid = CID.createV1(raw.code, await sha512.digest(new Uint8Array(1))).toString()
    assert.throws(() => parseCidString(sha512Cid), isInvalidCid(sha512Cid, /hash function/))
  })

  it('parses binary CIDs off the wire and rejects malformed or oversized ones naming the peer', async () => {
    const { cid } = await rawBlock('hello')
    assert.ok(parseCid(cid.bytes, PEER).equals(cid))

    const isProtocolError = (pattern: RegExp) => (err: unknown): true => {
      assert.ok(err instanceof ProtocolError, String(err))
      assert.equal(err.peer, PEER)
      assert.match(err.message, pattern)
      return true
    }
    assert.throws(() => parseCid(Uint8Array.from([1, 2, 3]), PEER), isProtocolError(/malformed CID/))
    assert.throws(() => parseCid(new Uint8Array(0), PEER), isProtocolError(/empty CID/))
    assert.throws(() => parseCid(new Uint8Array(MAX_CID_BYTES + 1), PEER), isProtocolError(new RegExp(`more than the ${MAX_CID_BYTES} allowed`)))
    const sha512Cid = CID.createV1(raw.code, await sha512.digest(new Uint8Array(1)))
    assert.throws(() => parseCid(sha512Cid.bytes, PEER), isProtocolError(/unsupported hash/))
  })
})
