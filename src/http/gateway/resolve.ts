// Path resolution: from /ipfs/{cid}/{path} to the UnixFS entry it names, and the blocks on the way.

import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import { GatewayError } from './errors.js'
import type { Block } from './car.js'
import type { BlockSource } from '../../index.js'
import type { CID } from 'multiformats/cid'

const IDENTITY = 0x00

/**
 * The blocks one request has read, in order: kept so that nothing is
 * fetched twice in one request (path resolution, then the answer), and so
 * that a CAR can carry the blocks its path went through.
 */
export class ReadBlocks implements BlockSource {
  readonly order: Block[] = []
  private readonly byCid = new Map<string, Uint8Array>()
  /** The blockstore face ipfs-unixfs-exporter reads through: one chunk per block. */
  readonly store: { get: (cid: CID, options?: { signal?: AbortSignal }) => AsyncGenerator<Uint8Array> }

  constructor (private readonly blocks: BlockSource) {
    const get = async (cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array> => this.get(cid, options)
    this.store = {
      get: async function * (cid, options) { yield await get(cid, options) }
    }
  }

  async get (cid: CID, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    if (cid.multihash.code === IDENTITY) return cid.multihash.digest
    const key = cid.toString()
    const known = this.byCid.get(key)
    if (known != null) return known
    const bytes = await this.blocks.get(cid, options)
    this.byCid.set(key, bytes)
    this.order.push({ cid, bytes })
    return bytes
  }

  /**
   * A source for reading a file's content: the blocks read already from
   * here, the rest fetched without being kept (a file's leaves would fill
   * memory).
   */
  known (): BlockSource {
    const { blocks, byCid } = this
    return {
      get: async (cid, options) => byCid.get(cid.toString()) ?? blocks.get(cid, options),
      ...(blocks.getMany != null ? { getMany: async (cids, options) => blocks.getMany?.(cids, options) ?? [] } : {})
    }
  }
}

/** What a path names, and the blocks read to reach it. */
export interface Resolved {
  entry: UnixFSEntry
  /**
   * The blocks read on the way, in order, the entry's own left out: the
   * root and the directories (and directory shards) of the path. A CAR
   * carries them first, so that its reader can check the path.
   */
  path: Block[]
}

/**
 * Resolves `path` below `root` with ipfs-unixfs-exporter (which knows
 * plain and HAMT-sharded directories). A name the DAG does not have is a
 * 404 naming it; errors fetching blocks pass through.
 */
export async function resolvePath (root: CID, path: string[], blocks: ReadBlocks): Promise<Resolved> {
  const before = blocks.order.length
  let entry: UnixFSEntry
  try {
    entry = await exporter(path.length === 0 ? root : `${root.toString()}/${path.join('/')}`, blocks.store)
  } catch (err: any) {
    if (err?.name === 'NotFoundError' || err?.name === 'BadPathError') {
      throw new GatewayError(404, `/ipfs/${root}/${path.join('/')} does not exist: ${err.message}`, path.join('/'), { cause: err })
    }
    if (err?.name === 'NoResolverError' || err?.name === 'NotUnixFSError') {
      throw new GatewayError(406, `/ipfs/${root}/${path.join('/')} is not UnixFS (${err.message}): ask for it with ?format=raw or ?format=car`, root.toString(), { cause: err })
    }
    throw err
  }
  const read = blocks.order.slice(before)
  const own = read.findIndex(block => block.cid.equals(entry.cid))
  return { entry, path: own < 0 ? read : read.slice(0, own) }
}

