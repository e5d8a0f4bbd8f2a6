import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ByteRate } from '../../src/placement/byte-rate.js'
import { fakeClock } from '../support/fakes.js'

describe('a byte rate limit', () => {
  it('lets one second\'s worth through at once, then paces the rest at the rate', async () => {
    const clock = fakeClock()
    const rate = new ByteRate(1000, clock)
    const signal = AbortSignal.timeout(10_000)
    await rate.take(1000, signal)
    assert.deepEqual(clock.sleeps, [])
    await rate.take(500, signal)
    await rate.take(500, signal)
    assert.deepEqual(clock.sleeps, [500, 500])
  })

  it('makes concurrent takers wait in turn: their waits add up to the bytes over the rate', async () => {
    const clock = fakeClock()
    const rate = new ByteRate(1000, clock)
    const signal = AbortSignal.timeout(10_000)
    await rate.take(1000, signal)
    await Promise.all([rate.take(1000, signal), rate.take(1000, signal)])
    assert.deepEqual(clock.sleeps, [1000, 2000])
  })

  it('limits nothing at a rate of 0', async () => {
    const clock = fakeClock()
    const rate = new ByteRate(0, clock)
    for (let i = 0; i < 10; i++) await rate.take(1 << 20, AbortSignal.timeout(10_000))
    assert.deepEqual(clock.sleeps, [])
  })
})
