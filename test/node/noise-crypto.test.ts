import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { nodeNoiseCrypto } from '../../src/node/noise-crypto.js'

/** Plain Uint8Array views, so a Buffer and a Uint8Array of the same bytes compare equal. */
const bytesOf = (data: Uint8Array | { subarray: () => Uint8Array }): Uint8Array => {
  const bytes = data instanceof Uint8Array ? data : data.subarray()
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
const key = (): Uint8Array => new Uint8Array(randomBytes(32))
const nonce = new Uint8Array(12)
const ad = new Uint8Array(randomBytes(32))

describe('noise crypto for Node', () => {
  for (const size of [0, 100, 1199, 1200, 65519]) {
    it(`interoperates with noise's default both ways at ${size} bytes`, () => {
      const k = key()
      const plaintext = new Uint8Array(randomBytes(size))
      const ours = bytesOf(nodeNoiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
      assert.deepEqual(ours, bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)))
      assert.deepEqual(bytesOf(defaultCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, k)), plaintext)
      assert.deepEqual(bytesOf(nodeNoiseCrypto.chaCha20Poly1305Decrypt(ours, nonce, ad, k)), plaintext)
    })
  }

  it('decrypts a message that arrived in several pieces', () => {
    const k = key()
    const plaintext = new Uint8Array(randomBytes(40_000))
    const sealed = bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
    const pieces = new Uint8ArrayList(sealed.subarray(0, 7), sealed.subarray(7, 30_000), sealed.subarray(30_000))
    assert.deepEqual(bytesOf(nodeNoiseCrypto.chaCha20Poly1305Decrypt(pieces as any, nonce, ad, k)), plaintext)
  })

  it('hands a message that arrived in pieces on in pieces, not joined into a copy', () => {
    const k = key()
    const plaintext = new Uint8Array(randomBytes(65_519))
    const sealed = bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
    const opened: unknown = nodeNoiseCrypto.chaCha20Poly1305Decrypt(new Uint8ArrayList(sealed.subarray(0, 60_000), sealed.subarray(60_000)) as any, nonce, ad, k)
    assert.ok(opened instanceof Uint8ArrayList && [...opened].length === 2, 'two pieces')
    assert.deepEqual(bytesOf(opened), plaintext)
  })

  it('seals a message as its ciphertext and tag, not joined into a copy', () => {
    const k = key()
    const plaintext = new Uint8Array(randomBytes(65_519))
    const sealed: unknown = nodeNoiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    assert.ok(sealed instanceof Uint8ArrayList && [...sealed].length === 2, 'ciphertext and tag')
    assert.deepEqual(bytesOf(sealed), bytesOf(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)))
  })

  it('refuses a message whose tag does not match', () => {
    const k = key()
    const sealed = bytesOf(nodeNoiseCrypto.chaCha20Poly1305Encrypt(new Uint8Array(5000), nonce, ad, k))
    sealed[10] ^= 1
    assert.throws(() => nodeNoiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k), /authenticate/)
  })

  it('uses the right key when the array noise keeps a key in gets another key', () => {
    const k = key()
    const plaintext = new Uint8Array(randomBytes(5000))
    nodeNoiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    k.set(randomBytes(32))
    const sealed = bytesOf(nodeNoiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
    assert.deepEqual(bytesOf(defaultCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k)), plaintext)
  })
})
