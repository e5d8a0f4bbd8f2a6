import type { FileContent } from './file-content.js'

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
export function clean (path: string): string {
  return path.replace(/^\/+/, '')
}
