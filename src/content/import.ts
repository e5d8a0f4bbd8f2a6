import { importByteStream, type WritableStorage } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { DirectorySource } from './directory-source.js'
import { importDirectory } from './import-directory.js'
import { byteChunks, type ContentSource } from './source.js'
import type { ImportOptions, Imported } from './import-options.js'

import { DEFAULT_CHUNK_SIZE, MAX_CHILDREN_PER_NODE } from './dag-shape.js'

export { DEFAULT_CHUNK_SIZE, MAX_CHILDREN_PER_NODE }
export type { ImportOptions, Imported }

/**
 * Chunks content into a UnixFS DAG (CIDv1, raw leaves, balanced, fixed-size
 * chunks) written block by block to `blocks`. Returns the root CID, which is
 * the one `@helia/unixfs` `addBytes` gives for the same bytes and chunk size.
 */
export async function importContent (source: ContentSource, blocks: WritableStorage, options: ImportOptions = {}): Promise<Imported> {
  if (source instanceof DirectorySource) {
    return importDirectory(source, blocks, { ...options, chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE, maxChildrenPerNode: MAX_CHILDREN_PER_NODE })
  }
  let size = 0
  const counted = async function * (): AsyncGenerator<Uint8Array> {
    for await (const chunk of byteChunks(source)) {
      options.signal?.throwIfAborted()
      size += chunk.byteLength
      options.onBytes?.(size)
      yield chunk
    }
  }
  const result = await importByteStream(counted(), blocks, {
    cidVersion: 1,
    rawLeaves: true,
    chunker: fixedSize({ chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
    ...(options.blockWriteConcurrency != null ? { blockWriteConcurrency: options.blockWriteConcurrency } : {}),
    ...(options.signal != null ? { signal: options.signal } : {})
  })
  return { cid: result.cid, size }
}
