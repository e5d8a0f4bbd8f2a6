import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha512 } from 'multiformats/hashes/sha2'
import { HashMismatchError } from '../../src/errors.js'
import { verifyBlock } from '../../src/protocols/verify-block.js'
import { rawBlock } from '../support/fakes.js'
import { isInvalidCid } from './invalid-cid.js'

const PEER = '12D3KooWPeerNamedInErrors'
const EMPTY_RAW = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'

describe('block verification', () => {
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
})
