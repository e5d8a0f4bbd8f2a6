import { BaseDatastore } from 'datastore-core/base'
import { MountDatastore } from 'datastore-core/mount'
import { Key, type Datastore, type Pair, type Query, type KeyQuery } from 'interface-datastore'
import { NotFoundError } from 'interface-store'
import type { AbortOptions } from '@libp2p/interface'

/** Where libp2p's peer store keeps its records in the datastore it is given. */
export const PEER_RECORDS_PREFIX = new Key('/peers')

/**
 * Where the cache writes them in the node's own datastore: apart from
 * libp2p's prefix, because the mount in front of that datastore asks every
 * store for a query's prefix, and would list each peer twice.
 */
export const PERSISTED_PEER_RECORDS_PREFIX = new Key('/weft/peer-records')

/**
 * How long a changed peer record may live only in memory. Losing the last
 * few seconds of them to a crash costs nothing: they are a cache of other
 * peers' addresses and protocols, learned again on the next connection.
 */
export const PEER_RECORDS_FLUSH_MS = 10_000

/**
 * The peer store's records, served from memory and written to the node's
 * datastore a batch at a time.
 *
 * libp2p's peer store has no cache of its own: kad-dht reads the records of
 * the ~20 closest peers for every request it answers and rewrites every peer
 * a response names. With 20 servers on one machine that was a quarter of
 * each process's busy time in LevelDB calls while the network formed (the
 * profile in docs/performance.md), and IndexedDB is slower still. The
 * records still survive a restart, so a server rejoins through the peers
 * it knew even when its bootstrap list is down.
 */
export class PeerRecordCache extends BaseDatastore {
  private readonly data = new Map<string, Uint8Array>()
  private readonly dirty = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private flushing: Promise<void> = Promise.resolve()
  private closed = false

  private constructor (private readonly backing: Datastore) {
    super()
  }

  /**
   * Loads every peer record `backing` holds, moving those a node before
   * this cache wrote under libp2p's own prefix to the cache's.
   */
  static async load (backing: Datastore, options?: AbortOptions): Promise<PeerRecordCache> {
    const cache = new PeerRecordCache(backing)
    const persisted = PERSISTED_PEER_RECORDS_PREFIX.toString()
    for await (const { key, value } of backing.query({ prefix: `${persisted}/` }, options)) {
      cache.data.set(key.toString().slice(persisted.length), value)
    }
    const legacy: Key[] = []
    for await (const { key, value } of backing.query({ prefix: `${PEER_RECORDS_PREFIX.toString()}/` }, options)) {
      if (!cache.data.has(key.toString())) cache.put(key, value)
      legacy.push(key)
    }
    if (legacy.length > 0) {
      await cache.flush()
      const batch = backing.batch()
      for (const key of legacy) batch.delete(key)
      await batch.commit(options)
    }
    return cache
  }

  override put (key: Key, value: Uint8Array, options?: AbortOptions): Key {
    options?.signal?.throwIfAborted()
    this.data.set(key.toString(), value)
    this.changed(key)
    return key
  }

  override get (key: Key, options?: AbortOptions): Uint8Array {
    options?.signal?.throwIfAborted()
    const value = this.data.get(key.toString())
    if (value == null) throw new NotFoundError(`no peer record ${key.toString()}`)
    return value
  }

  override has (key: Key, options?: AbortOptions): boolean {
    options?.signal?.throwIfAborted()
    return this.data.has(key.toString())
  }

  override delete (key: Key, options?: AbortOptions): void {
    options?.signal?.throwIfAborted()
    if (this.data.delete(key.toString())) this.changed(key)
  }

  override * _all (_query: Query, options?: AbortOptions): Generator<Pair> {
    for (const [key, value] of this.data) {
      options?.signal?.throwIfAborted()
      yield { key: new Key(key), value }
    }
  }

  override * _allKeys (_query: KeyQuery, options?: AbortOptions): Generator<Key> {
    for (const key of this.data.keys()) {
      options?.signal?.throwIfAborted()
      yield new Key(key)
    }
  }

  /** Writes every record changed since the last flush to the backing store, in one batch. */
  async flush (): Promise<void> {
    this.flushing = this.flushing.then(async () => this.writeChanged())
    await this.flushing
  }

  /** Flushes and stops the timer; the backing store stays open (it is the caller's). */
  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.flush()
  }

  private changed (key: Key): void {
    this.dirty.add(key.toString())
    if (this.timer != null || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, PEER_RECORDS_FLUSH_MS)
    // a pending flush must not keep a stopped process alive; close() flushes
    this.timer.unref?.()
  }

  private async writeChanged (): Promise<void> {
    if (this.dirty.size === 0) return
    const keys = [...this.dirty]
    this.dirty.clear()
    try {
      const batch = this.backing.batch()
      for (const name of keys) {
        const value = this.data.get(name)
        const persisted = new Key(`${PERSISTED_PEER_RECORDS_PREFIX.toString()}${name}`)
        if (value == null) batch.delete(persisted)
        else batch.put(persisted, value)
      }
      await batch.commit()
    } catch {
      // a full disk or a closed store (which may throw as the batch is
      // built): the records stay in memory, and are tried again while the
      // node runs; a flush never rejects, so the timer's cannot go unhandled
      for (const name of keys) this.changed(new Key(name))
    }
  }
}

/** libp2p's datastore over a node's own: peer records in a `PeerRecordCache`, everything else (keys, DHT records) straight through. */
export interface Libp2pDatastore {
  datastore: Datastore
  peers: PeerRecordCache
}

/** Mounts a `PeerRecordCache` loaded from `datastore` under `/peers`, in front of `datastore`. */
export async function libp2pDatastore (datastore: Datastore): Promise<Libp2pDatastore> {
  const peers = await PeerRecordCache.load(datastore)
  return {
    datastore: new MountDatastore([
      { prefix: PEER_RECORDS_PREFIX, datastore: peers },
      { prefix: new Key('/'), datastore }
    ]),
    peers
  }
}
