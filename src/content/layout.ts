import * as dagPb from '@ipld/dag-pb'
import * as raw from 'multiformats/codecs/raw'
import { NotAFileError } from '../errors.js'
import { decodeNode, getBlock, unixfsOf } from './read.js'
import type { BlockSource } from '../fetch/block-source.js'
import type { CID } from 'multiformats/cid'
import type { PBNode } from '@ipld/dag-pb'
import type { UnixFS } from 'ipfs-unixfs'

/** The multihash code of an identity CID: its bytes are in the CID, no block to store or fetch. */
export const IDENTITY_CODE = 0x00

/**
 * One part of a file's DAG, in file order: a dag-pb `node` (the root, an
 * inner node) covering `size` bytes from `offset`, a raw `leaf` holding the
 * `size` bytes at `offset`, or `data` a node carries inline.
 */
export type FilePart =
  { kind: 'node', cid: CID, offset: number, size: number } |
  { kind: 'leaf', cid: CID, offset: number, size: number } |
  { kind: 'data', offset: number, bytes: Uint8Array }

/**
 * Walks a file's DAG depth first and yields its parts in file order: each
 * node before the parts under it, each raw leaf with the offset its bytes
 * start at (from the nodes' block sizes, so leaves are never fetched). Only
 * the root and inner nodes are fetched, one per 1024 leaves: a walk of a
 * 1 GiB file costs a few KiB. A root that is itself a raw block is one leaf
 * (its bytes are fetched for its size).
 */
export async function * fileParts (root: CID, blocks: BlockSource, options: { signal?: AbortSignal } = {}): AsyncGenerator<FilePart> {
  const bytes = await getBlock(root, blocks, options.signal)
  if (root.code === raw.code) {
    yield { kind: 'leaf', cid: root, offset: 0, size: bytes.byteLength }
    return
  }
  if (root.code !== dagPb.code) throw new NotAFileError(root.toString(), `codec 0x${root.code.toString(16)} is not UnixFS`)
  const node = decodeNode(root, bytes)
  const unixfs = unixfsOf(root, node)
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') throw new NotAFileError(root.toString(), `it is a UnixFS ${unixfs.type}`)
  yield * partsOf(root, node, unixfs, 0, blocks, options.signal)
}

async function * partsOf (cid: CID, node: PBNode, unixfs: UnixFS, offset: number, blocks: BlockSource, signal?: AbortSignal): AsyncGenerator<FilePart> {
  yield { kind: 'node', cid, offset, size: Number(unixfs.fileSize()) }
  let position = offset
  if (unixfs.data != null && unixfs.data.byteLength > 0) {
    yield { kind: 'data', offset: position, bytes: unixfs.data }
    position += unixfs.data.byteLength
  }
  if (node.Links.length !== unixfs.blockSizes.length) {
    throw new NotAFileError(cid.toString(), `a node has ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`)
  }
  for (let i = 0; i < node.Links.length; i++) {
    const link = node.Links[i].Hash
    const size = Number(unixfs.blockSizes[i])
    if (link.code === raw.code) {
      yield { kind: 'leaf', cid: link, offset: position, size }
    } else if (link.code === dagPb.code) {
      const child = decodeNode(link, await getBlock(link, blocks, signal))
      yield * partsOf(link, child, unixfsOf(link, child), position, blocks, signal)
    } else {
      throw new NotAFileError(cid.toString(), `it links to ${link.toString()} with unsupported codec 0x${link.code.toString(16)}`)
    }
    position += size
  }
}
