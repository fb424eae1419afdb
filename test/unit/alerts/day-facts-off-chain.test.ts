/**
 * A day-facts refresh (queries over the stored day, then a write) does not hold up the alert
 * chain: readings evaluated while it runs are judged and their alerts stored at once. Under heavy
 * ingest a refresh took seconds, and every batch of readings waiting behind it stayed in memory
 * (docs/performance.md, round 6).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { makeConfig, startRig, dust, T0, type Rig } from './fixture.js'
import type { DayFacts } from '../../../store/telemetry.js'
import type { Reading } from '../../../core/readings.js'
import { MINUTE, DAY, beijingDayStart } from '../../../core/time.js'

let rig: Rig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

function minutes (from: number, n: number, f: (i: number, ts: number) => Reading): Reading[] {
  return Array.from({ length: n }, (_, i) => f(i, from + i * MINUTE))
}

async function until (cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('alert engine: day facts off the serial chain', () => {
  it('readings evaluated while a refresh is still writing are judged and stored without waiting for it', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }]))
    const r = rig
    const write = r.telemetry.writeDayFacts.bind(r.telemetry)
    const held: { facts: readonly DayFacts[], release: () => void }[] = []
    r.telemetry.writeDayFacts = (facts) => new Promise<void>((resolve, reject) => {
      held.push({ facts, release: () => { write(facts).then(resolve, reject) } })
    })
    await r.feed(minutes(T0, 10, (_, ts) => dust(ts, 0.2))) // marks the day
    const refreshing = r.engine.refreshDayFacts()
    await until(() => held.length === 1, 'the refresh to reach its write')

    // five flagged readings: a data-quality alert, stored while the refresh's write is held
    const evaluated = r.engine.evaluate(minutes(T0 + 20 * MINUTE, 30, (i, ts) => dust(ts, 0.3, { flag: i >= 25 ? 'D' : 'N' })))
    const outcome = await Promise.race([evaluated.then(() => 'evaluated'), refreshing.then(() => 'refresh ended first')])
    expect(outcome).toBe('evaluated')
    expect((await r.state.alerts.open()).map((a) => a.subject)).toContain('D1:flag')

    held[0]!.release()
    await refreshing
    const day = beijingDayStart(T0)
    const stored = await r.telemetry.dayFacts({ site: 'site-a', from: day, to: day + DAY })
    expect(stored.map((f) => f.day)).toEqual([day])
    await r.engine.idle()
  })
})
