import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import * as raw from 'multiformats/codecs/raw'
import { NotAFileError } from '../errors.js'
import { windowed } from '../fetch/read-window.js'
import type { BlockSource } from '../fetch/block-source.js'
import type { CID } from 'multiformats/cid'

/** What `stat` tells about content. */
export interface ContentStat {
  cid: CID
  /** `file` for a UnixFS file, `raw` for a single raw block. */
  type: 'file' | 'raw'
  /** Size of the content in bytes. */
  size: number
  /** Blocks directly below the root (0 for a single-block file). */
  links: number
}

export interface ReadOptions {
  /** First byte to read. Default 0. */
  offset?: number
  /** Bytes to read from `offset`. Default: to the end. */
  length?: number
  /**
   * Blocks fetched ahead of the reader. Memory is bounded by this times the
   * chunk size, whatever the size of the file.
   */
  window?: number
  /**
   * Consecutive blocks asked for together (`BlockSource.getMany`). The
   * window holds `window / batch` batches (rounded down, at least one), so a
   * batch no larger than a quarter of the window keeps several sources busy
   * at once.
   */
  batch?: number
  signal?: AbortSignal
}

/** Default read-ahead, in blocks. */
export const DEFAULT_READ_WINDOW = 16

/**
 * Default batch, in blocks. Three 1 MiB blocks and their framing stay under
 * the 4 MiB a libp2p stream buffers before it resets, so a WebRTC stream
 * (which has no flow control) survives a reader that stalls mid-batch.
 */
export const DEFAULT_READ_BATCH = 3

const IDENTITY = 0x00

/** Decoded root of a content DAG. */
type Root = { kind: 'raw', bytes: Uint8Array } | { kind: 'file', node: dagPb.PBNode, unixfs: UnixFS }

/** A piece of the file in order: bytes we already have, or a raw leaf to fetch. */
type Piece = Bytes | Leaf
interface Bytes { start: number, bytes: Uint8Array }
interface Leaf { start: number, leaf: CID }

/** A block's bytes, or an identity CID's own. */
export async function getBlock (cid: CID, blocks: BlockSource, signal?: AbortSignal): Promise<Uint8Array> {
  // an identity CID carries its bytes inside itself: nothing to fetch
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  return blocks.get(cid, signal != null ? { signal } : {})
}

async function loadRoot (cid: CID, blocks: BlockSource, signal?: AbortSignal): Promise<Root> {
  const bytes = await getBlock(cid, blocks, signal)
  if (cid.code === raw.code) return { kind: 'raw', bytes }
  if (cid.code !== dagPb.code) throw new NotAFileError(cid.toString(), `codec 0x${cid.code.toString(16)} is not UnixFS`)
  const node = decodeNode(cid, bytes)
  const unixfs = unixfsOf(cid, node)
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') throw new NotAFileError(cid.toString(), `it is a UnixFS ${unixfs.type}`)
  return { kind: 'file', node, unixfs }
}

/** A dag-pb node, or NotAFileError naming the block. */
export function decodeNode (cid: CID, bytes: Uint8Array): dagPb.PBNode {
  try {
    return dagPb.decode(bytes)
  } catch (err) {
    throw new NotAFileError(cid.toString(), `its block is not valid dag-pb: ${(err as Error).message}`)
  }
}

/** A node's UnixFS data, or NotAFileError naming the block. */
export function unixfsOf (cid: CID, node: dagPb.PBNode): UnixFS {
  if (node.Data == null) throw new NotAFileError(cid.toString(), 'its node has no UnixFS data')
  try {
    return UnixFS.unmarshal(node.Data)
  } catch (err) {
    throw new NotAFileError(cid.toString(), `its UnixFS data is invalid: ${(err as Error).message}`)
  }
}

/** Size and type of the content under `cid`, from its root block alone. */
export async function statContent (cid: CID, blocks: BlockSource, options: { signal?: AbortSignal } = {}): Promise<ContentStat> {
  const root = await loadRoot(cid, blocks, options.signal)
  if (root.kind === 'raw') return { cid, type: 'raw', size: root.bytes.byteLength, links: 0 }
  return { cid, type: 'file', size: Number(root.unixfs.fileSize()), links: root.node.Links.length }
}

/**
 * Reads the bytes of a file, in order, from `offset` for `length` bytes.
 * Only the blocks that hold the range are fetched, `batch` consecutive ones
 * at a time; up to `window` of them at once, and no further ahead of the
 * consumer than that (plus the batch being started), so a slow consumer holds
 * back the fetching instead of piling up bytes in memory.
 */
