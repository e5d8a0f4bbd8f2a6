import { dagLinks, IDENTITY_HASH, isLeafCodec } from './dag-links.js'
import { blockKey } from './store-keys.js'
import type { ReadResult } from './block-read.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** How a walk sees the local store. */
export interface WalkStore<R> {
  /** The record of block `key`, if stored. */
  record: (key: string) => R | undefined
  /** Reads a stored block, checked against its CID. */
  read: (cid: CID, record: R) => Promise<ReadResult>
  /** A block read back missing or damaged (the store drops it). */
  bad: (record: R, why: 'missing' | 'corrupt') => void
  /** A block the walk needs and the store does not hold: thrown when the walk is strict. */
  notHere: (cid: CID) => Error
}

/**
 * The blocks of a DAG stored locally, by key, in breadth-first order.
 * `strict`: a missing block throws `store.notHere(cid)`; otherwise it (and
 * what lies below it) is skipped. Leaves (raw, identity) are not read;
 * blocks under an identity multihash carry their bytes and need no record.
 */
export async function walkDag<R> (root: CID, strict: boolean, store: WalkStore<R>, options?: AbortOptions): Promise<Map<string, { cid: CID, record: R }>> {
  const found = new Map<string, { cid: CID, record: R }>()
  const seen = new Set<string>()
  const queue: CID[] = [root]
  for (let i = 0; i < queue.length; i++) {
    options?.signal?.throwIfAborted()
    const cid = queue[i]
    const key = blockKey(cid)
    if (seen.has(key)) continue
    seen.add(key)
    if (cid.multihash.code === IDENTITY_HASH) {
      for (const link of dagLinks(cid, cid.multihash.digest)) queue.push(link)
      continue
    }
    const record = store.record(key)
    const read = record == null || isLeafCodec(cid) ? undefined : await store.read(cid, record)
    if (record != null && read?.bad != null) store.bad(record, read.bad)
    const bytes = read?.bytes
    if (record == null || (bytes == null && !isLeafCodec(cid))) {
      if (strict) throw store.notHere(cid)
      continue
    }
    found.set(key, { cid, record })
    if (bytes != null) for (const link of dagLinks(cid, bytes)) queue.push(link)
  }
  return found
}
