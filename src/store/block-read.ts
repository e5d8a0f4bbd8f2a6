import { digestMatches } from './block-digest.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** What reading a recorded block found: its bytes, checked, or why there are none. */
export type ReadResult = { bytes: Uint8Array, bad?: undefined } | { bytes?: undefined, bad: 'missing' | 'corrupt' }

/**
 * The bytes of a recorded block once they hash to its CID; `missing` when
 * the file is gone, `corrupt` when it is not the recorded `size` or does not
 * hash to the CID. Throws for a read that failed otherwise (the file is
 * there but could not be read: nothing is concluded from that).
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
  if (read.byteLength !== size || !(await digestMatches(cid, read))) return { bad: 'corrupt' }
  return { bytes: read }
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
