import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_SLOTS, claimDatabase, databaseOf, type Locks } from '../../web/profile-lock.js'

/** Web Locks as one browser profile has them: a name is held by one tab at a time. */
function profileLocks (): Locks & { held: Set<string> } {
  const held = new Set<string>()
  return {
    held,
    request: (async (name: string, options: LockOptions, callback: (lock: Lock | null) => Promise<unknown>) => {
      if (held.has(name)) {
        if (options.ifAvailable === true) return callback(null)
        // a waiting request: given up when its signal aborts
        await new Promise((_resolve, reject) => { options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }) })
      }
      held.add(name)
      return callback({ name, mode: 'exclusive' })
    }) as unknown as Locks['request']
  }
}

describe('a tab\'s database', () => {
  it('is the named one for the first tab and a numbered one for each tab open beside it', async () => {
    const locks = profileLocks()
    assert.deepEqual(await claimDatabase('weft', locks), { db: 'weft', slot: 1 })
    assert.deepEqual(await claimDatabase('weft', locks), { db: 'weft-2', slot: 2 })
    assert.deepEqual(await claimDatabase('weft', locks), { db: 'weft-3', slot: 3 })
    assert.deepEqual([...locks.held], ['weft-node:weft', 'weft-node:weft-2', 'weft-node:weft-3'])
  })

  it('is the one it had before a reload once that lock is free, and the lowest free one otherwise', async () => {
    const locks = profileLocks()
    assert.deepEqual(await claimDatabase('weft', locks, 3), { db: 'weft-3', slot: 3 })
    // a duplicated tab remembers a slot another tab still holds: it waits briefly, then takes a free one
    assert.deepEqual(await claimDatabase('weft', locks, 3), { db: 'weft', slot: 1 })
  })

  it('is the named one where the browser has no Web Locks', async () => {
    assert.deepEqual(await claimDatabase('mine', undefined), { db: 'mine', slot: 1 })
  })

  it('runs out with an error naming the database when every slot is held', async () => {
    const locks = profileLocks()
    for (let slot = 1; slot <= MAX_SLOTS; slot++) locks.held.add(`weft-node:${databaseOf('weft', slot)}`)
    await assert.rejects(claimDatabase('weft', locks), /64 tabs of this browser already run weft on "weft"/)
  })
})
