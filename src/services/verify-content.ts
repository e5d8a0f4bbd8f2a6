import { fileParts, IDENTITY_CODE } from '../content/layout.js'
import { countHolders, type CensusInit } from '../placement/replica-census.js'
import type { VerifyResult } from './storage-types.js'
import type { BlockSource } from '../fetch/block-source.js'
import type { CID } from 'multiformats/cid'

/** What a verify works with. */
export interface VerifyContext extends Omit<CensusInit, 'signal'> {
  /** Fetches the file's root and inner nodes (its leaves are named by their links, never fetched). */
  blocks: BlockSource
  writeQuorum: number
}

/**
 * Walks a file's DAG and asks, for every block, how many of its closest
 * servers keep it: the answer of `node.verify` and `weft verify`. Every
 * block's count is an answer of the servers (`/weft/have/1.0.0`), never
 * where the blocks should be. `ok` when every block has `writeQuorum`.
 */
export async function verifyContent (root: CID, ctx: VerifyContext, signal: AbortSignal): Promise<VerifyResult> {
  const cids: CID[] = []
  const seen = new Set<string>()
  for await (const part of fileParts(root, ctx.blocks, { signal })) {
    // an identity CID carries its bytes: no server needs to hold it
    if (part.kind === 'data' || part.cid.multihash.code === IDENTITY_CODE) continue
    const key = part.cid.toString()
    // a leaf repeated in a file (zeros) is one block, counted once
    if (seen.has(key)) continue
    seen.add(key)
    cids.push(part.cid)
  }
  const counted = await countHolders(cids, { ...ctx, signal })
  const blocks = counted.map(b => ({ cid: b.cid, holders: b.holders.length, servers: b.holders.map(p => p.toString()), asked: b.asked, failed: b.failed }))
  const minHolders = blocks.reduce((min, b) => Math.min(min, b.holders), Infinity)
  const short = blocks.filter(b => b.holders < ctx.writeQuorum).length
  return { cid: root, writeQuorum: ctx.writeQuorum, blocks, minHolders: minHolders === Infinity ? 0 : minHolders, short, ok: short === 0 }
}
