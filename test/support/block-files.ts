import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { NextToLast } from 'blockstore-fs/sharding'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'uint8arrays/equals'
import type { CID } from 'multiformats/cid'

/** What a server's `<dataDir>/blocks` holds, read behind its back. */
export interface BlockFiles {
  /** Block files (`*.data`), by path. */
  files: string[]
  /** Their sizes summed. */
  bytes: number
  /** Temporary files (`.*.tmp`): writes cut short. */
  temporaries: string[]
  /** Block files whose bytes do not hash to the multihash in their name. */
  mismatched: string[]
}

const sharding = new NextToLast()

/** Lists and rehashes every block file of a data directory. */
export async function blockFiles (dataDir: string): Promise<BlockFiles> {
  const root = join(dataDir, 'blocks')
  const result: BlockFiles = { files: [], bytes: 0, temporaries: [], mismatched: [] }
  for (const shard of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, shard))) {
      const path = join(root, shard, name)
      if (name.endsWith('.tmp')) {
        result.temporaries.push(path)
        continue
      }
      result.files.push(path)
      result.bytes += (await stat(path)).size
      const cid = sharding.decode(name)
      if (!equals((await sha256.digest(await readFile(path))).digest, cid.multihash.digest)) result.mismatched.push(path)
    }
  }
  return result
}

/** Where a data directory keeps a block's file. */
export function blockFile (dataDir: string, cid: CID): string {
  const { dir, file } = sharding.encode(cid)
  return join(dataDir, 'blocks', dir, file)
}
