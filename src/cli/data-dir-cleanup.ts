import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * What a data directory held before a server start, so a start that fails
 * (a taken port, a bad setting libp2p refused) leaves it as it was instead
 * of half made: `undo` removes what the start created, and the directory
 * itself if the start created it.
 */
export async function dataDirBefore (dataDir: string): Promise<{ undo: () => Promise<void> }> {
  const before = await readdir(dataDir).then(names => new Set(names), () => undefined)
  return {
    undo: async () => {
      if (before == null) {
        await rm(dataDir, { recursive: true, force: true })
        return
      }
      // a directory that already held a node is left alone, whatever this start added
      if (before.has('datastore')) return
      const now = await readdir(dataDir).catch(() => [])
      await Promise.all(now.filter(name => !before.has(name)).map(async name => rm(join(dataDir, name), { recursive: true, force: true })))
    }
  }
}
