import { describe, it, expect } from 'vitest'
import {
  createWaterState, createMeterState, evaluateWater, totaliserStep, recyclingRate,
  STEP_NORMAL, STEP_RESET, STEP_ROLLOVER, STEP_BACKWARDS, STEP_FIRST, MIN_ELAPSED_S, type MeterState, type WaterState
} from '../../../alerts/rules/water-recycling.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import type { WaterSettings } from '../../../core/sites.js'
import { beijingDateToMs, MINUTE, HOUR, DAY } from '../../../core/time.js'

const DAY0 = beijingDateToMs('2025-03-01') // 00:00 Beijing
const REUSE: WaterSettings = { floor: 0.85, formula: 'reuse', rolloverM3: 1e6, standard: '甘资字〔2023〕11号' }

interface Site { s: WaterState, fresh: MeterState, rec: MeterState, tail: MeterState, totals: { fresh: number, rec: number, tail: number } }

function site (settings = REUSE): Site {
  return { s: createWaterState(settings), fresh: createMeterState('fresh_intake'), rec: createMeterState('recycled_return'), tail: createMeterState('tailings_return'), totals: { fresh: 5000, rec: 20000, tail: 100 } }
}

/** Every 5 minutes for `hours`, adds flows (m³/h) per meter from rate(hour index); returns signals. */
function run (x: Site, from: number, hours: number, flows: (h: number) => { fresh: number, rec: number }): Signal[] {
  const out: Signal[] = []
  const step = new Float64Array(1)
  for (let t = from; t < from + hours * HOUR; t += 5 * MINUTE) {
    const f = flows(Math.floor((t - from) / HOUR))
    x.totals.fresh += f.fresh / 12; x.totals.rec += f.rec / 12
    for (const [m, v] of [[x.fresh, x.totals.fresh], [x.rec, x.totals.rec], [x.tail, x.totals.tail]] as const) {
      const sig = evaluateWater(x.s, m, v, t, step)
      if (sig) out.push(sig)
    }
  }
  return out
}

describe('water_recycling_low rule', () => {
  it('classifies totaliser steps: normal, reset, rollover, backwards', () => {
    const out = new Float64Array(1)
    expect(totaliserStep(NaN, 10, 1e6, out)).toBe(STEP_FIRST)
    expect(totaliserStep(100, 130, 1e6, out)).toBe(STEP_NORMAL); expect(out[0]).toBe(30)
    expect(totaliserStep(50_000, 12, 1e6, out)).toBe(STEP_RESET); expect(out[0]).toBe(12)
    expect(totaliserStep(999_990, 5, 1e6, out)).toBe(STEP_ROLLOVER); expect(out[0]).toBe(15)
    expect(totaliserStep(50_000, 49_000, 1e6, out)).toBe(STEP_BACKWARDS); expect(out[0]).toBe(0)
  })

  it('no alert at 00:05 however bad the first minutes look: running checks start at 06:00 with enough volume', () => {
    const x = site()
    const sigs = run(x, DAY0, 5, () => ({ fresh: 100, rec: 10 })) // rate 9 % all night
    expect(sigs).toEqual([])
    expect(recyclingRate(x.s)).toBeLessThan(0.2)
  })

  it('fires a running warning in the day and ends it with the day (the whole-day verdict comes from the store)', () => {
    const x = site()
    // day 1: 70 % all day; day 2: 95 %
    const sigs = run(x, DAY0, 48, (h) => (h < 24 ? { fresh: 30, rec: 70 } : { fresh: 5, rec: 95 }))
    expect(sigs.map((s) => [s.type, s.severity, s.reason])).toEqual([
      ['fire', 'warning', 'running_rate_below_floor'],
      ['resolve', 'warning', 'day_ended']
    ])
    expect(sigs[0]!.at).toBe(DAY0 + MIN_ELAPSED_S * 1000)
    expect(sigs[0]!.value).toBeCloseTo(0.7, 2)
    expect(sigs[1]!.at).toBe(DAY0 + DAY) // the first reading of the next day
  })

  it('no running checks for a day that is over by the clock (a backlog of yesterday): the day verdict judges it', () => {
    const x = site()
    const step = new Float64Array(1)
    const now = DAY0 + DAY + HOUR
    const sigs = []
    for (let t = DAY0; t < DAY0 + DAY; t += 5 * MINUTE) {
      const sig = evaluateWater(x.s, x.fresh, 5000 + (t - DAY0) / MINUTE, t, step, now) // only the fresh meter's backlog so far: 0 %
      if (sig) sigs.push(sig)
    }
    expect(sigs).toEqual([])
    expect(recyclingRate(x.s)).toBe(0)
  })

  it('a rate hovering around the floor gives one alert, not a stream (hysteresis)', () => {
    const x = site()
    // 2 h at 83 %, 2 h at 87 %, ...: the day-to-date rate touches 0.85 every 4 hours
    const sigs = run(x, DAY0, 24, (h) => (Math.floor(h / 2) % 2 === 0 ? { fresh: 17, rec: 83 } : { fresh: 13, rec: 87 }))
    expect(sigs.map((s) => s.type)).toEqual(['fire'])
  })

  it('handles a reset and a rollover without counting bogus volume', () => {
    const x = site()
    const step = new Float64Array(1)
    evaluateWater(x.s, x.rec, 999_000, DAY0 + HOUR, step)
    evaluateWater(x.s, x.rec, 999_900, DAY0 + 2 * HOUR, step)
    evaluateWater(x.s, x.rec, 100, DAY0 + 3 * HOUR, step) // rollover at 1e6: +200
    expect(step[0]).toBe(STEP_ROLLOVER)
    evaluateWater(x.s, x.rec, 3, DAY0 + 4 * HOUR, step) // dropped to under 10 % of 100: the meter restarted from 0
    expect(step[0]).toBe(STEP_RESET)
    expect(x.s.volumes[0]).toBeCloseTo(900 + 200 + 3)
    evaluateWater(x.s, x.rec, 2, DAY0 + 5 * HOUR, step) // a glitch below the last value (not under 10 % of it)
    expect(step[0]).toBe(STEP_BACKWARDS)
    evaluateWater(x.s, x.rec, 13, DAY0 + 6 * HOUR, step) // counted from the kept baseline of 3: +10, not +11
    expect(x.s.volumes[0]).toBeCloseTo(900 + 200 + 3 + 10)
  })

  it('beneficiation formula: returned ÷ (returned + discharge)', () => {
    const s = createWaterState({ ...REUSE, formula: 'beneficiation' })
    const ret = createMeterState('thickener_return'); const dis = createMeterState('discharge'); const fresh = createMeterState('fresh_intake')
    const step = new Float64Array(1)
    for (const [m, a, b] of [[ret, 0, 900], [dis, 0, 100], [fresh, 0, 5000]] as const) {
      evaluateWater(s, m, a, DAY0 + HOUR, step); evaluateWater(s, m, b, DAY0 + 2 * HOUR, step)
    }
    expect(recyclingRate(s)).toBeCloseTo(0.9)
  })
})
