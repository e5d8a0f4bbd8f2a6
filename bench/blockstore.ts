// Where should block bytes live in Node.js? Writes then reads 256 blocks of
// 1 MiB and 2,000 blocks of 4 KiB with (a) blockstore-fs and (b) LevelDB
// (datastore-level, one key per block), plus (c) weft's BlockStore over
// blockstore-fs with its LevelDB records (what a node really does per put),
// and times opening a BlockStore over 10,000 block records. One warm-up run,
// then three counted runs; medians. Run: `npx tsc -p . && node dist/bench/blockstore.js [--runs N]`.
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { FsBlockstore } from 'blockstore-fs'
import { Key } from 'interface-datastore'
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { mibPerSecond, summarize } from './stats.js'
import { BlockStore } from '../src/store/block-store.js'
import { openLevel } from '../src/store/open-level.js'
import type { LevelDatastore } from 'datastore-level'

interface Block { cid: CID, bytes: Uint8Array }

/** The two operations measured, over any backend. */
interface Backend {
  put: (block: Block) => Promise<void>
  get: (cid: CID) => Promise<number>
  close: () => Promise<void>
}

const WORKLOADS = [
  { name: '256 × 1 MiB', count: 256, size: 1_048_576 },
  { name: '2,000 × 4 KiB', count: 2000, size: 4096 }
]
const RECORDS = 10_000

/** A LevelDB blockstore in a few lines: one key per block, the multihash in base32. */
class LevelBlocks {
  constructor (private readonly datastore: LevelDatastore) {}
  async put (cid: CID, bytes: Uint8Array): Promise<void> { await this.datastore.put(levelKey(cid), bytes) }
  async get (cid: CID): Promise<Uint8Array> { return await this.datastore.get(levelKey(cid)) }
}

function levelKey (cid: CID): Key {
  return new Key(`/${base32.encode(cid.multihash.bytes)}`)
}

async function byteLength (chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  let n = 0
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) { parts.push(chunk); n += chunk.byteLength }
  // Join as a reader would, so fs's 64 KiB read chunks pay for their copy.
  if (parts.length > 1) Buffer.concat(parts, n)
  return n
}

const BACKENDS: Record<string, (dir: string) => Promise<Backend>> = {
  'blockstore-fs': async (dir) => {
    const store = new FsBlockstore(join(dir, 'blocks'))
    await store.open()
    return {
      put: async ({ cid, bytes }) => { await store.put(cid, bytes) },
      get: async (cid) => await byteLength(store.get(cid)),
      close: async () => { await store.close() }
    }
  },
  'LevelDB (datastore-level)': async (dir) => {
    const datastore = await openLevel(join(dir, 'level'))
    const store = new LevelBlocks(datastore)
    return {
      put: async ({ cid, bytes }) => { await store.put(cid, bytes) },
      get: async (cid) => (await store.get(cid)).byteLength,
      close: async () => { await datastore.close() }
    }
  },
  'BlockStore (fs + LevelDB records)': async (dir) => {
    const bytes = new FsBlockstore(join(dir, 'blocks'))
    await bytes.open()
    const datastore = await openLevel(join(dir, 'datastore'))
    const store = await BlockStore.open({ bytes, datastore, maxBytes: Number.MAX_SAFE_INTEGER })
    return {
      put: async ({ cid, bytes }) => { await store.put(cid, bytes, 'cache') },
      get: async (cid) => (await store.get(cid))?.byteLength ?? 0,
      close: async () => { await store.close(); await datastore.close() }
    }
  }
}

async function makeBlocks (count: number, size: number): Promise<Block[]> {
  return await Promise.all(Array.from({ length: count }, async () => {
    const bytes = new Uint8Array(randomBytes(size))
    return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
  }))
}

/** Runs `fn` over every block with at most `concurrency` in flight; returns ms. */
async function timed (blocks: Block[], concurrency: number, fn: (block: Block) => Promise<void>): Promise<number> {
  const start = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < blocks.length) await fn(blocks[next++])
  }))
  return performance.now() - start
}