export async function * readContent (cid: CID, blocks: BlockSource, options: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  const stop = new AbortController()
  const signal = options.signal != null ? AbortSignal.any([options.signal, stop.signal]) : stop.signal
  try {
    const root = await loadRoot(cid, blocks, signal)
    const size = root.kind === 'raw' ? root.bytes.byteLength : Number(root.unixfs.fileSize())
    const { start, end } = rangeOf(size, options.offset, options.length)
    if (start === end) return
    if (root.kind === 'raw') {
      yield root.bytes.subarray(start, end)
      return
    }
    const batch = Math.max(1, options.batch ?? DEFAULT_READ_BATCH)
    const window = Math.max(1, Math.floor((options.window ?? DEFAULT_READ_WINDOW) / batch))
    const tasks = async function * (): AsyncGenerator<() => Promise<Bytes[]>> {
      let leaves: Leaf[] = []
      const flush = (): () => Promise<Bytes[]> => {
        const taken = leaves
        leaves = []
        return async () => fetchLeaves(taken, blocks, signal)
      }
      for await (const piece of piecesOf(cid, root.node, root.unixfs, 0, start, end, blocks, signal)) {
        if ('bytes' in piece) {
          if (leaves.length > 0) yield flush()
          yield async () => [piece]
        } else {
          leaves.push(piece)
          if (leaves.length >= batch) yield flush()
        }
      }
      if (leaves.length > 0) yield flush()
    }
    for await (const pieces of windowed(tasks(), window)) {
      for (const piece of pieces) {
        const from = Math.max(start - piece.start, 0)
        const to = Math.min(end - piece.start, piece.bytes.byteLength)
        if (to > from) yield piece.bytes.subarray(from, to)
      }
    }
  } finally {
    // the consumer stopped early or something failed: fetches still in flight are not wanted
    stop.abort()
  }
}

/** The bytes of consecutive leaves: one `getMany` for those that are not inline (identity). */
async function fetchLeaves (leaves: Leaf[], blocks: BlockSource, signal: AbortSignal): Promise<Bytes[]> {
  const wanted = leaves.filter(l => l.leaf.multihash.code !== IDENTITY).map(l => l.leaf)
  const fetched = wanted.length > 1 && blocks.getMany != null
    ? await blocks.getMany(wanted, { signal })
    : await Promise.all(wanted.map(async leaf => blocks.get(leaf, { signal })))
  if (fetched.length !== wanted.length) throw new Error(`the block source returned ${fetched.length} blocks for ${wanted.length}`)
  let next = 0
  return leaves.map(l => ({ start: l.start, bytes: l.leaf.multihash.code === IDENTITY ? l.leaf.multihash.digest : fetched[next++] }))
}

function rangeOf (size: number, offset = 0, length?: number): { start: number, end: number } {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a whole number >= 0, got ${offset}`)
  if (length != null && (!Number.isSafeInteger(length) || length < 0)) throw new RangeError(`length must be a whole number >= 0, got ${length}`)
  if (offset > size) throw new RangeError(`offset ${offset} is past the end of the content (${size} bytes)`)
  const end = length == null ? size : Math.min(size, offset + length)
  return { start: offset, end }
}

/**
 * Walks a UnixFS file node depth first, yielding the pieces that overlap
 * [from, to). Inner nodes are fetched here, one at a time (there is one per
 * 1024 leaves); raw leaves are left to the parallel fetch.
 */
async function * piecesOf (cid: CID, node: dagPb.PBNode, unixfs: UnixFS, nodeStart: number, from: number, to: number, blocks: BlockSource, signal: AbortSignal): AsyncGenerator<Piece> {
  let position = nodeStart
  if (unixfs.data != null && unixfs.data.byteLength > 0) {
    if (position + unixfs.data.byteLength > from && position < to) yield { start: position, bytes: unixfs.data }
    position += unixfs.data.byteLength
  }
  if (node.Links.length !== unixfs.blockSizes.length) {
    throw new NotAFileError(cid.toString(), `a node has ${node.Links.length} links but ${unixfs.blockSizes.length} block sizes`)
  }
  for (let i = 0; i < node.Links.length && position < to; i++) {
    const childStart = position
    const childEnd = childStart + Number(unixfs.blockSizes[i])
    position = childEnd
    if (childEnd <= from) continue
    const link = node.Links[i].Hash
    if (link.code === raw.code) {
      yield { start: childStart, leaf: link }
    } else if (link.code === dagPb.code) {
      const child = decodeNode(link, await getBlock(link, blocks, signal))
      yield * piecesOf(link, child, unixfsOf(link, child), childStart, from, to, blocks, signal)
    } else {
      throw new NotAFileError(cid.toString(), `it links to ${link.toString()} with unsupported codec 0x${link.code.toString(16)}`)
    }
  }
}
