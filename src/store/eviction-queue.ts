/** What the eviction queue orders by, and the flag it keeps on each item. */
export interface Evictable {
  /** When it was stored, ms since the epoch. */
  readonly added: number
  /** Breaks ties between items added in the same millisecond. */
  readonly seq: number
  /** Whether it is in the queue; only the queue sets it. */
  queued: boolean
}

/**
 * The eviction order: the items that may be evicted, oldest first (by
 * `added`, then `seq`). An item's evictability changes without the queue
 * hearing of it (a block gets pinned, or deleted), so entries are checked
 * when taken rather than removed when they change: `take` skips (and
 * unmarks) the ones `isEvictable` no longer accepts, and `offer` queues an
 * item again once it is.
 */
export class EvictionQueue<T extends Evictable> {
  readonly #heap = new AgeHeap<T>()
  readonly #isEvictable: (item: T) => boolean

  /** `isEvictable`: whether an item may be evicted now (stored, and of a role eviction may take). */
  constructor (isEvictable: (item: T) => boolean) {
    this.#isEvictable = isEvictable
  }

  /** Empties the queue (the caller drops the items with it). */
  clear (): void {
    this.#heap.clear()
  }

  /** Replaces the queue with the evictable ones of `items`, in one pass rather than one push each. */
  rebuild (items: Iterable<T>): void {
    const evictable: T[] = []
    for (const item of items) {
      item.queued = this.#isEvictable(item)
      if (item.queued) evictable.push(item)
    }
    this.#heap.rebuild(evictable)
  }

  /** Queues `item` if it is evictable and not already queued. */
  offer (item: T): void {
    if (!item.queued && this.#isEvictable(item)) {
      item.queued = true
      this.#heap.push(item)
    }
  }

  /** The oldest item that is evictable now, taken out of the queue; stale entries are dropped on the way. */
  take (): T | undefined {
    for (let item = this.#heap.pop(); item != null; item = this.#heap.pop()) {
      item.queued = false
      if (this.#isEvictable(item)) return item
    }
    return undefined
  }
}

/** A binary min-heap by age: the oldest item on top. */
class AgeHeap<T extends Evictable> {
  #items: T[] = []

  clear (): void { this.#items = [] }

  rebuild (items: T[]): void {
    this.#items = items
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i)
  }

  push (item: T): void {
    const items = this.#items
    items.push(item)
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!older(items[i], items[parent])) break
      ;[items[i], items[parent]] = [items[parent], items[i]]
      i = parent
    }
  }

  pop (): T | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last != null) {
      items[0] = last
      this.#down(0)
    }
    return top
  }

  #down (i: number): void {
    const items = this.#items
    for (;;) {
      let least = i
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < items.length && older(items[child], items[least])) least = child
      }
      if (least === i) return
      ;[items[i], items[least]] = [items[least], items[i]]
      i = least
    }
  }
}

function older (a: Evictable, b: Evictable): boolean {
  return a.added < b.added || (a.added === b.added && a.seq < b.seq)
}
