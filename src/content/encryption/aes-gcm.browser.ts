// AES-256-GCM for one record or header, in pages: WebCrypto (the Node twin,
// aes-gcm.ts, uses node:crypto). Both give and take the same bytes
// (ciphertext ‖ 16-byte tag).

/** A record or metadata key, ready to use. */
export type AesKey = CryptoKey

function subtle (): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (s == null) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available: pages need a secure context (https or localhost)')
  return s
}

/** An AES-256 key from its 32 bytes. */
export async function aesKey (raw: Uint8Array): Promise<AesKey> {
  return subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
}

/** `plain` sealed under `iv` (12 bytes), authenticating `aad`: ciphertext ‖ tag. */
export async function aesSeal (key: AesKey, iv: Uint8Array, plain: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, ...(aad != null ? { additionalData: aad as Uint8Array<ArrayBuffer> } : {}) }, key, plain as Uint8Array<ArrayBuffer>))
}

/** Opens what `aesSeal` sealed; throws (an Error) when it does not authenticate. */
export async function aesOpen (key: AesKey, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, ...(aad != null ? { additionalData: aad as Uint8Array<ArrayBuffer> } : {}) }, key, sealed as Uint8Array<ArrayBuffer>))
}
