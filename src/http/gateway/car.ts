// CAR answers of the trustless gateway: which blocks, in what order, written with @ipld/car.

import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { windowed } from '../../index.js'
import { entityRange, type CarOptions } from './request.js'
import type { BlockSource } from '../../index.js'
import type { CID } from 'multiformats/cid'

/** A block of a CAR: its CID and bytes. */
export interface Block {
  cid: CID
  bytes: Uint8Array
}

/** Children of one node fetched ahead of the walk. */
export const CAR_WINDOW = 16

const IDENTITY = 0x00

/** `Content-Type` of the CARs this gateway writes: CARv1, depth-first, with or without duplicates. */
export function carContentType (options: CarOptions): string {
  return `application/vnd.ipld.car; version=1; order=dfs; dups=${options.dups ? 'y' : 'n'}`
}

/**
 * A CARv1 of `blocks`, streamed: the header naming `roots`, then each block
 * as the walk yields it. `CarWriter.put` resolves once its bytes are read,
 * so the walk runs no further ahead than the reader. A walk that fails
 * ends the stream with its error, so the response is cut rather than
 * completed without its blocks.
 */
export async function * carBytes (roots: CID[], blocks: AsyncIterable<Block>): AsyncGenerator<Uint8Array> {
  const { writer, out } = CarWriter.create(roots)
  let failed: { err: unknown } | undefined
  const walk = (async () => {
    try {
      for await (const block of blocks) await writer.put(block)
    } catch (err) {
      failed = { err }
    } finally {
      await writer.close()
    }
  })()
  for await (const bytes of out) yield bytes
  await walk
  if (failed != null) throw failed.err
}

/**
 * The blocks a CAR of `target` carries (after the path's blocks), in
 * depth-first order, identity blocks left out (the spec forbids them):
 * - `block`: the target's block alone;
 * - `entity`: for a UnixFS file, the blocks that hold the `entity-bytes`
 *   range (all of the file without it); for a directory, its block (and a
 *   sharded one's shards), not the entries; other data: its block;
 * - `all`: every block reachable from the target through dag-pb links.
 *
 * `seen` holds the CIDs sent already (the path's), and with `dups: false`
 * no block is sent twice.
 */
export async function * carBlocks (target: CID, options: CarOptions, blocks: BlockSource, seen: Set<string>): AsyncGenerator<Block> {
  const root = await blockOf(target, blocks)
  const send = (block: Block): boolean => {
    if (block.cid.multihash.code === IDENTITY) return false
    const key = block.cid.toString()
    if (!options.dups && seen.has(key)) return false
    seen.add(key)
    return true
  }
  if (send(root)) yield root
  if (options.scope === 'block' || target.code !== dagPb.code) return
  const node = dagPb.decode(root.bytes)
  if (options.scope === 'all') {
    yield * subgraph(node, blocks, send)
    return
  }
  const unixfs = unixfsOf(node)
  if (unixfs == null) return
  if (unixfs.type === 'file' || unixfs.type === 'raw') {
    const { start, end } = entityRange(options.entityBytes, Number(unixfs.fileSize()))
    if (start < end) yield * fileRange(node, unixfs, 0, start, end, blocks, send)
  } else if (unixfs.type === 'hamt-sharded-directory') {
    yield * shards(node, unixfs, blocks, send)
  }
}

/** Every block under `node`, depth first, each node's children fetched a window ahead. */
async function * subgraph (node: dagPb.PBNode, blocks: BlockSource, send: (block: Block) => boolean): AsyncGenerator<Block> {
  for await (const child of children(node.Links.map(link => link.Hash), blocks)) {
    if (send(child)) yield child
    if (child.cid.code === dagPb.code) yield * subgraph(dagPb.decode(child.bytes), blocks, send)
  }
}

/**
 * The blocks of a file node that hold [from, to): the node's children
 * overlapping the range (by the UnixFS block sizes), and theirs below.
 */
async function * fileRange (node: dagPb.PBNode, unixfs: UnixFS, nodeStart: number, from: number, to: number, blocks: BlockSource, send: (block: Block) => boolean): AsyncGenerator<Block> {
  const wanted: Array<{ cid: CID, start: number }> = []
  let position = nodeStart + (unixfs.data?.byteLength ?? 0)
  for (let i = 0; i < node.Links.length && i < unixfs.blockSizes.length && position < to; i++) {
    const start = position
    position += Number(unixfs.blockSizes[i])
    if (position > from) wanted.push({ cid: node.Links[i].Hash, start })
  }
  let i = 0
  for await (const child of children(wanted.map(w => w.cid), blocks)) {
    const start = wanted[i++].start
    if (send(child)) yield child
    if (child.cid.code !== dagPb.code) continue
    const childNode = dagPb.decode(child.bytes)
    const childUnixfs = unixfsOf(childNode)
    if (childUnixfs != null) yield * fileRange(childNode, childUnixfs, start, from, to, blocks, send)
  }
}

/** The shards of a HAMT-sharded directory: links named by the bucket prefix alone. */
async function * shards (node: dagPb.PBNode, unixfs: UnixFS, blocks: BlockSource, send: (block: Block) => boolean): AsyncGenerator<Block> {
  const prefix = ((unixfs.fanout ?? 256n) - 1n).toString(16).length
  const subShards = node.Links.filter(link => link.Name?.length === prefix).map(link => link.Hash)
  for await (const child of children(subShards, blocks)) {
    if (send(child)) yield child
    const childNode = dagPb.decode(child.bytes)
    const childUnixfs = unixfsOf(childNode)
    if (childUnixfs != null) yield * shards(childNode, childUnixfs, blocks, send)
  }
}

/** Blocks fetched a window ahead, handed over in order. */
async function * children (cids: CID[], blocks: BlockSource): AsyncGenerator<Block> {
  const tasks = async function * (): AsyncGenerator<() => Promise<Block>> {
    for (const cid of cids) yield async () => blockOf(cid, blocks)
  }
  yield * windowed(tasks(), CAR_WINDOW)
}

async function blockOf (cid: CID, blocks: BlockSource): Promise<Block> {
  // an identity CID carries its bytes inside itself
  if (cid.multihash.code === IDENTITY) return { cid, bytes: cid.multihash.digest }
  return { cid, bytes: await blocks.get(cid) }
}

function unixfsOf (node: dagPb.PBNode): UnixFS | undefined {
  if (node.Data == null) return undefined
  try {
    return UnixFS.unmarshal(node.Data)
  } catch {
    return undefined
  }
}
