import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EvictionQueue, type Evictable } from '../../src/store/eviction-queue.js'

interface Item extends Evictable { name: string, evictable: boolean }

function item (name: string, added: number, seq: number): Item {
  return { name, added, seq, queued: false, evictable: true }
}

function queue (): EvictionQueue<Item> {
  return new EvictionQueue<Item>(i => i.evictable)
}

function drain (q: EvictionQueue<Item>): string[] {
  const names: string[] = []
  for (let i = q.take(); i != null; i = q.take()) names.push(i.name)
  return names
}

describe('the eviction queue', () => {
  it('gives the oldest first, by time added and then by sequence', () => {
    const q = queue()
    for (const i of [item('c', 20, 0), item('b', 10, 5), item('a', 10, 4), item('d', 30, 1)]) q.offer(i)
    assert.deepEqual(drain(q), ['a', 'b', 'c', 'd'])
  })

  it('queues an item once however often it is offered', () => {
    const q = queue()
    const a = item('a', 1, 0)
    q.offer(a)
    q.offer(a)
    assert.deepEqual(drain(q), ['a'])
  })

  it('skips an item that stopped being evictable while queued, and takes it once offered again', () => {
    const q = queue()
    const a = item('a', 1, 0)
    const b = item('b', 2, 1)
    q.offer(a)
    q.offer(b)
    a.evictable = false
    assert.equal(q.take()?.name, 'b')
    assert.equal(q.take(), undefined)
    assert.equal(a.queued, false)

    a.evictable = true
    q.offer(a)
    assert.deepEqual(drain(q), ['a'])
  })

  it('rebuilds from a set of items, leaving out those not evictable', () => {
    const q = queue()
    const items = [item('c', 3, 0), item('a', 1, 1), item('pinned', 0, 2), item('b', 2, 3)]
    items[2].evictable = false
    q.rebuild(items)
    assert.deepEqual(items.map(i => i.queued), [true, true, false, true])
    assert.deepEqual(drain(q), ['a', 'b', 'c'])
  })
})
