import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { NextToLast } from 'blockstore-fs/sharding'
import { NotFoundError, PutFailedError } from 'interface-store'
import { blockKey } from './store-keys.js'
import { StorageOpenError } from '../errors.js'
import type { BlockInventory, InventoriedBytes } from './block-inventory.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** Where block bytes live: a blockstore the caller closes when the node stops. */
export type BlockBytes = Blockstore & { close: () => Promise<void> } & Partial<InventoriedBytes>

/** How a temporary block file's name ends (`.<block file>.<pid>-<n>.tmp`; steno's own are `.<block file>.tmp`). */
const TEMP_SUFFIX = '.tmp'

/** How many `stat`s an inventory has in flight. */
const STAT_CONCURRENCY = 64

/** Tells this process's temporary files apart from each other (two writes of one block never share one). */
let tempSeq = 0

/**
 * blockstore-fs, reading each block file in one `readFile`. Its own `get`
 * streams a file in 64 KiB reads that the caller then joins: for 1 MiB
 * blocks that is 16 reads and a copy per block served, ~2 ms of a seeder's
 * CPU per MiB (docs/performance.md).
 */
class WholeFileBlockstore extends FsBlockstore implements InventoriedBytes {
  readonly #sharding: NextToLast

  constructor (location: string) {
    const sharding = new NextToLast()
    super(location, { shardingStrategy: sharding })
    this.#sharding = sharding
  }

  override async * get (key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const { dir, file } = this.#sharding.encode(key)
    let bytes: Buffer
    try {
      bytes = await readFile(join(this.path, dir, file), { signal: options?.signal })
    } catch (err) {
      options?.signal?.throwIfAborted()
      throw new NotFoundError(String(err))
    }
    // a plain Uint8Array view of the buffer, not the Buffer itself
    yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /**
   * Writes the block to a temporary file beside its place, flushes it to the
   * disk (`fdatasync`), then renames it into place: the block file is whole or
   * absent, after a crash and after a power cut alike. blockstore-fs's own
   * write (steno) renames without flushing, so a power cut could leave a
   * renamed file of zeros or of half the bytes.
   */
  override async put (key: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    if (!(val instanceof Uint8Array)) return super.put(key, val, options)
    const { dir, file } = this.#sharding.encode(key)
    const target = join(this.path, dir, file)
    const temp = join(this.path, dir, `.${file}.${process.pid}-${tempSeq++}${TEMP_SUFFIX}`)
    try {
      await mkdir(join(this.path, dir), { recursive: true })
      const handle = await open(temp, 'w')
      try {
        await handle.writeFile(val)
        await handle.datasync()
      } finally {
        await handle.close()
      }
      await rename(temp, target)
    } catch (err) {
      await unlink(temp).catch(() => {})
      // with the system error as its cause: writeError reads ENOSPC from it
      throw Object.assign(new PutFailedError(String(err)), { cause: err })
    }
    return key
  }

  /**
   * Lists the block files with their sizes and deletes temporary files (a
   * write a crash cut short). One `readdir` per shard directory and one
   * `stat` per file: no block is read.
   */
  async inventory (): Promise<BlockInventory> {
    const files = new Map<string, number>()
    let temporaries = 0
    const paths: Array<{ path: string, name: string }> = []
    for (const shard of await readdir(this.path, { withFileTypes: true })) {
      if (!shard.isDirectory()) continue
      for (const entry of await readdir(join(this.path, shard.name), { withFileTypes: true })) {
        const path = join(this.path, shard.name, entry.name)
        if (entry.name.startsWith('.') && entry.name.endsWith(TEMP_SUFFIX)) {
          await unlink(path).catch(() => {})
          temporaries++
        } else if (entry.isFile() && entry.name.endsWith(this.#sharding.extension)) {
          paths.push({ path, name: entry.name })
        }
      }
    }
    for (let i = 0; i < paths.length; i += STAT_CONCURRENCY) {
      await Promise.all(paths.slice(i, i + STAT_CONCURRENCY).map(async ({ path, name }) => {
        let key: string
        try {
          key = blockKey(this.#sharding.decode(name))
        } catch {
          // not a block file's name: not ours to judge or delete
          return
        }
        const size = await stat(path).then(s => s.size, () => undefined)
        if (size != null) files.set(key, size)
      }))
    }
    return { files, temporariesRemoved: temporaries }
  }
}

/**
 * Opens the store for block bytes in Node.js: one file per block under
 * `<dataDir>/blocks` (blockstore-fs; each write goes to a temporary file that
 * is flushed and renamed into place, so a block file is never seen
 * half-written; `inventory()` lists them for the store's start-up check).
 * Accounting and pins live in the datastore (`BlockStore`), not here.
 */
export async function openBlockBytes (dataDir: string): Promise<BlockBytes> {
  const location = join(resolve(dataDir), 'blocks')
  const store = new WholeFileBlockstore(location)
  try {
    await store.open()
  } catch (err: any) {
    throw new StorageOpenError(`cannot open block store at ${location}: ${err.message}`, location, { cause: err })
  }
  return store
}
