import { Key } from 'interface-datastore'
import { readBlock, type ReadResult } from './block-read.js'
import { decodeRecord, encodeRecord, roleOf, type BlockRecord } from './block-record.js'
import { walkDag } from './dag-walk.js'
import { DAG_PB_CODE } from './dag-links.js'
import { EvictionQueue } from './eviction-queue.js'
import { MAX_BLOCK_BYTES } from './limits.js'
import { PutLeases, withLease } from './put-leases.js'
import { blockKey, BLOCKS_PREFIX, cidOf, OPEN_KEY, pendingKey, pinKey, PINS_PREFIX, recordKey } from './store-keys.js'
import { finishPending } from './store-recovery.js'
import { writeError } from './write-error.js'
import { BlockNotFoundError, BlockTooLargeError, QuotaExceededError } from '../errors.js'
import type { InventoriedBytes } from './block-inventory.js'
import { listStore, type ListedRecord, type ListOptions, type StoreListing } from './store-listing.js'
import type { BlockRole, GcOptions, IntegrityStats, LocalBlocks, PutBlockOptions, RemovedDag, StorageStats } from './local-blocks.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

/** What `BlockStore` is built from. */
export interface BlockStoreInit {
  /**
   * Where block bytes live (`openBlockBytes(dataDir)`), already open. One
   * that has `inventory()` (block files) is checked against the records at
   * start (see `checkFiles`).
   */
  bytes: Blockstore & Partial<InventoriedBytes>
  /** The node's datastore: block records and pins live under `/weft/`. */
  datastore: Datastore
  /** The quota: bytes of block data this store may hold. */
  maxBytes: number
  /**
   * When `start()` checks the records against the block files (over bytes
   * that have `inventory()`): `after-crash` (default) only when the last run
   * did not `close()`, `always` at every start (`weft fsck`). One `stat` per
   * block file: 0.4-1.4 s for 10,000 blocks measured (docs/storage.md).
   */
  checkFiles?: 'after-crash' | 'always'
  /**
   * How long a block a put stored as a provisional replica stays one
   * before it is released to cache, unless the put's end settles it
   * (`settle`); 0: pushes are never provisional. Default
   * `DEFAULT_PUT_LEASE_MS` (docs/storage.md, "Unfinished puts").
   */
  putLeaseMs?: number
  /** The clock leases are measured by (tests pass a fake one). */
  now?: () => number
}

/** A day: long enough for any put to finish, or for one cut short to be run again and send only what is missing. */
export const DEFAULT_PUT_LEASE_MS = 24 * 60 * 60 * 1000

/** The value of a pin key and a pending marker: the key is the information. */
const EMPTY = new Uint8Array(0)

/** What `verify()` found: every stored block read and hashed. */
export interface VerifyReport {
  /** Blocks read and hashed. */
  blocks: number
  /** Bytes of the blocks found whole. */
  bytes: number
  /** CIDs (raw CIDv1 of the multihash) of blocks whose bytes did not hash to them, or had the wrong size: dropped. */
  corrupt: string[]
  /** CIDs of blocks whose file was gone: dropped. */
  missing: string[]
  /** CIDs of blocks whose file is there but could not be read (EIO from a failing disk): kept, nothing concluded. */
  unreadable: string[]
}

/**
 * The local block store: block bytes in a `Blockstore`, accounting and pins in
 * the node's datastore. A block exists for `has`/`get` once its record is
 * written, and its record is written only after its bytes, so nothing
 * half-written is ever served; bytes read back are hashed before they are
 * returned, so nothing damaged on disk is either. Records are held in memory
 * too (loaded by `start()`), which is what makes `stats()` synchronous and
 * `has()` free. docs/storage.md, "Crash safety", gives the argument.
 *
 * `close()` waits for work under way; it does not close the blockstore or
 * the datastore it was given.
 */
