/**
 * Noise's ChaCha20-Poly1305 for Node.js, with each session key made a
 * `KeyObject` once. Noise's own Node implementation hands `createCipheriv`
 * the raw key bytes for every message (at most 64 KiB each), and Node turns
 * them into a key object every time, through a check that throws and catches
 * for anything that is not one already: 6–9 % of a fetcher's CPU in the
 * profiles (docs/performance.md). Everything else is noise's default.
 */

import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'

const CHACHA_POLY1305 = 'chacha20-poly1305'
const TAG_BYTES = 16

/**
 * Below this, noise's default uses its WebAssembly cipher, faster than
 * Node's for small messages (noise's own measurement): left to it.
 */
const NODE_CIPHER_MIN_BYTES = 1200

/** Session keys by the array noise keeps them in; the copy guards against the array being reused for another key. */
const keys = new WeakMap<Uint8Array, { bytes: Uint8Array, key: KeyObject }>()

function keyObject (k: Uint8Array): KeyObject {
  const cached = keys.get(k)
  if (cached != null && uint8ArrayEquals(cached.bytes, k)) return cached.key
  const entry = { bytes: k.slice(), key: createSecretKey(k) }
  keys.set(k, entry)
  return entry.key
}

type Encrypt = ICryptoInterface['chaCha20Poly1305Encrypt']
type Decrypt = ICryptoInterface['chaCha20Poly1305Decrypt']

const encrypt: Encrypt = (plaintext, nonce, ad, k) => {
  if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
  const cipher = createCipheriv(CHACHA_POLY1305, keyObject(k), nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
  // the ciphertext and its tag go on as pieces of a list, not joined into a
  // copy: noise appends them to the frame it sends, and the socket takes
  // them one after the other (a seeder joined every 64 KiB frame it sent)
  const sealed = new Uint8ArrayList()
  for (const part of plaintext instanceof Uint8Array ? [plaintext] : plaintext) sealed.append(cipher.update(part))
  const final = cipher.final()
  if (final.byteLength > 0) sealed.append(final)
  sealed.append(cipher.getAuthTag())
  return sealed as unknown as Uint8Array
}

const decrypt: Decrypt = (ciphertext, nonce, ad, k, dst) => {
  if (ciphertext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
  const decipher = createDecipheriv(CHACHA_POLY1305, keyObject(k), nonce, { authTagLength: TAG_BYTES })
  const textLength = ciphertext.byteLength - TAG_BYTES
  decipher.setAAD(ad, { plaintextLength: textLength })
  decipher.setAuthTag(ciphertext.subarray(textLength))
  const parts: Uint8Array[] = []
  for (const part of ciphertext instanceof Uint8Array ? [ciphertext.subarray(0, textLength)] : ciphertext.sublist(0, textLength)) {
    parts.push(decipher.update(part))
  }
  // throws when the tag does not match: noise then closes the connection
  const final = decipher.final()
  if (final.byteLength > 0) parts.push(final)
  // a frame that spans two socket reads (most of a transfer's 64 KiB frames)
  // comes in two parts: handed on as a list, not joined into a copy, since
  // noise appends it to a list and the reader joins a whole message once.
  // Noise's list (uint8arraylist 2.x) takes ours (3.x) by the brand both
  // share (Symbol.for), which their types do not know
  return parts.length === 1 ? parts[0] : new Uint8ArrayList(...parts) as unknown as Uint8Array
}

/** Pass as `noise({ crypto: nodeNoiseCrypto })`. */
export const nodeNoiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt: encrypt,
  chaCha20Poly1305Decrypt: decrypt
}
