/**
 * Writes to a store that run behind a reader: each is started at once and
 * goes on while the reader does, and the reader is held back only once more
 * than `limit` are unfinished.
 *
 * A fetch session keeps the blocks it fetched (`cacheFetched`) this way. It
 * used to hand a batch of blocks to the reader only once each of them was
 * stored: in a page the store is IndexedDB, whose writes of 1 MiB blocks
 * queue in the browser, and the batch at the head of the read window waited
 * for them while the batches behind it had arrived (docs/performance.md,
 * "The page's get: where its time goes"). A write that fails is dropped: the
 * bytes were verified and handed on either way, only not kept (a full store
 * must not fail a read).
 */
export class WriteBehind {
  private readonly unfinished = new Set<Promise<void>>()
  /** The bytes of each write under way, by key: the store has not got them yet. */
  private readonly writing = new Map<string, Uint8Array>()

  /** At most `limit` writes unfinished when `room` resolves: the memory they hold is bounded. */
  constructor (private readonly limit: number) {}

  /** Writes being made. */
  get size (): number {
    return this.unfinished.size
  }

  /**
   * Takes the write of `bytes` under `key`, under way; its failure is
   * swallowed. Until it ends, `pending(key)` answers with the bytes: a reader
   * that asks for them again meanwhile (a second read of the same blocks) is
   * not sent to the network for what is on its way to the store.
   */
  add (key: string, bytes: Uint8Array, write: Promise<void>): void {
    this.writing.set(key, bytes)
    const tracked: Promise<void> = write.catch(() => {}).finally(() => {
      this.unfinished.delete(tracked)
      if (this.writing.get(key) === bytes) this.writing.delete(key)
    })
    this.unfinished.add(tracked)
  }

  /** The bytes of an unfinished write under `key`, if there is one. */
  pending (key: string): Uint8Array | undefined {
    return this.writing.get(key)
  }

  /** Resolves once at most `limit` writes are unfinished. */
  async room (): Promise<void> {
    while (this.unfinished.size > this.limit) await Promise.race(this.unfinished)
  }

  /** Resolves once every write taken so far (and any added meanwhile) has finished. */
  async flush (): Promise<void> {
    while (this.unfinished.size > 0) await Promise.all(this.unfinished)
  }
}
