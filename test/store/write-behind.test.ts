import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WriteBehind } from '../../src/store/write-behind.js'

/** A write that finishes when told to. */
function gated (): { write: Promise<void>, finish: () => void, fail: (err: Error) => void } {
  let finish!: () => void
  let fail!: (err: Error) => void
  const write = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject })
  return { write, finish, fail }
}

/** Whether `promise` settled by the time already-queued callbacks ran. */
async function settled (promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => { done = true }, () => { done = true })
  await new Promise(resolve => setImmediate(resolve))
  return done
}

describe('write behind', () => {
  it('answers with the bytes of a write under way, and no longer once it is done', async () => {
    const writes = new WriteBehind(4)
    const write = gated()
    const bytes = Uint8Array.of(1, 2, 3)
    writes.add('block', bytes, write.write)

    assert.equal(writes.pending('block'), bytes)
    assert.equal(writes.pending('another'), undefined)
    write.finish()
    await writes.flush()
    assert.equal(writes.pending('block'), undefined)
  })

  it('makes room at once while no more than its limit of writes are unfinished', async () => {
    const writes = new WriteBehind(2)
    writes.add('a', new Uint8Array(1), gated().write)
    writes.add('b', new Uint8Array(1), gated().write)

    assert.equal(await settled(writes.room()), true)
  })

  it('holds the caller back past its limit until the oldest unfinished write is done', async () => {
    const writes = new WriteBehind(1)
    const [first, second] = [gated(), gated()]
    writes.add('first', new Uint8Array(1), first.write)
    writes.add('second', new Uint8Array(1), second.write)

    const room = writes.room()
    assert.equal(await settled(room), false)
    first.finish()
    assert.equal(await settled(room), true)
    assert.equal(writes.size, 1)
  })

  it('drops a write that fails and still flushes', async () => {
    const writes = new WriteBehind(4)
    const failing = gated()
    writes.add('failing', new Uint8Array(1), failing.write)
    failing.fail(new Error('the store is full'))

    await writes.flush()
    assert.equal(writes.size, 0)
  })

  it('flushes only once every write is done, those added while flushing too', async () => {
    const writes = new WriteBehind(4)
    const [first, later] = [gated(), gated()]
    writes.add('first', new Uint8Array(1), first.write)
    const flushed = writes.flush()
    writes.add('later', new Uint8Array(1), later.write)
    first.finish()
    assert.equal(await settled(flushed), false)
    later.finish()
    assert.equal(await settled(flushed), true)
  })
})
