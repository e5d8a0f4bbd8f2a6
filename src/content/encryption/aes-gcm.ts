import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { release } from './release.js'

// AES-256-GCM for one record or header, in Node: node:crypto (OpenSSL, on
// the calling thread). The page's twin (aes-gcm.browser.ts) uses WebCrypto;
// both give and take the same bytes (ciphertext ‖ 16-byte tag). WebCrypto
// in Node copies its input and runs each call on the thread pool: 260-680
// MiB/s per MiB record on the development machine, where this gives
// 980-2,090 MiB/s (docs/performance.md, encryption).

/** A record or metadata key, ready to use. */
export type AesKey = KeyObject

const TAG = 16

/** An AES-256 key from its 32 bytes. */
export async function aesKey (raw: Uint8Array): Promise<AesKey> {
  return createSecretKey(raw)
}

/** `plain` sealed under `iv` (12 bytes), authenticating `aad`: ciphertext ‖ tag. */
export async function aesSeal (key: AesKey, iv: Uint8Array, plain: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  if (aad != null) cipher.setAAD(aad)
  // not zero-filled: every byte is written below (a 1 MiB record sealed 10 % faster)
  const allocated = Buffer.allocUnsafeSlow(plain.byteLength + TAG)
  const out = new Uint8Array(allocated.buffer, allocated.byteOffset, allocated.byteLength)
  const body = cipher.update(plain)
  out.set(body, 0)
  const tail = cipher.final()
  // GCM gives exactly as many bytes as it takes: anything else would leave uninitialised memory in `out`
  if (body.byteLength + tail.byteLength !== plain.byteLength) throw new Error(`AES-GCM gave ${body.byteLength + tail.byteLength} bytes for ${plain.byteLength}`)
  out.set(tail, body.byteLength)
  out.set(cipher.getAuthTag(), body.byteLength + tail.byteLength)
  // the cipher's output was copied into `out` and is held nowhere else: freed now, not by the next GCs
  release(body)
  return out
}

/** Opens what `aesSeal` sealed; throws (an Error) when it does not authenticate. */
export async function aesOpen (key: AesKey, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  if (sealed.byteLength < TAG) throw new Error(`${sealed.byteLength} bytes are shorter than a tag`)
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
  if (aad != null) decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG))
  const body = decipher.update(sealed.subarray(0, sealed.byteLength - TAG))
  const tail = decipher.final()
  return tail.byteLength === 0 ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(Buffer.concat([body, tail]))
}
