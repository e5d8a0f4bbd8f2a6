import type { CID } from 'multiformats/cid'

/**
 * Where a reader gets blocks: verified bytes, or a throw
 * (`BlockNotFoundError`...). A `FetchSession` is one; the content reader
 * (`content/read.ts`) takes any.
 */
export interface BlockSource {
  get: (cid: CID, options?: { signal?: AbortSignal }) => Promise<Uint8Array>
  /**
   * Several blocks at once, in the order asked (a network source asks one
   * peer for all of them on one stream). Optional: without it the reader
   * calls `get` for each.
   */
  getMany?: (cids: CID[], options?: { signal?: AbortSignal }) => Promise<Uint8Array[]>
}
