import type { BlockRecord } from './block-record.js'

/**
 * The leases of provisional replicas: blocks an unfinished put pushed here,
 * no one's until the put's end settles them, released to cache when their
 * lease runs out (docs/storage.md, "Unfinished puts"). This holds the rules
 * and the clock; `BlockStore` holds the records and writes their changes.
 */
export class PutLeases {
  /** How long a provisional replica stays one; Infinity with leases off. */
  readonly ms: number
  /** No lease ends before this (a lower bound): spares `expired` its scan of every record under quota pressure. */
  #nextEnd = 0
  readonly #now: () => number

  /** `leaseMs` 0 turns leases off: no push is provisional. */
  constructor (leaseMs: number, now: () => number) {
    this.ms = leaseMs > 0 ? leaseMs : Infinity
    this.#now = now
  }

  /** Whether pushes can be provisional at all. */
  get on (): boolean {
    return this.ms < Infinity
  }

  /** Forgets what it knew of the records' leases (the store reloads them). */
  reset (): void {
    this.#nextEnd = 0
  }

  /** Whether a provisional replica's lease ran out (after `leaseMs`, by default the store's). */
  ended (record: BlockRecord, leaseMs = this.ms): boolean {
    return record.provisionalSince != null && this.#now() - record.provisionalSince >= leaseMs
  }

  /** A lease starting now: the `provisionalSince` of a record written or renewed now. */
  begin (): number {
    const since = this.#now()
    this.#nextEnd = Math.min(this.#nextEnd, since + this.ms)
    return since
  }

  /**
   * The `provisionalSince` a replica push gives a stored record. A settled
   * replica stays settled; a provisional one is settled by a push that is
   * not provisional, and kept (or renewed, if its lease ran out) by one that
   * is; a block that was not a replica becomes a provisional one only by a
   * provisional push.
   */
  sinceAfterPush (record: BlockRecord, provisional: boolean): number | undefined {
    if (!record.replica) return provisional ? this.#now() : undefined
    if (record.provisionalSince == null || !provisional) return undefined
    return this.ended(record) ? this.#now() : record.provisionalSince
  }

  /** Tells the lower bound of a lease set by `sinceAfterPush`. */
  started (since: number | undefined): void {
    if (since != null) this.#nextEnd = Math.min(this.#nextEnd, since + this.ms)
  }

  /**
   * The provisional replicas among `records` whose lease (`leaseMs`) ran
   * out; none without a scan while no lease of the store's length can have.
   */
  expired (records: Iterable<BlockRecord>, leaseMs: number): BlockRecord[] {
    if (leaseMs === this.ms && this.#now() < this.#nextEnd) return []
    const ended: BlockRecord[] = []
    let next = Infinity
    for (const record of records) {
      if (record.provisionalSince == null) continue
      if (record.replica && this.ended(record, leaseMs)) ended.push(record)
      else next = Math.min(next, record.provisionalSince + this.ms)
    }
    this.#nextEnd = next
    return ended
  }
}

/** `record` with `provisionalSince` set to `since`, or absent when undefined. */
export function withLease (record: BlockRecord, since: number | undefined): BlockRecord {
  if (since == null) delete record.provisionalSince
  else record.provisionalSince = since
  return record
}
