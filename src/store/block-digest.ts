import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import type { CID } from 'multiformats/cid'

/**
 * Whether stored bytes still hash to the block's multihash: the store's own
 * check of what it read from disk (`protocols/verify-block.ts` checks what
 * peers send, with errors naming the peer). sha2-256 and identity, the hashes
 * weft accepts anywhere; bytes under any other hash cannot be checked here
 * and count as matching (weft itself never stores such blocks).
 */
export async function digestMatches (cid: CID, bytes: Uint8Array): Promise<boolean> {
  const { code, digest } = cid.multihash
  if (code === sha256.code) return uint8ArrayEquals((await sha256.digest(bytes)).digest, digest)
  if (code === identity.code) return uint8ArrayEquals(bytes, digest)
  return true
}
