import { describe, it, expect } from 'vitest'
import { createLastFix, evaluateSpeed, measureSpeed, speedBounds } from '../../../alerts/rules/over-speed.js'
import { createFenceState } from '../../../alerts/rules/fence.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat, type PolygonCoords } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
// a 2 km × 2 km haul-road zone around C, limit 30 km/h
const ZONE: PolygonCoords = [[offsetM(C, -1000, -1000), offsetM(C, 1000, -1000), offsetM(C, 1000, 1000), offsetM(C, -1000, 1000), offsetM(C, -1000, -1000)]]
const LIMIT = 30
const T0 = Date.UTC(2025, 2, 1)

/** A vehicle driving east from -900 m with fixes every 5 s; each step is [speedKmh reported (null: none), accuracy]. */
function drive (steps: Array<[number | null, number, number?]>): Signal[] {
  const s = createFenceState()
  const prev = createLastFix()
  const out: Signal[] = []
  let x = -900
  steps.forEach(([speed, acc, moved], i) => {
    x += moved ?? 0
    const [lon, lat] = offsetM(C, x, 0)
    const ts = T0 + i * 5 * SECOND
    measureSpeed(prev, speed, lon, lat, acc, ts)
    const sig = evaluateSpeed(s, ZONE, LIMIT, lon, lat, acc, ts, 3)
    if (sig) out.push(sig)
  })
  return out
}

describe('over_speed rule', () => {
  it('reported speed: fires after 3 consecutive fixes above the limit, holds, resolves after 3 within', () => {
    const steps: Array<[number, number]> = [[20, 2], [35, 2], [36, 2], [40, 2], [38, 2], [25, 2], [36, 2], [25, 2], [24, 2], [20, 2]]
    const sigs = drive(steps)
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.value, s.limit])).toEqual([
      ['fire', 'warning', 'speed_above_zone_limit', 40, 30],
      ['resolve', 'warning', 'speed_within_zone_limit', 20, 30]
    ])
    expect(sigs[0]!.at).toBe(T0 + 3 * 5 * SECOND) // fixes 1, 2, 3 over
    expect(sigs[1]!.at).toBe(T0 + 9 * 5 * SECOND) // 25 at fix 5, reset by 36 at fix 6, then 7, 8, 9 within
  })

  it('a single fast fix (a GNSS spike) never fires', () => {
    expect(drive([[20, 2], [90, 2], [20, 2], [90, 2], [20, 2]])).toEqual([])
  })

  it('derived speed from consecutive fixes: 70 m in 5 s is 50 km/h and fires; its value is the lower bound', () => {
    // 70 m per 5 s = 50.4 km/h; with 2 m accuracy each the slowest possible is 66 m / 5 s = 47.5 km/h
    const sigs = drive([[null, 2], [null, 2, 70], [null, 2, 70], [null, 2, 70], [null, 2, 70]])
    expect(sigs.map((s) => s.type)).toEqual(['fire'])
    expect(sigs[0]!.value).toBeCloseTo((66 / 5) * 3.6, 1)
    expect(sigs[0]!.at).toBe(T0 + 3 * 5 * SECOND) // the first fix has no previous one: 3 over fixes are 1, 2, 3
  })

  it('an uncertain derived speed (error circles too wide) neither fires nor clears', () => {
    // 45 m per 5 s = 32.4 km/h, but with 10 m accuracy the slowest is 25 m / 5 s = 18 km/h: not clearly over
    expect(drive([[null, 10], [null, 10, 45], [null, 10, 45], [null, 10, 45], [null, 10, 45]])).toEqual([])
    // once over, 30 m per 5 s (21.6 km/h) with 10 m accuracy could be 50 m / 5 s = 36 km/h: not clearly within
    const sigs = drive([[null, 1], [null, 1, 70], [null, 1, 70], [null, 1, 70], [null, 10, 30], [null, 10, 30], [null, 10, 30], [null, 10, 30]])
    expect(sigs.map((s) => s.type)).toEqual(['fire'])
  })

  it('leaving the zone resolves: the limit belongs to the zone', () => {
    const s = createFenceState()
    const prev = createLastFix()
    const sigs: Signal[] = []
    const xs = [0, 10, 20, 30, 1500, 1510, 1520]
    xs.forEach((x, i) => {
      const [lon, lat] = offsetM(C, x, 0)
      measureSpeed(prev, 50, lon, lat, 2, T0 + i * 5 * SECOND)
      const sig = evaluateSpeed(s, ZONE, LIMIT, lon, lat, 2, T0 + i * 5 * SECOND, 3)
      if (sig) sigs.push(sig)
    })
    expect(sigs.map((x) => [x.type, x.at])).toEqual([['fire', T0 + 2 * 5 * SECOND], ['resolve', T0 + 6 * 5 * SECOND]])
  })

  it('a late fix is not a previous fix and says nothing', () => {
    const prev = createLastFix()
    const [lon, lat] = offsetM(C, 0, 0)
    measureSpeed(prev, null, lon, lat, 2, T0 + 10 * SECOND)
    expect(Number.isNaN(speedBounds[0]!)).toBe(true) // no previous fix
    measureSpeed(prev, null, lon, lat, 2, T0)
    expect(Number.isNaN(speedBounds[0]!)).toBe(true)
    expect(prev.ts).toBe(T0 + 10 * SECOND)
  })
})