export class BlockStore implements LocalBlocks {
  readonly #bytes: Blockstore & Partial<InventoriedBytes>
  readonly #datastore: Datastore
  readonly #maxBytes: number
  readonly #checkFiles: 'after-crash' | 'always'
  readonly #leases: PutLeases
  readonly #records = new Map<string, BlockRecord>()
  readonly #pins = new Set<string>()
  /** Stored `cache` blocks, oldest first: what eviction and gc take. */
  readonly #evictable = new EvictionQueue<BlockRecord>(record => this.#records.get(record.key) === record && roleOf(record) === 'cache')
  readonly #writing = new Map<string, Promise<void>>()
  #usedBytes = 0
  #reservedBytes = 0
  #seq = 0
  readonly #integrity: IntegrityStats = { corruptBlocksDropped: 0, missingBlocksDropped: 0, orphanFilesRemoved: 0, temporaryFilesRemoved: 0 }
  /** Serialises changes to records, pins and reservations; block bytes are written outside it. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor (init: BlockStoreInit) {
    this.#bytes = init.bytes
    this.#datastore = init.datastore
    this.#maxBytes = init.maxBytes
    this.#checkFiles = init.checkFiles ?? 'after-crash'
    this.#leases = new PutLeases(init.putLeaseMs ?? DEFAULT_PUT_LEASE_MS, init.now ?? Date.now)
  }

  /** Creates a store and loads its accounting. */
  static async open (init: BlockStoreInit): Promise<BlockStore> {
    const store = new BlockStore(init)
    await store.start()
    return store
  }

