// What the weft peers of the benchmark share: a server node in a data
// directory of its own, a transient node (what `weft get` / `weft put` run),
// a lone server holding a file, and waiting until a node's DHT knows enough
// servers.
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { importContent } from '../src/content/import.js'
import { createNode, type WeftNode } from '../src/index.js'
import type { CID } from 'multiformats/cid'

/** A weft server for the benchmark: TCP on 127.0.0.1 only, no HTTP, blocks on disk in `dir`. */
export interface BenchServer {
  node: WeftNode
  dataDir: string
  /** Stops the node and removes its data directory. */
  stop: () => Promise<void>
}

export interface ServerOptions {
  /** Where the server's data directory is made (a fresh one inside it). */
  tmpDir: string
  bootstrap?: string[]
  /** storage.replication and storage.writeQuorum of the server's own puts. */
  replication?: number
  writeQuorum?: number
  /** An existing data directory to reuse (a restart) instead of a fresh one. */
  dataDir?: string
  /** Listen addresses (default: TCP on 127.0.0.1, an ephemeral port). */
  listen?: string[]
}

/** Starts a weft server node (the default role in Node.js). */
export async function startServer (options: ServerOptions): Promise<BenchServer> {
  const dataDir = options.dataDir ?? await mkdtemp(join(options.tmpDir, 'weft-server-'))
  const storage = {
    ...(options.replication != null ? { replication: options.replication } : {}),
    ...(options.writeQuorum != null ? { writeQuorum: options.writeQuorum } : {})
  }
  const node = await createNode({
    dataDir,
    listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: options.bootstrap ?? [],
    http: { enabled: false },
    storage
  })
  return {
    node,
    dataDir,
    stop: async () => {
      await node.stop()
      if (options.dataDir == null) await rm(dataDir, { recursive: true, force: true })
    }
  }
}

/** What `holdFile` stored. */
export interface HeldFile {
  cid: CID
  blocks: number
  ms: number
}

/**
 * Makes a lone server hold every block of the file at `path`: imports it into
 * its own block store and pins it, as `put` does before placing blocks, with
 * no DHT involved (so it needs no other server).
 */
export async function holdFile (node: WeftNode, path: string): Promise<HeldFile> {
  const started = performance.now()
  const blocks = node.libp2p.services.storage.blocks
  let count = 0
  const { cid } = await importContent(createReadStream(path, { highWaterMark: 1 << 20 }), {
    put: async (cid: CID, bytes: Uint8Array): Promise<CID> => {
      await blocks.put(cid, bytes, 'cache')
      count++
      return cid
    }
  }, { chunkSize: node.config.storage.chunkSize })
  await blocks.pin(cid)
  return { cid, blocks: count, ms: performance.now() - started }
}

/** A transient node (in-memory stores, no listening, a DHT client) joined through `bootstrap`. */
export async function startTransient (bootstrap: string[]): Promise<WeftNode> {
  return createNode({ bootstrap }, { transient: true })
}

/** Every address of every ready line given, for `bootstrap`. */
export function addrsOf (peers: Array<Record<string, unknown>>): string[] {
  return peers.flatMap(p => (p.addrs as string[] | undefined) ?? [])
}

/** Resolves once `node`'s DHT routing table holds at least `count` peers; throws after `timeoutMs`. */
export async function untilRoutingTable (node: WeftNode, count: number, timeoutMs = 30_000): Promise<void> {
  await node.joined({ peers: count, selfLookup: false, timeoutMs })
}
