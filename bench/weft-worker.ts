// The weft processes of items 3 and 5 besides the transfer peers (item 3's
// five servers are a testnet, src/testing/testnet.ts):
// - upload: a transient node that puts `size` fresh random bytes at those
//   servers and times it (item 3);
// - idle: a server that stores `blocks` small blocks straight into its block
//   store, then reports its RSS once idle, and again after a restart on the
//   same data (item 5).
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { peakRssBytes, report, runMain, task } from './peer-io.js'
import { addrsOf, startServer, startTransient, untilRoutingTable } from './weft-nodes.js'

export interface UploadTask {
  role: 'upload'
  servers: Array<Record<string, unknown>>
  size: number
}

/** What an upload reports. */
export interface UploadResult {
  ok: boolean
  ms: number
  bytes: number
  /** Replicas of the least-replicated block (PutResult.replicas). */
  replicas: number
  blocks: number
  maxRssBytes: number
  /** CPU time (all threads) of the uploader during the put. */
  cpuMs: number
}

export interface IdleTask {
  role: 'idle'
  tmpDir: string
  blocks: number
  blockSize: number
}

/** RSS and heap of an idle server (bytes). */
export interface IdleMemory {
  rssBytes: number
  heapUsedBytes: number
}

/** What the idle server reports. */
export interface IdleResult {
  ok: boolean
  /** A fresh server with no blocks, settled. */
  empty: IdleMemory
  /** The same server after storing the blocks, settled. */
  stored: IdleMemory
  /** A new server process state: the node stopped and created again on the same data, settled. */
  restarted: IdleMemory
  storeMs: number
  blocks: number
}

async function upload (t: UploadTask): Promise<void> {
  const node = await startTransient(addrsOf(t.servers))
  try {
    // every server known before the clock starts: the put's lookups find all of them
    await untilRoutingTable(node, t.servers.length)
    const bytes = randomBytes(t.size)
    const start = performance.now()
    const cpu = process.cpuUsage()
    const put = await node.put(bytes)
    const ms = performance.now() - start
    const used = process.cpuUsage(cpu)
    const result: UploadResult = { ok: put.size === t.size, ms, bytes: put.size, replicas: put.replicas, blocks: put.blocks, maxRssBytes: peakRssBytes(), cpuMs: (used.user + used.system) / 1000 }
    report(result)
  } finally {
    await node.stop()
  }
}

/** Full garbage collections until the heap stops shrinking, then a pause for the allocator to hand pages back. */
async function settle (): Promise<IdleMemory> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  let last = Infinity
  for (let i = 0; i < 10; i++) {
    await new Promise(resolve => setTimeout(resolve, 200))
    gc()
    const used = process.memoryUsage().heapUsed
    if (used > last * 0.99) break
    last = used
  }
  await new Promise(resolve => setTimeout(resolve, 1000))
  const { rss, heapUsed } = process.memoryUsage()
  return { rssBytes: rss, heapUsedBytes: heapUsed }
}

async function idle (t: IdleTask): Promise<void> {
  let s = await startServer({ tmpDir: t.tmpDir })
  const dataDir = s.dataDir
  try {
    const empty = await settle()
    const start = performance.now()
    const store = s.node.libp2p.services.storage.blocks
    const BATCH = 64
    for (let i = 0; i < t.blocks; i += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, t.blocks - i) }, async () => {
        const bytes = randomBytes(t.blockSize)
        const cid = CID.createV1(raw.code, await sha256.digest(bytes))
        await store.put(cid, bytes, 'replica')
      }))
    }
    const storeMs = performance.now() - start
    const blocks = s.node.status().storage.blocks
    const stored = await settle()
    await s.node.stop()
    s = await startServer({ tmpDir: t.tmpDir, dataDir })
    const restarted = await settle()
    if (s.node.status().storage.blocks !== blocks) throw new Error(`restarted with ${s.node.status().storage.blocks} blocks, not ${blocks}`)
    const result: IdleResult = { ok: blocks === t.blocks, empty, stored, restarted, storeMs, blocks }
    report(result)
  } finally {
    await s.node.stop().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  }
}

runMain(async () => {
  const t = task<UploadTask | IdleTask>()
  if (t.role === 'upload') await upload(t)
  else await idle(t)
})
