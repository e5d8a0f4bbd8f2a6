import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { REPAIR_MIN_GAP_MS, REPAIR_SETTLE_MS, RepairSchedule, type SweepReason } from '../../src/placement/repair-schedule.js'
import type { Logger } from '@libp2p/interface'

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as Logger

/** Lets promise callbacks run (the mocked clock does not move). */
async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve))
}

/** A schedule whose sweeps are recorded and end when the test says so. */
function scheduled (intervalMs: number, random = (): number => 0): { schedule: RepairSchedule, sweeps: SweepReason[], finish: () => void, signals: AbortSignal[] } {
  const sweeps: SweepReason[] = []
  const signals: AbortSignal[] = []
  const ends: Array<() => void> = []
  const schedule = new RepairSchedule({
    intervalMs,
    random,
    log,
    sweep: async (signal, reason) => {
      sweeps.push(reason)
      signals.push(signal)
      await new Promise<void>((resolve, reject) => {
        ends.push(resolve)
        signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
      })
    }
  })
  return { schedule, sweeps, signals, finish: () => { ends.shift()?.() } }
}

describe('repair schedule', () => {
  beforeEach(() => { mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }) })
  afterEach(() => { mock.timers.reset() })

  it('sweeps every interval, jittered to between 75 % and 125 % of it', async () => {
    for (const [random, due] of [[0, 750], [0.5, 1000], [0.996, 1248]]) {
      const { schedule, sweeps, finish } = scheduled(1000, () => random)
      schedule.start()
      mock.timers.tick(due - 1)
      await settle()
      assert.deepEqual(sweeps, [])
      mock.timers.tick(1)
      await settle()
      assert.deepEqual(sweeps, ['periodic'])
      finish()
      await settle()
      mock.timers.tick(due)
      await settle()
      assert.deepEqual(sweeps, ['periodic', 'periodic'])
      finish()
      await schedule.stop()
    }
  })

  it('gathers a burst of membership changes into one sweep, a settling delay after the first', async () => {
    const { schedule, sweeps } = scheduled(600_000)
    schedule.start()
    mock.timers.tick(REPAIR_MIN_GAP_MS)
    for (let i = 0; i < 5; i++) {
      schedule.membershipChanged()
      mock.timers.tick(REPAIR_SETTLE_MS / 5 - 1)
    }
    await settle()
    assert.deepEqual(sweeps, [])
    mock.timers.tick(5)
    await settle()
    assert.deepEqual(sweeps, ['membership'])
    await schedule.stop()
  })

  it('runs one more sweep after the running one for any number of requests meanwhile', async () => {
    const { schedule, sweeps, finish } = scheduled(1000)
    schedule.start()
    mock.timers.tick(750)
    await settle()
    assert.deepEqual(sweeps, ['periodic'])
    // three more periodic timers and a membership change while it runs
    mock.timers.tick(750 * 3)
    schedule.membershipChanged()
    mock.timers.tick(1000)
    await settle()
    assert.deepEqual(sweeps, ['periodic'])
    finish()
    await settle()
    // the change outranks the periodic requests: it forgets the learned membership
    assert.deepEqual(sweeps, ['periodic', 'membership'])
    finish()
    await settle()
    assert.deepEqual(sweeps, ['periodic', 'membership'])
    await schedule.stop()
  })

  it('starts a membership sweep no sooner than the minimum gap after the last sweep', async () => {
    const interval = 10 * REPAIR_MIN_GAP_MS
    const { schedule, sweeps, finish } = scheduled(interval)
    schedule.start()
    mock.timers.tick(interval * 0.75)
    await settle()
    finish()
    await settle()
    schedule.membershipChanged()
    mock.timers.tick(REPAIR_MIN_GAP_MS - 1)
    await settle()
    assert.deepEqual(sweeps, ['periodic'])
    mock.timers.tick(1)
    await settle()
    assert.deepEqual(sweeps, ['periodic', 'membership'])
    await schedule.stop()
  })

  it('stop aborts the running sweep, waits for it and sweeps no more', async () => {
    const { schedule, sweeps, signals } = scheduled(1000)
    schedule.start()
    mock.timers.tick(750)
    await settle()
    await schedule.stop()
    assert.equal(signals[0].aborted, true)
    schedule.membershipChanged()
    mock.timers.tick(100_000)
    await settle()
    assert.deepEqual(sweeps, ['periodic'])
  })
})
