import { importer, type WritableStorage } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { byteChunks, type FileContent } from './source.js'
import type { ImportOptions, Imported } from './import.js'
import type { CID } from 'multiformats/cid'

/** One file of a directory put: its path inside the directory (`a.txt`, `photos/b.jpg`) and its bytes. */
export interface DirectoryEntry {
  path: string
  content: FileContent
}

/**
 * Several files put as one UnixFS directory, shared by one link. `put` of a
 * DirectorySource stores every file's blocks and the directory nodes, and
 * returns the directory's CID: the one `@helia/unixfs` `addAll` (and Kubo's
 * `ipfs add -r --cid-version 1 --raw-leaves`) give for the same tree.
 */
export class DirectorySource {
  constructor (readonly entries: DirectoryEntry[]) {
    if (entries.length === 0) throw new TypeError('a directory put needs at least one file')
    const seen = new Set<string>()
    for (const { path } of entries) {
      const inside = clean(path)
      if (inside === '' || inside.split('/').some(part => part === '' || part === '.' || part === '..')) {
        throw new TypeError(`"${path}" is not a path inside a directory`)
      }
      if (seen.has(inside)) throw new TypeError(`"${path}" is in the directory twice`)
      seen.add(inside)
    }
  }
}

/** A path without its leading slashes (`/a/b` is `a/b` inside the directory). */
function clean (path: string): string {
  return path.replace(/^\/+/, '')
}

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