async function measureBackend (root: string, name: string, blocks: Block[], concurrency: number): Promise<{ put: number, get: number }> {
  const dir = await mkdtemp(join(root, 'store-'))
  const backend = await BACKENDS[name](dir)
  const total = blocks.reduce((sum, block) => sum + block.bytes.byteLength, 0)
  const putMs = await timed(blocks, concurrency, async (block) => { await backend.put(block) })
  const getMs = await timed(blocks, concurrency, async ({ cid, bytes }) => {
    if (await backend.get(cid) !== bytes.byteLength) throw new Error(`${name} returned the wrong length for ${cid}`)
  })
  await backend.close()
  await rm(dir, { recursive: true, force: true })
  return { put: mibPerSecond(total, putMs), get: mibPerSecond(total, getMs) }
}

/** Opening a BlockStore over RECORDS block records in LevelDB: the LevelDB open, and the record scan. */
async function measureOpen (root: string): Promise<{ level: number, scan: number }> {
  const dir = join(root, 'records')
  await mkdir(dir, { recursive: true })
  let datastore = await openLevel(dir)
  const bytes = new MemoryBlockstore()
  const store = await BlockStore.open({ bytes, datastore, maxBytes: Number.MAX_SAFE_INTEGER })
  for (const block of await makeBlocks(RECORDS, 64)) await store.put(block.cid, block.bytes, 'cache')
  await store.close()
  await datastore.close()

  let start = performance.now()
  datastore = await openLevel(dir)
  const level = performance.now() - start
  start = performance.now()
  const reopened = await BlockStore.open({ bytes, datastore, maxBytes: Number.MAX_SAFE_INTEGER })
  const scan = performance.now() - start
  if (reopened.stats().blocks !== RECORDS) throw new Error(`reopened with ${reopened.stats().blocks} records, expected ${RECORDS}`)
  await reopened.close()
  await datastore.close()
  await rm(dir, { recursive: true, force: true })
  return { level, scan }
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '1,16' } } })
  const runs = Number(values.runs)
  const concurrencies = values.concurrency.split(',').map(Number)
  const root = await mkdtemp(join(tmpdir(), 'weft-bench-blockstore-'))
  const results = new Map<string, { put: number[], get: number[] }>()
  const opens: { level: number[], scan: number[] } = { level: [], scan: [] }
  try {
    // Run 0 is a warm-up (disk cache, JIT), not counted.
    for (let run = 0; run <= runs; run++) {
      for (const workload of WORKLOADS) {
        const blocks = await makeBlocks(workload.count, workload.size)
        for (const concurrency of concurrencies) {
          for (const name of Object.keys(BACKENDS)) {
            const { put, get } = await measureBackend(root, name, blocks, concurrency)
            if (run === 0) continue
            const row = `${workload.name} | ${concurrency} | ${name}`
            const entry = results.get(row) ?? { put: [], get: [] }
            entry.put.push(put)
            entry.get.push(get)
            results.set(row, entry)
            process.stderr.write(`run ${run}: ${row}: put ${put.toFixed(0)} MiB/s, get ${get.toFixed(0)} MiB/s\n`)
          }
        }
      }
      const open = await measureOpen(root)
      if (run === 0) continue
      opens.level.push(open.level)
      opens.scan.push(open.scan)
      process.stderr.write(`run ${run}: open ${RECORDS} records: LevelDB ${open.level.toFixed(1)} ms, BlockStore.start ${open.scan.toFixed(1)} ms\n`)
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }

  const fmt = (values: number[]): string => {
    const s = summarize(values)
    return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`
  }
  console.log(`Node ${process.version}, ${runs} run(s) after a warm-up, medians (min–max), MiB/s; temp dir on ${tmpdir()}\n`)
  console.log('| workload | in flight | store | put MiB/s | get MiB/s |')
  console.log('|---|---|---|---|---|')
  for (const [row, { put, get }] of results) console.log(`| ${row} | ${fmt(put)} | ${fmt(get)} |`)
  const ms = (values: number[]): string => {
    const s = summarize(values)
    return `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}–${s.max.toFixed(1)})`
  }
  console.log(`\nOpening ${RECORDS.toLocaleString('en')} block records: LevelDB open ${ms(opens.level)}, BlockStore.start() ${ms(opens.scan)}`)
}

await main()