  /**
   * Finishes deletions and writes a crash interrupted, loads block records
   * and pins, then (over block files, after a run that did not close, or
   * always with `checkFiles: 'always'`) checks the records against the files:
   * sizes and presence, no block read.
   */
  async start (): Promise<void> {
    this.#records.clear()
    this.#pins.clear()
    this.#evictable.clear()
    this.#usedBytes = 0
    await this.#exclusive(async () => {
      await finishPending(this.#datastore, this.#bytes)
      await this.#loadRecords()
      this.#leases.reset()
      // leases turned off since: what was provisional is kept, as every push is now
      if (!this.#leases.on) await this.#settleRecords([...this.#records.values()])
      const crashed = await this.#datastore.has(OPEN_KEY)
      if (crashed || this.#checkFiles === 'always') await this.#reconcile()
      await this.#datastore.put(OPEN_KEY, EMPTY)
      for await (const key of this.#datastore.queryKeys({ prefix: PINS_PREFIX })) {
        this.#pins.add(key.toString().slice(PINS_PREFIX.length))
      }
    })
  }

  /** Waits for puts and changes under way, then marks the store closed cleanly (the next start skips the file check). */
  async close (): Promise<void> {
    await Promise.allSettled([...this.#writing.values()])
    await this.#exclusive(async () => {
      try {
        await this.#datastore.delete(OPEN_KEY)
      } catch {
        // the next start checks the files, as after a crash: nothing is lost
      }
    })
  }

  async has (cid: CID, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted()
    return this.#records.has(blockKey(cid))
  }

  async get (cid: CID, options?: AbortOptions): Promise<Uint8Array | undefined> {
    const record = this.#records.get(blockKey(cid))
    if (record == null) return undefined
    const read = await this.#read(cid, record, options)
    if (read.bad == null) return read.bytes
    await this.#drop(record, read.bad)
    return undefined
  }

  /**
   * Reads and hashes every stored block (`weft fsck`), dropping those whose
   * bytes are missing or do not hash to their CID, as `get` would. Blocks
   * stored meanwhile are not read; blocks removed meanwhile are skipped.
   */
  async verify (options?: AbortOptions & { onBlock?: (done: number, total: number) => void }): Promise<VerifyReport> {
    const report: VerifyReport = { blocks: 0, bytes: 0, corrupt: [], missing: [], unreadable: [] }
    const records = [...this.#records.values()]
    for (const [i, record] of records.entries()) {
      options?.signal?.throwIfAborted()
      if (this.#records.get(record.key) !== record) continue
      const cid = cidOf(record.key)
      let read: ReadResult
      try {
        read = await this.#read(cid, record, options)
      } catch (err) {
        options?.signal?.throwIfAborted()
        report.blocks++
        report.unreadable.push(cid.toString())
        continue
      }
      report.blocks++
      report.bytes += read.bytes?.byteLength ?? 0
      if (read.bad != null) {
        await this.#drop(record, read.bad)
        report[read.bad].push(cid.toString())
      }
      options?.onBlock?.(i + 1, records.length)
    }
    return report
  }

  async put (cid: CID, bytes: Uint8Array, role: BlockRole, options?: PutBlockOptions): Promise<void> {
    const provisional = role === 'replica' && options?.provisional === true && this.#leases.on
    if (bytes.byteLength > MAX_BLOCK_BYTES) throw new BlockTooLargeError(cid.toString(), bytes.byteLength, MAX_BLOCK_BYTES)
    const key = blockKey(cid)
    for (;;) {
      options?.signal?.throwIfAborted()
      const writing = this.#writing.get(key)
      if (writing != null) {
        await writing.catch(() => {})
        continue
      }
      const record = this.#records.get(key)
      if (record == null) break
      if (await this.#raise(record, role, provisional)) return
    }
    const write = this.#write(cid, key, bytes, role, provisional)
    this.#writing.set(key, write)
    try {
      await write
    } finally {
      this.#writing.delete(key)
    }
  }

  async pin (root: CID, options?: AbortOptions): Promise<void> {
    const pin = pinKey(root)
    if (this.#pins.has(pin)) return
    const found = await this.#walk(root, true, options)
    await this.#exclusive(async () => {
      if (this.#pins.has(pin)) return
      const records: BlockRecord[] = []
      for (const [key, { cid }] of found) {
        const record = this.#records.get(key)
        if (record == null) throw notHere(cid, root)
        records.push(record)
      }
      options?.signal?.throwIfAborted()
      const batch = this.#datastore.batch()
      for (const record of records) batch.put(recordKey(record.key), encodeRecord({ ...record, pins: record.pins + 1 }))
      batch.put(new Key(PINS_PREFIX + pin), EMPTY)
      await batch.commit()
      for (const record of records) {
        record.pins++
        record.held = false
      }
      this.#pins.add(pin)
    })
  }

  async unpin (root: CID, options?: AbortOptions): Promise<void> {
    const pin = pinKey(root)
    await this.#exclusive(async () => {
      if (!this.#pins.has(pin)) return
      const records = [...(await this.#walk(root, false, options)).values()]
        .map(({ record }) => record)
        .filter(record => record.pins > 0)
      const batch = this.#datastore.batch()
      for (const record of records) batch.put(recordKey(record.key), encodeRecord({ ...record, pins: record.pins - 1 }))
      batch.delete(new Key(PINS_PREFIX + pin))
      await batch.commit()
      for (const record of records) {
        record.pins--
        this.#evictable.offer(record)
      }
      this.#pins.delete(pin)
    })
  }

  async isPinned (root: CID, options?: AbortOptions): Promise<boolean> {
    options?.signal?.throwIfAborted()
    return this.#pins.has(pinKey(root))
  }

  async gc (options?: GcOptions): Promise<number> {
    const goal = options?.bytes ?? Infinity
    return await this.#exclusive(async () => {
      options?.signal?.throwIfAborted()
      await this.#expire(options?.unfinished === true ? 0 : this.#leases.ms)
      const victims: BlockRecord[] = []
      let freed = 0
      while (freed < goal) {
        const record = this.#evictable.take()
        if (record == null) break
        victims.push(record)
        freed += record.size
      }
      await this.#remove(victims)
      return freed
    })
  }

  stats (): StorageStats {
    return { usedBytes: this.#usedBytes, maxBytes: this.#maxBytes, blocks: this.#records.size, pins: this.#pins.size }
  }

  integrity (): IntegrityStats {
    return { ...this.#integrity }
  }

  /** Why a block is kept, or `undefined` when it is not stored. */
  roleOf (cid: CID): BlockRole | undefined {
    const record = this.#records.get(blockKey(cid))
    return record == null ? undefined : this.#roleNow(record)
  }

  #roleNow (record: BlockRecord): BlockRole {
    const role = roleOf(record)
    // a lease that ran out is released at the next gc or quota pressure; until then it is cache already
    return role === 'replica' && this.#leases.ended(record) ? 'cache' : role
  }

  * kept (): Iterable<CID> {
    // a Map iterator visits entries added while it runs and skips deleted ones
    for (const record of this.#records.values()) {
      // provisional replicas are no one's yet: not repaired, not audited, until their put settles them
      if ((record.replica && record.provisionalSince == null) || record.pins > 0) yield cidOf(record.key)
    }
  }

  async release (cid: CID, options?: AbortOptions): Promise<void> {
    const key = blockKey(cid)
    await this.#exclusive(async () => {
      options?.signal?.throwIfAborted()
      const record = this.#records.get(key)
      if (record == null || !record.replica) return
      await this.#releaseToCache([record])
    })
  }

  async settle (cids: CID[], options?: AbortOptions): Promise<void> {
    await this.#exclusive(async () => {
      options?.signal?.throwIfAborted()
      const records = cids.map(cid => this.#records.get(blockKey(cid)))
        .filter((record): record is BlockRecord => record != null && !this.#leases.ended(record))
      await this.#settleRecords(records)
    })
  }

  /** Settles the provisional replicas among `records`, in one batch. Call inside `#exclusive`. */
  async #settleRecords (records: BlockRecord[]): Promise<void> {
    const provisional = [...new Set(records)].filter(record => record.provisionalSince != null && record.replica)
    if (provisional.length === 0) return
    const batch = this.#datastore.batch()
    for (const record of provisional) batch.put(recordKey(record.key), encodeRecord(withLease({ ...record }, undefined)))
    await batch.commit()
    for (const record of provisional) withLease(record, undefined)
  }

  async removeDag (root: CID, options?: AbortOptions): Promise<RemovedDag> {
    await this.unpin(root, options)
    const found = [...(await this.#walk(root, false, options)).values()].map(({ record }) => record)
    return await this.#exclusive(async () => {
      options?.signal?.throwIfAborted()
      const live = found.filter(record => this.#records.get(record.key) === record)
      const released = live.filter(record => record.replica)
      await this.#releaseToCache(released)
      // blocks another pin reaches stay, as do blocks an upload of this node holds for its pin
      const victims = live.filter(record => roleOf(record) === 'cache')
      await this.#remove(victims)
      const kept = live.length - victims.length
      return { blocks: victims.length, bytes: victims.reduce((sum, record) => sum + record.size, 0), kept }
    })
  }

  /** Every stored block's record as the listing reads it (`store-listing.ts`), with its role now. */
  * records (): Iterable<ListedRecord> {
    for (const record of this.#records.values()) {
      const role = this.#roleNow(record)
      yield { key: record.key, size: record.size, role, provisional: role === 'replica' && record.provisionalSince != null, links: record.links }
    }
  }

  async list (options?: ListOptions): Promise<StoreListing> {
    return await listStore({
      records: () => this.records(),
      read: async (key, size) => {
        const record = this.#records.get(key)
        if (record == null || record.size !== size) return undefined
        const read = await this.#read(cidOf(key), record).catch(() => undefined)
        return read?.bytes
      }
    }, options)
  }

  /**
   * Releases to cache every provisional replica whose lease (`leaseMs`)
   * ran out: its put never finished. Call inside `#exclusive`.
   */
  async #expire (leaseMs: number): Promise<void> {
    await this.#releaseToCache(this.#leases.expired(this.#records.values(), leaseMs))
  }

  /** Makes `records` cache: no longer replicas, provisional or not, in one batch. Call inside `#exclusive`. */
  async #releaseToCache (records: BlockRecord[]): Promise<void> {
    if (records.length === 0) return
    const batch = this.#datastore.batch()
    for (const record of records) batch.put(recordKey(record.key), encodeRecord(withLease({ ...record, replica: false }, undefined)))
    await batch.commit()
    for (const record of records) {
      record.replica = false
      withLease(record, undefined)
      this.#evictable.offer(record)
    }
  }

