import type { CID } from 'multiformats/cid'

/** How `importContent` chunks and writes a file or directory. */
export interface ImportOptions {
  /** Leaf size in bytes. */
  chunkSize?: number
  /**
   * Blocks written at once. The importer hashes and writes this many in
   * parallel: it bounds memory (chunkSize × this) as much as speed.
   */
  blockWriteConcurrency?: number
  signal?: AbortSignal
  /** Called with the total bytes read from the source so far. */
  onBytes?: (bytesRead: number) => void
}

export interface Imported {
  cid: CID
  /** File size in bytes. */
  size: number
}
