import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

/**
 * Which blocks a testnet server is given, named rather than sent: the
 * blocks are made again from `seed` and their index where they are stored,
 * so seeding 10,000 of them costs the IPC channel a list of numbers.
 */
export interface SeededBlocks {
  seed: string
  /** Bytes per block. */
  size: number
  indices: number[]
}

/**
 * Block `index` of `seed`: `size` bytes from SHA-256 in counter mode over
 * the seed and index, so every process makes the same bytes, and its raw
 * CID (what a put of those bytes as one chunk would store).
 */
export async function seededBlock (seed: string, index: number, size: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array(size)
  for (let offset = 0, counter = 0; offset < size; offset += 32, counter++) {
    const digest = createHash('sha256').update(`${seed}/${index}/${counter}`).digest()
    bytes.set(digest.subarray(0, Math.min(32, size - offset)), offset)
  }
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}
