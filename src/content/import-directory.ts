import { importer, type WritableStorage } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { clean, DirectorySource } from './directory-source.js'
import { byteChunks, type FileContent } from './source.js'
import type { ImportOptions, Imported } from './import-options.js'
import type { CID } from 'multiformats/cid'

// the directory a put takes lives on its own, so that what only reads (a
// CLI get) does not load the importer to tell a directory from a file
export { DirectorySource, type DirectoryEntry } from './directory-source.js'

/** What a directory import made: the directory's CID, its files' total size, and each file's CID. */
export interface ImportedDirectory extends Imported {
  files: Array<{ path: string, cid: CID, size: number }>
}

/**
 * Chunks every file of `source` as `importContent` chunks one (CIDv1, raw
 * leaves, balanced, fixed-size chunks) and links them into directories
 * (sharded into a HAMT past the importer's threshold, as Helia does).
 */
export async function importDirectory (source: DirectorySource, blocks: WritableStorage, options: ImportOptions & { chunkSize: number, maxChildrenPerNode: number }): Promise<ImportedDirectory> {
  let size = 0
  // the importer's `size` of a file is its DAG's, root node included: count the bytes
  const sizes = new Map<string, number>()
  const counted = async function * (path: string, content: FileContent): AsyncGenerator<Uint8Array> {
    sizes.set(path, 0)
    for await (const chunk of byteChunks(content)) {
      options.signal?.throwIfAborted()
      size += chunk.byteLength
      sizes.set(path, (sizes.get(path) ?? 0) + chunk.byteLength)
      options.onBytes?.(size)
      yield chunk
    }
  }
  const files: ImportedDirectory['files'] = []
  let root: CID | undefined
  for await (const entry of importer(source.entries.map(e => ({ path: clean(e.path), content: counted(clean(e.path), e.content) })), blocks, {
    cidVersion: 1,
    rawLeaves: true,
    wrapWithDirectory: true,
    chunker: fixedSize({ chunkSize: options.chunkSize }),
    layout: balanced({ maxChildrenPerNode: options.maxChildrenPerNode }),
    ...(options.blockWriteConcurrency != null ? { blockWriteConcurrency: options.blockWriteConcurrency } : {}),
    ...(options.signal != null ? { signal: options.signal } : {})
  })) {
    // the wrapping directory comes last, with the empty path
    const path = entry.path ?? ''
    if (path === '') root = entry.cid
    else if (sizes.has(path)) files.push({ path, cid: entry.cid, size: sizes.get(path) ?? 0 })
  }
  if (root == null) throw new Error('the importer made no directory')
  return { cid: root, size, files }
}
