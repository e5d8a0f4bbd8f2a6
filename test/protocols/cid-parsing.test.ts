import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { base36 } from 'multiformats/bases/base36'
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha512 } from 'multiformats/hashes/sha2'
import { ProtocolError } from '../../src/errors.js'
import { parseCid, parseCidString } from '../../src/protocols/cid-parsing.js'
import { MAX_CID_BYTES } from '../../src/protocols/limits.js'
import { rawBlock } from '../support/fakes.js'
import { isInvalidCid } from './invalid-cid.js'

const PEER = '12D3KooWPeerNamedInErrors'
const CID_V0 = 'QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'

describe('CID parsing', () => {
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
