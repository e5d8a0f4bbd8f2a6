/** What the storage service's operations take and report. */

import type { ContentStat } from '../content/read.js'
import type { FetchProgressEvents } from '../fetch/fetch-session.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { CustomProgressEvent, ProgressOptions } from 'progress-events'

/** What `put` reports. */
export interface PutResult {
  cid: CID
  /** File size in bytes. */
  size: number
  /** Replicas of the least-replicated block: every block has at least this many (servers that confirmed keeping it). */
  replicas: number
  /**
   * Pushes to further members of replica sets that servers were still making
   * when they answered: the replicas that will follow `replicas` (summed over
   * blocks). Servers finish them, and repair any that fail.
   */
  pending: number
  /** Blocks in the file's DAG. */
  blocks: number
  /** Block bytes this node sent: about the file's size when servers forward, `replication` times it when they do not. */
  bytesSent: number
  /** Whether this node kept a pinned copy (not when its own quota is too small). */
  pinned: boolean
}

export type PutProgressEvents =
  CustomProgressEvent<{ bytes: number }, 'weft:put:read'> |
  CustomProgressEvent<{ cid: CID, replicas: number, pending: number, bytes: number }, 'weft:put:placed'>

export type GetProgressEvents = FetchProgressEvents

export interface PutOptions extends AbortOptions, ProgressOptions<PutProgressEvents> {
  /**
   * `false` keeps the file only here, pinned, and announces this node as its
   * provider: others fetch it from this node while it is online (a browser
   * sharing straight to other pages). Default true: store at the replica set.
   */
  replicate?: boolean
}

export interface GetOptions extends AbortOptions, ProgressOptions<GetProgressEvents> {
  /** First byte to read. */
  offset?: number
  /** Bytes to read. */
  length?: number
}

/** What `stat` tells about content. */
export interface StatResult extends ContentStat {
  /** Whether the root block is stored here. */
  local: boolean
  pinned: boolean
}

/**
 * A file opened by `open`: its `stat` and `read`s share one fetch session,
 * so its root block is fetched from the network once for all of them.
 */
export interface Content {
  readonly cid: CID
  /** Size and type, from the root block. */
  stat: (options?: AbortOptions) => Promise<StatResult>
  /** The bytes, in order, as they arrive; `offset`/`length` read a range. */
  read: (options?: GetOptions) => AsyncGenerator<Uint8Array>
}
