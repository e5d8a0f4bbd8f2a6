import { sha256 } from '@noble/hashes/sha2.js'
import { byteChunks, type FileContent } from '../source.js'
import { aesKey, type AesKey } from './aes-gcm.js'

// Key material of one encrypted file. The same code runs in Node and in
// pages: HKDF through WebCrypto (`globalThis.crypto.subtle`), AES-GCM through
// aes-gcm.ts (node:crypto in Node, WebCrypto in pages: the same bytes).

/** Bytes of a file key (AES-256). */
export const KEY_BYTES = 32
/** Bytes of the per-file salt the record keys and nonces are derived with. */
export const SALT_BYTES = 16
/** Bytes of the key check stored in the header (tells a wrong key from tampering, and commits to the key). */
export const CHECK_BYTES = 16
/** Bytes of the nonce prefix; the other 5 of a record's 12-byte nonce are its index (4) and its is-last flag (1). */
export const NONCE_PREFIX_BYTES = 7

const INFO = 'weft/encryption/v1'
const utf8 = new TextEncoder()

function subtle (): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (s == null) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available: pages need a secure context (https or localhost)')
  return s
}

/** The keys one file's records and header are sealed with, all derived from its file key and salt. */
export interface FileKeys {
  /** AES-256-GCM key of the data records. */
  data: AesKey
  /** AES-256-GCM key of the header's metadata (name, type): derived apart from `data`. */
  meta: AesKey
  noncePrefix: Uint8Array
  check: Uint8Array
}

/** A fresh random file key. */
export function randomKey (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES))
}

/** A fresh random salt. */
export function randomSalt (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES))
}

/** HKDF-SHA-256 of `ikm` with `salt` and `info`, `bytes` long. */
export async function hkdf (ikm: Uint8Array, salt: Uint8Array, info: string, bytes: number): Promise<Uint8Array> {
  const base = await subtle().importKey('raw', ikm as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveBits'])
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, info: utf8.encode(info) }, base, bytes * 8)
  return new Uint8Array(bits)
}

/** Derives a file's record key, metadata key, nonce prefix and key check from its key and salt. */
export async function deriveFileKeys (key: Uint8Array, salt: Uint8Array): Promise<FileKeys> {
  if (key.byteLength !== KEY_BYTES) throw new RangeError(`a file key is ${KEY_BYTES} bytes, got ${key.byteLength}`)
  const [data, meta, nonce, check] = await Promise.all([
    hkdf(key, salt, `${INFO}/data`, KEY_BYTES),
    hkdf(key, salt, `${INFO}/meta`, KEY_BYTES),
    hkdf(key, salt, `${INFO}/nonce`, NONCE_PREFIX_BYTES),
    hkdf(key, salt, `${INFO}/check`, CHECK_BYTES)
  ])
  return { data: await aesKey(data), meta: await aesKey(meta), noncePrefix: nonce, check }
}

/** The 12-byte nonce of record `index`: the file's nonce prefix, the index (big-endian) and the is-last flag. */
export function recordNonce (prefix: Uint8Array, index: number, last: boolean): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) throw new RangeError(`record index ${index} is out of range`)
  const nonce = new Uint8Array(12)
  nonce.set(prefix, 0)
  new DataView(nonce.buffer).setUint32(NONCE_PREFIX_BYTES, index)
  nonce[11] = last ? 1 : 0
  return nonce
}

/**
 * The metadata's nonce, synthetic (SIV-like): derived from the file key and
 * the padded metadata, so equal metadata under one key gives the same
 * ciphertext (convergent puts stay deterministic) and different metadata
 * never reuses a nonce.
 */
export async function metadataNonce (key: Uint8Array, metadata: Uint8Array): Promise<Uint8Array> {
  return hkdf(key, metadata, `${INFO}/meta-nonce`, 12)
}

/** A key and salt, either fresh or derived from the content (convergent). */
export interface KeyAndSalt { key: Uint8Array, salt: Uint8Array }

/**
 * Convergent key and salt: derived from the content's SHA-256 and the user's
 * convergence secret, so the same user putting the same bytes (with the same
 * record size) gets the same ciphertext and CIDs. Reads `source` once
 * (streamed, hashed incrementally); the caller reads it again to encrypt.
 */
export async function convergentKey (source: FileContent, secret: Uint8Array, recordSize: number): Promise<KeyAndSalt> {
  if (secret.byteLength < 16) throw new RangeError(`a convergence secret must be at least 16 bytes, got ${secret.byteLength}`)
  const hash = sha256.create()
  for await (const chunk of byteChunks(source)) hash.update(chunk)
  const key = await hkdf(hash.digest(), secret, `${INFO}/convergent/${recordSize}`, KEY_BYTES)
  const salt = await hkdf(key, new Uint8Array(0), `${INFO}/convergent-salt`, SALT_BYTES)
  return { key, salt }
}
