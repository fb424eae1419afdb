import { describe, it, expect } from 'vitest'
import { createStayState, evaluateStay } from '../../../alerts/rules/zone-overstay.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat, type PolygonCoords } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
const ZONE: PolygonCoords = [[offsetM(C, -50, -50), offsetM(C, 50, -50), offsetM(C, 50, 50), offsetM(C, -50, 50), offsetM(C, -50, -50)]]
const T0 = Date.UTC(2025, 2, 1)

/** Fixes every `stepS` seconds at `xs[i]` m east of C; limit 60 s, staleS 30. */
function run (xs: number[], stepS = 10, maxStayS = 60, staleS = 30): Signal[] {
  const s = createStayState()
  const out: Signal[] = []
  xs.forEach((x, i) => { const [lon, lat] = offsetM(C, x, 0); const sig = evaluateStay(s, ZONE, maxStayS, staleS, lon, lat, 1, T0 + i * stepS * SECOND); if (sig) out.push(sig) })
  return out
}

describe('zone_overstay rule', () => {
  it('fires after more than maxStayS continuously inside, holds, resolves on leaving', () => {
    const sigs = run([200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 200])
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.value, s.limit, s.at])).toEqual([
      ['fire', 'warning', 'stay_above_limit', 70, 60, T0 + 8 * 10 * SECOND],
      ['resolve', 'warning', 'left_zone', 90, 60, T0 + 10 * 10 * SECOND]
    ])
  })

  it('a visit of exactly maxStayS, or two short visits, never fire', () => {
    expect(run([0, 0, 0, 0, 0, 0, 0, 200])).toEqual([]) // 60 s inside
    expect(run([0, 0, 0, 0, 200, 0, 0, 0, 0, 200])).toEqual([])
  })

  it('straddling fixes continue a stay but never start one', () => {
    expect(run([50, 50, 50, 50, 50, 50, 50, 50, 50, 50])).toEqual([])
    expect(run([0, 50, 50, 50, 50, 50, 50, 50]).map((s) => s.type)).toEqual(['fire'])
  })

  it('a gap longer than staleS restarts the stay; late fixes are ignored', () => {
    expect(run([0, 0, 0, 0, 0, 0, 0, 0], 40)).toEqual([]) // every gap 40 s > staleS 30
    const s = createStayState()
    const [lon, lat] = offsetM(C, 0, 0)
    evaluateStay(s, ZONE, 60, 30, lon, lat, 1, T0 + 20 * SECOND)
    expect(evaluateStay(s, ZONE, 60, 30, lon, lat, 1, T0)).toBeNull()
    expect(s.since).toBe(T0 + 20 * SECOND)
  })
})
