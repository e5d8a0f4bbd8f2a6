import { sha256 } from 'multiformats/hashes/sha2'
import { blockChecksum } from './block-checksum.js'
import { digestMatches } from './block-digest.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** What reading a recorded block found: its bytes, checked, or why there are none. */
export type ReadResult = { bytes: Uint8Array, bad?: undefined } | { bytes?: undefined, bad: 'missing' | 'corrupt' }

/** How many blocks' checksums `readBlock` remembers (~100 bytes each): 64 GiB of 1 MiB blocks. */
export const REMEMBERED_CHECKSUMS = 65_536

/**
 * The checksum (`blockChecksum`) of the right bytes of each sha2-256 block
 * read here lately, by CID, least recently read first. It is a fact about
 * the CID's content, not about one file: any store in the process may check
 * its copy against it.
 */
const checksums = new Map<string, number>()

/**
 * The bytes of a recorded block once they are checked against its CID;
 * `missing` when the file is gone, `corrupt` when it is not the recorded
 * `size` or its bytes are not the CID's. Throws for a read that failed
 * otherwise (the file is there but could not be read: nothing is concluded
 * from that).
 *
 * The first read of a block hashes it (SHA-256) and remembers the CRC-32 of
 * the bytes that matched; later reads compare the CRC-32 of what they read
 * with that, a third of the cost (a seeder checks every block it serves).
 * Damage on disk (a flipped bit, a torn or zeroed file, another block's
 * bytes) changes the CRC-32 but for one chance in 2^32; what it cannot catch
 * is bytes made on purpose to keep it, by someone who can write the data
 * directory — and those a fetcher still rejects, since it hashes every block
 * it receives (`protocols/verify-block.ts`).
 */
export async function readBlock (bytes: Blockstore, cid: CID, size: number, options?: AbortOptions): Promise<ReadResult> {
  let read: Uint8Array
  try {
    read = await concat(bytes.get(cid, options))
  } catch (err: any) {
    options?.signal?.throwIfAborted()
    // blockstore-fs reports every read failure as NotFoundError: only a file that is really gone counts.
    if (err.name !== 'NotFoundError' || await bytes.has(cid)) throw err
    return { bad: 'missing' }
  }
  if (read.byteLength !== size || !(await checked(cid, read))) return { bad: 'corrupt' }
  return { bytes: read }
}

/** Whether `bytes` are `cid`'s: by the remembered checksum if there is one, else by hashing them. */
async function checked (cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code !== sha256.code) return await digestMatches(cid, bytes)
  const key = cid.toString()
  const known = checksums.get(key)
  if (known !== undefined) {
    const matches = blockChecksum(bytes) === known
    if (matches) {
      // least recently read first
      checksums.delete(key)
      checksums.set(key, known)
    }
    return matches
  }
  if (!(await digestMatches(cid, bytes))) return false
  const sum = blockChecksum(bytes)
  if (sum !== undefined) {
    checksums.set(key, sum)
    if (checksums.size > REMEMBERED_CHECKSUMS) checksums.delete(checksums.keys().next().value as string)
  }
  return true
}

async function concat (chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const chunk of chunks) {
    parts.push(chunk)
    length += chunk.byteLength
  }
  // A plain Uint8Array view, not the Buffer blockstore-fs reads into.
  if (parts.length === 1) return new Uint8Array(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength)
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
