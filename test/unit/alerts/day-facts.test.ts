/**
 * The alert engine keeps day facts (alerts/day-facts.ts) in the telemetry store: marked by readings,
 * written on the tick at most every REFRESH_MS, re-stated when late data arrives, retried after a
 * failed write. Real DuckDB store (test/unit/alerts/fixture.ts).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { makeConfig, startRig, T0, type Rig } from './fixture.js'
import { REFRESH_MS } from '../../../alerts/day-facts.js'
import { beijingDayStart, DAY, MINUTE } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'

const DAY0 = beijingDayStart(T0)
let rig: Rig | null = null
afterEach(async () => { await rig?.close(); rig = null })

const meter = (device: string, ts: number, totalM3: number): Reading => ({ site: 'site-a', device, kind: 'water', ts, values: { totalM3 } })
const load = (ts: number, tonnes: number): Reading => ({ site: 'site-a', device: 'TS1', kind: 'ore', ts, values: { tonnes } })

describe('day facts written by the alert engine', () => {
  it('follows the day on the tick, at most every REFRESH_MS, and re-states a past day on late data', async () => {
    rig = await startRig(makeConfig())
    const facts = () => rig!.telemetry.dayFacts({ site: 'site-a', from: DAY0 - DAY, to: DAY0 + DAY })
    // start() marked yesterday and today: the first tick writes both (nothing stored yet)
    await rig.engine.tick()
    expect((await facts()).map((f) => [f.day, f.oreOutputT, f.rate])).toEqual([[DAY0 - DAY, 0, null], [DAY0, 0, null]])

    await rig.feed([load(T0 - 60 * MINUTE, 50), meter('W-FRESH', T0 - 60 * MINUTE, 100), meter('W-REC', T0 - 60 * MINUTE, 1000)])
    await rig.feed([load(T0 - 30 * MINUTE, 40), meter('W-FRESH', T0 - 30 * MINUTE, 110), meter('W-REC', T0 - 30 * MINUTE, 1090)])
    rig.clock.set(T0 + 1000)
    await rig.engine.tick() // within REFRESH_MS of the first write: not yet
    expect((await facts())[1]!.oreOutputT).toBe(0)
    rig.clock.set(T0 + REFRESH_MS)
    await rig.engine.tick()
    const today = (await facts())[1]!
    expect(today).toMatchObject({ day: DAY0, to: T0 + REFRESH_MS, oreOutputT: 90, freshM3: 10, recycledM3: 90, rate: 0.9 })

    // a late load for yesterday re-states yesterday only
    await rig.feed([load(DAY0 - 2 * 60 * MINUTE, 30)])
    await rig.engine.refreshDayFacts()
    expect((await facts()).map((f) => f.oreOutputT)).toEqual([30, 90])
  })

  it('keeps the days marked when the store refuses the write, and writes them later', async () => {
    rig = await startRig(makeConfig())
    await rig.engine.refreshDayFacts()
    await rig.feed([load(T0 - MINUTE, 50)])
    const write = rig.telemetry.writeDayFacts.bind(rig.telemetry)
    let refuse = true
    rig.telemetry.writeDayFacts = async (f) => { if (refuse) throw new Error('injected: store down'); await write(f) }
    await rig.engine.refreshDayFacts()
    expect((await rig.telemetry.dayFacts({ site: 'site-a', from: DAY0, to: DAY0 + DAY }))[0]!.oreOutputT).toBe(0)
    refuse = false
    await rig.engine.refreshDayFacts()
    expect((await rig.telemetry.dayFacts({ site: 'site-a', from: DAY0, to: DAY0 + DAY }))[0]!.oreOutputT).toBe(50)
  })
})
