/**
 * One node per identity in a browser profile. Every tab of one profile sees
 * the same IndexedDB, which holds the node's key: two tabs opening the same
 * database would run two nodes with one PeerId, which the network cannot tell
 * apart (each would drop the other's connections and answer for its blocks).
 *
 * So a tab runs its node on a database only while it holds that database's
 * Web Lock (`weft-node:<name>`), taken for the tab's whole life and released
 * by the browser when the tab closes, reloads or crashes. The first tab gets
 * `weft` (the profile's usual identity); a second tab open at the same time
 * finds it held and takes `weft-2`, its own identity, and so on. A tab opened
 * after one closed takes the lowest free name again, and with it that
 * identity's key and its stored blocks.
 */

/** The lock a tab holds while its node runs on database `db`. */
export function lockName (db: string): string {
  return `weft-node:${db}`
}

/** `weft`, `weft-2`, `weft-3`…: the database of the `slot`-th tab open at once. */
export function databaseOf (base: string, slot: number): string {
  return slot === 1 ? base : `${base}-${slot}`
}

/** More tabs than this on one page of one profile is a bug somewhere, not a person. */
export const MAX_SLOTS = 64

/** How long a reloading tab waits for the lock its own previous page held. */
export const RELOAD_WAIT_MS = 2_000

/** What a tab claimed: its database, and which of the open tabs it is (1: the first). */
export interface ClaimedDatabase {
  db: string
  slot: number
}

/** The part of `navigator.locks` this uses (also what a test passes in). */
export type Locks = Pick<LockManager, 'request'>

/**
 * Claims the first free database `base`, `base-2`… for this tab's node, and
 * holds its lock until the tab goes away. `previous` is the slot this tab had
 * before a reload (kept in sessionStorage): it is waited for briefly, since
 * the browser may release the old page's lock a moment after the new page
 * asks, and a reload should keep its PeerId. Without the Web Locks API (very
 * old browsers) every tab uses `base`, as before.
 */
export async function claimDatabase (base: string, locks: Locks | undefined, previous?: number): Promise<ClaimedDatabase> {
  if (locks == null) return { db: base, slot: 1 }
  if (previous != null && previous >= 1 && previous <= MAX_SLOTS) {
    if (await hold(locks, lockName(databaseOf(base, previous)), AbortSignal.timeout(RELOAD_WAIT_MS))) {
      return { db: databaseOf(base, previous), slot: previous }
    }
  }
  for (let slot = 1; slot <= MAX_SLOTS; slot++) {
    const db = databaseOf(base, slot)
    if (await hold(locks, lockName(db))) return { db, slot }
  }
  throw new Error(`${MAX_SLOTS} tabs of this browser already run weft on "${base}": close some`)
}

/**
 * Takes lock `name` and keeps it for the page's life; false if another tab
 * holds it (at once without a `signal`, else once the signal aborts).
 */
async function hold (locks: Locks, name: string, signal?: AbortSignal): Promise<boolean> {
  return new Promise<boolean>(resolve => {
    const options: LockOptions = signal != null ? { signal } : { ifAvailable: true }
    locks.request(name, options, async lock => {
      resolve(lock != null)
      // a promise that never settles: the lock is released only with the page
      if (lock != null) await new Promise(() => {})
    }).catch(() => { resolve(false) })
  })
}
