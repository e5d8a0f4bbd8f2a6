/**
 * Checks block bytes that come from outside (a peer's answer, a block pushed
 * to us) against their CID: weft verifies sha2-256 and identity.
 */

import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { HashMismatchError, InvalidCIDError } from '../errors.js'
import type { CID } from 'multiformats/cid'

/** Multihash codes of the hash functions weft verifies: sha2-256 and identity. */
export const SUPPORTED_HASHES = new Map<number, string>([[sha256.code, sha256.name], [identity.code, identity.name]])

/** A multihash code's name, for messages. */
export function hashName (code: number): string {
  return SUPPORTED_HASHES.get(code) ?? `0x${code.toString(16)}`
}

/**
 * Resolves when `bytes` hash to `cid`'s multihash (sha2-256 or identity).
 * Throws `HashMismatchError` (naming `peer`, who sent them) when they do not,
 * and `InvalidCIDError` when the CID uses any other hash function.
 */
export async function verifyBlock (cid: CID, bytes: Uint8Array, peer?: string): Promise<void> {
  const { code, digest } = cid.multihash

  if (code === sha256.code) {
    const actual = await sha256.digest(bytes)
    if (uint8ArrayEquals(actual.digest, digest)) return
  } else if (code === identity.code) {
    if (uint8ArrayEquals(bytes, digest)) return
  } else {
    throw new InvalidCIDError(`CID ${cid} uses the unsupported hash function ${hashName(code)}; weft verifies sha2-256 and identity`, cid.toString())
  }

  throw new HashMismatchError(cid.toString(), peer)
}
