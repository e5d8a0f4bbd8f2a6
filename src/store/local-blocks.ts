import type { BlockRole } from './block-role.js'
import type { ListOptions, StoreListing } from './store-listing.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

// BlockRole lives in its own module so that the listing (which names roles) and this interface need not import each other
export type { BlockRole }

/** Storage accounting, as `weft status` shows it. */
export interface StorageStats {
  /** Bytes of block data stored. */
  usedBytes: number
  /** The quota, `storage.maxBytes`. */
  maxBytes: number
  /** Blocks stored. */
  blocks: number
  /** Pinned roots. */
  pins: number
}

/**
 * What the store found wrong with its own disk since it opened (its start-up
 * check included), as `weft status` shows it. Every block counted here was
 * dropped: its record deleted, its space given back, so it is fetched or
 * repaired again instead of served.
 */
export interface IntegrityStats {
  /** Blocks whose bytes did not hash to their CID, or whose file had the wrong size. */
  corruptBlocksDropped: number
  /** Blocks whose file was gone. */
  missingBlocksDropped: number
  /** Block files no record accounted for (a put a crash cut short), deleted at start. */
  orphanFilesRemoved: number
  /** Temporary files of writes a crash cut short, deleted at start. */
  temporaryFilesRemoved: number
}

/** How a block is put. */
export interface PutBlockOptions extends AbortOptions {
  /**
   * A `replica` stored by a put that has not finished: it stays a replica
   * for the store's lease (`storage.putLeaseMs`) unless `settle` names it
   * before, and is released to cache after (docs/storage.md, "Unfinished
   * puts"). Ignored for other roles, and for a block already a settled replica.
   */
  provisional?: boolean
}

/** What `gc` frees. */
export interface GcOptions extends AbortOptions {
  /** Stop once this many bytes are freed (default: every cache block). */
  bytes?: number
  /** Also release every provisional replica, however young its lease (a put under way, or one to be run again, sends them again). */
  unfinished?: boolean
}

/** What `removeDag` did. */
export interface RemovedDag {
  /** Blocks of the DAG deleted here. */
  blocks: number
  /** Their bytes. */
  bytes: number
  /** Blocks of the DAG that stay: another pin reaches them, or an upload here holds them. */
  kept: number
}

/**
 * The local block store as the protocols, the fetcher and the node see it:
 * verified block bytes plus accounting (bytes used, quota), pins and garbage
 * collection. Callers hash-check bytes before `put`; the store trusts them
 * then, and checks them again whenever it reads them back from its disk.
 */
export interface LocalBlocks {
  has: (cid: CID, options?: AbortOptions) => Promise<boolean>
  /**
   * The block's bytes, or `undefined` when this store does not hold it. The
   * bytes read are checked against the CID first: a block whose bytes are
   * missing or damaged on disk is dropped (and counted in `integrity()`) and
   * reported absent, never returned.
   */
  get: (cid: CID, options?: AbortOptions) => Promise<Uint8Array | undefined>
  /**
   * Stores a block that the caller has verified against its CID. Storing a
   * block again keeps one copy and raises its role if the new one is stronger.
   * When the quota would be exceeded it first evicts unpinned `cache` blocks,
   * then throws `QuotaExceededError`. A block is visible to `has`/`get` only
   * once fully written.
   */
  put: (cid: CID, bytes: Uint8Array, role: BlockRole, options?: PutBlockOptions) => Promise<void>
  /** Pins a DAG whose blocks are all stored here (throws `BlockNotFoundError` naming a missing one). */
  pin: (root: CID, options?: AbortOptions) => Promise<void>
  /** Removes a pin; the blocks stay until garbage collection needs their space. */
  unpin: (root: CID, options?: AbortOptions) => Promise<void>
  isPinned: (root: CID, options?: AbortOptions) => Promise<boolean>
  /**
   * Releases the provisional replicas whose lease ran out (all of them with
   * `unfinished`), then deletes unpinned `cache` blocks (all of them, or
   * until `bytes` are freed); returns bytes freed.
   */
  gc: (options?: GcOptions) => Promise<number>
  stats: () => StorageStats
  /** What the store found wrong with its disk since it opened; absent for stores that do not check. */
  integrity?: () => IntegrityStats
  /** Why a block is kept, or `undefined` when it is not stored. */
  roleOf: (cid: CID) => BlockRole | undefined
  /**
   * The blocks this node keeps for others or for itself: every block put as a
   * `replica` (pinned or not) and every pinned block; not `cache` blocks. The
   * store knows multihashes only, so each comes as a CIDv1 with the `raw`
   * codec. Lazy over the live index: blocks added or removed meanwhile may
   * or may not be seen, and nothing is read from disk.
   */
  kept: () => Iterable<CID>
  /**
   * Stops keeping a block as a replica (others closer to it keep it now): it
   * becomes `cache`, evictable, unless it is pinned. Does nothing for a block
   * not stored or not a replica.
   */
  release: (cid: CID, options?: AbortOptions) => Promise<void>
  /**
   * Settles provisional replicas: their put finished, so they are kept as
   * any replica. Blocks not stored, not provisional or whose lease ran out
   * are left as they are. Absent in stores without leases.
   */
  settle?: (cids: CID[], options?: AbortOptions) => Promise<void>
  /**
   * `weft rm`: unpins `root`, releases the replicas of its DAG held here and
   * deletes the blocks of it no other pin reaches.
   */
  removeDag?: (root: CID, options?: AbortOptions) => Promise<RemovedDag>
  /** What the store holds, by file where it holds the root (`weft ls`). */
  list?: (options?: ListOptions) => Promise<StoreListing>
}
