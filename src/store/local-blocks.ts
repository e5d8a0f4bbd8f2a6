import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/**
 * Why a block is kept. A block has the strongest reason any holder gave it:
 * `pinned` (part of a pinned DAG: the node's own uploads) > `replica` (pushed
 * to us over the store protocol because we are among the closest servers to
 * it) > `cache` (fetched in passing; first to go when space is needed).
 */
export type BlockRole = 'pinned' | 'replica' | 'cache'

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
 * The local block store as the protocols, the fetcher and the node see it:
 * verified block bytes plus accounting (bytes used, quota), pins and garbage
 * collection. Callers hash-check bytes before `put`; the store trusts them.
 */
export interface LocalBlocks {
  has: (cid: CID, options?: AbortOptions) => Promise<boolean>
  /** The block's bytes, or `undefined` when this store does not hold it. */
  get: (cid: CID, options?: AbortOptions) => Promise<Uint8Array | undefined>
  /**
   * Stores a block that the caller has verified against its CID. Storing a
   * block again keeps one copy and raises its role if the new one is stronger.
   * When the quota would be exceeded it first evicts unpinned `cache` blocks,
   * then throws `QuotaExceededError`. A block is visible to `has`/`get` only
   * once fully written.
   */
  put: (cid: CID, bytes: Uint8Array, role: BlockRole, options?: AbortOptions) => Promise<void>
  /** Pins a DAG whose blocks are all stored here (throws `BlockNotFoundError` naming a missing one). */
  pin: (root: CID, options?: AbortOptions) => Promise<void>
  /** Removes a pin; the blocks stay until garbage collection needs their space. */
  unpin: (root: CID, options?: AbortOptions) => Promise<void>
  isPinned: (root: CID, options?: AbortOptions) => Promise<boolean>
  /** Deletes unpinned `cache` blocks (all of them, or until `bytes` are freed); returns bytes freed. */
  gc: (options?: AbortOptions & { bytes?: number }) => Promise<number>
  stats: () => StorageStats
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
}