  /**
   * Raises the role of a stored block; false when the record went away
   * meanwhile (the caller writes it anew). A replica push settles a
   * provisional replica unless it is provisional too (it then renews a
   * lease that ran out); nothing makes a settled replica provisional.
   */
  async #raise (record: BlockRecord, role: BlockRole, provisional: boolean): Promise<boolean> {
    // Flags, not the derived role: a pinned block put as a replica stays a replica once unpinned.
    const since = (): number | undefined => this.#leases.sinceAfterPush(record, provisional)
    const replicaChanges = role === 'replica' && (!record.replica || since() !== record.provisionalSince)
    const raises = replicaChanges || (role === 'pinned' && record.pins === 0 && !record.held)
    if (!raises) return this.#records.get(record.key) === record
    return await this.#exclusive(async () => {
      if (this.#records.get(record.key) !== record) return false
      const provisionalSince = since()
      if (role === 'replica' && (!record.replica || provisionalSince !== record.provisionalSince)) {
        await this.#datastore.put(recordKey(record.key), encodeRecord(withLease({ ...record, replica: true }, provisionalSince)))
        record.replica = true
        withLease(record, provisionalSince)
        this.#leases.started(provisionalSince)
      } else if (role === 'pinned' && record.pins === 0) {
        record.held = true
      }
      return true
    })
  }

  /** Reserves room, writes the bytes (a pending marker first, so a crash leaves nothing unaccounted), then the record. */
  async #write (cid: CID, key: string, bytes: Uint8Array, role: BlockRole, provisional: boolean): Promise<void> {
    const size = bytes.byteLength
    try {
      await this.#exclusive(async () => { await this.#reserve(cid, size) })
    } catch (err) {
      // Evicting to make room failed in the datastore; nothing was reserved.
      throw err instanceof QuotaExceededError ? err : writeError(cid, err)
    }
    try {
      await this.#datastore.put(pendingKey(key), EMPTY)
      // No abort signal: an abandoned fs write can still land after we cleaned up.
      await this.#bytes.put(cid, bytes)
      const record: BlockRecord = {
        key, size, pins: 0, replica: role === 'replica', held: role === 'pinned', added: Date.now(), seq: this.#seq++, queued: false, links: cid.code === DAG_PB_CODE
      }
      if (provisional) record.provisionalSince = this.#leases.begin()
      const batch = this.#datastore.batch()
      batch.put(recordKey(key), encodeRecord(record))
      batch.delete(pendingKey(key))
      await batch.commit()
      this.#records.set(key, record)
      this.#usedBytes += size
      this.#evictable.offer(record)
    } catch (err) {
      await this.#deleteBytes([key])
      throw writeError(cid, err)
    } finally {
      this.#reservedBytes -= size
    }
  }

  /** Makes room for `size` bytes, evicting the oldest cache blocks if needed; call inside `#exclusive`. */
  async #reserve (cid: CID, size: number): Promise<void> {
    if (this.#usedBytes + this.#reservedBytes + size > this.#maxBytes) await this.#expire(this.#leases.ms)
    const over = this.#usedBytes + this.#reservedBytes + size - this.#maxBytes
    if (over > 0) {
      const victims: BlockRecord[] = []
      let freed = 0
      while (freed < over) {
        const record = this.#evictable.take()
        if (record == null) {
          for (const victim of victims) this.#evictable.offer(victim)
          throw new QuotaExceededError(cid.toString(), size, this.#usedBytes + this.#reservedBytes, this.#maxBytes)
        }
        victims.push(record)
        freed += record.size
      }
      await this.#remove(victims)
    }
    this.#reservedBytes += size
  }

  /** Deletes blocks: records first (with pending markers), then bytes, then markers. Call inside `#exclusive`. */
  async #remove (records: BlockRecord[]): Promise<void> {
    if (records.length === 0) return
    const batch = this.#datastore.batch()
    for (const record of records) {
      batch.delete(recordKey(record.key))
      batch.put(pendingKey(record.key), EMPTY)
    }
    try {
      await batch.commit()
    } catch (err) {
      for (const record of records) this.#evictable.offer(record)
      throw err
    }
    for (const record of records) {
      this.#records.delete(record.key)
      this.#usedBytes -= record.size
    }
    await this.#deleteBytes(records.map(record => record.key))
  }

  /** Deletes bytes, then their pending markers; a marker whose bytes could not be deleted stays for the next start. */
  async #deleteBytes (keys: string[]): Promise<void> {
    const done: string[] = []
    await Promise.all(keys.map(async key => {
      try {
        await this.#bytes.delete(cidOf(key))
        done.push(key)
      } catch {}
    }))
    try {
      const batch = this.#datastore.batch()
      for (const key of done) batch.delete(pendingKey(key))
      await batch.commit()
    } catch {}
  }

  /** The bytes of a recorded block, checked against its CID (see `readBlock`). */
  async #read (cid: CID, record: BlockRecord, options?: AbortOptions): Promise<ReadResult> {
    return await readBlock(this.#bytes, cid, record.size, options)
  }

  /**
   * Forgets a block whose bytes are missing or damaged (a power cut before
   * the OS flushed the file, a failing disk, a file deleted or edited by
   * hand), so it is fetched or repaired again instead of served, and counts it.
   */
  async #drop (record: BlockRecord, why: 'missing' | 'corrupt'): Promise<void> {
    await this.#exclusive(async () => {
      if (this.#records.get(record.key) !== record) return
      await this.#remove([record])
      if (why === 'missing') this.#integrity.missingBlocksDropped++
      else this.#integrity.corruptBlocksDropped++
    })
  }

  /** The blocks of a DAG stored here, by key. `strict`: a missing block throws `BlockNotFoundError`; otherwise it is skipped. */
  async #walk (root: CID, strict: boolean, options?: AbortOptions): Promise<Map<string, { cid: CID, record: BlockRecord }>> {
    return await walkDag(root, strict, {
      record: key => this.#records.get(key),
      read: async (cid, record) => await this.#read(cid, record, options),
      // after the walk: unpin walks inside #exclusive, where a drop would wait for itself
      bad: (record, why) => { void this.#drop(record, why).catch(() => {}) },
      notHere: cid => notHere(cid, root)
    }, options)
  }

  /** Scans block records into memory; an unreadable record is dropped with its bytes. */
  async #loadRecords (): Promise<void> {
    const corrupt: string[] = []
    for await (const { key: dsKey, value } of this.#datastore.query({ prefix: BLOCKS_PREFIX })) {
      const key = dsKey.toString().slice(BLOCKS_PREFIX.length)
      const record = decodeRecord(key, value, this.#seq++)
      if (record == null) {
        corrupt.push(key)
        continue
      }
      this.#records.set(key, record)
      this.#usedBytes += record.size
    }
    this.#evictable.rebuild(this.#records.values())
    if (corrupt.length > 0) {
      const batch = this.#datastore.batch()
      for (const key of corrupt) {
        batch.delete(recordKey(key))
        batch.put(pendingKey(key), EMPTY)
      }
      await batch.commit()
      await this.#deleteBytes(corrupt)
    }
  }

  /**
   * Checks the records against the block files (`inventory()`): a record
   * without its file is dropped (missing), one whose file has another size is
   * dropped (corrupt), a file without a record is deleted (its put never
   * returned: nobody relies on it). Call inside `#exclusive`, after the
   * records are loaded.
   */
  async #reconcile (): Promise<void> {
    if (this.#bytes.inventory == null) return
    const { files, temporariesRemoved } = await this.#bytes.inventory()
    this.#integrity.temporaryFilesRemoved += temporariesRemoved
    const missing: BlockRecord[] = []
    const corrupt: BlockRecord[] = []
    for (const record of this.#records.values()) {
      const size = files.get(record.key)
      if (size == null) missing.push(record)
      else if (size !== record.size) corrupt.push(record)
    }
    const orphans = [...files.keys()].filter(key => !this.#records.has(key))
    await this.#remove([...missing, ...corrupt])
    this.#integrity.missingBlocksDropped += missing.length
    this.#integrity.corruptBlocksDropped += corrupt.length
    await Promise.all(orphans.map(async key => { await this.#bytes.delete(cidOf(key)) }))
    this.#integrity.orphanFilesRemoved += orphans.length
  }

  async #exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn)
    this.#queue = run.catch(() => {})
    return await run
  }
}

function notHere (cid: CID, root: CID): BlockNotFoundError {
  return new BlockNotFoundError(cid.toString(), 0, `it is not in the local store, so ${root} cannot be pinned`)
}
