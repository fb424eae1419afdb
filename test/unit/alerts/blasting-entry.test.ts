import { describe, it, expect } from 'vitest'
import { evaluateBlasting } from '../../../alerts/rules/blasting-entry.js'
import { classifyFix, createFenceState } from '../../../alerts/rules/fence.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat, type PolygonCoords } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
const ZONE: PolygonCoords = [[offsetM(C, -50, -50), offsetM(C, 50, -50), offsetM(C, 50, 50), offsetM(C, -50, 50), offsetM(C, -50, -50)]]
const T0 = Date.UTC(2025, 2, 1)

/** Fixes every 10 s at `xs[i]` m east of C (accuracy 2 m, 3 consecutive fixes); `active[i]`: the blasting window is open. */
function run (xs: number[], active: boolean[] | boolean = true): Signal[] {
  const s = createFenceState()
  const out: Signal[] = []
  xs.forEach((x, i) => {
    const [lon, lat] = offsetM(C, x, 0)
    const on = typeof active === 'boolean' ? active : active[i]!
    const sig = evaluateBlasting(s, classifyFix(lon, lat, 2, ZONE), on, 2, T0 + i * 10 * SECOND, 3)
    if (sig) out.push(sig)
  })
  return out
}

describe('blasting_zone_entry rule', () => {
  it('fires an alarm after 3 fixes inside during the window, holds, resolves after 3 outside', () => {
    const sigs = run([200, 0, 0, 0, 0, 0, 200, 200, 200])
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.at])).toEqual([
      ['fire', 'alarm', 'inside_blasting_zone', T0 + 3 * 10 * SECOND],
      ['resolve', 'warning', 'left_blasting_zone', T0 + 8 * 10 * SECOND]
    ])
  })

  it('outside the window the zone is not no-entry: nothing fires', () => {
    expect(run([0, 0, 0, 0, 0], false)).toEqual([])
  })

  it('fixes inside before the window opens do not count; the run starts with the window', () => {
    const sigs = run([0, 0, 0, 0, 0], [false, false, true, true, true])
    expect(sigs.map((s) => [s.type, s.at])).toEqual([['fire', T0 + 4 * 10 * SECOND]])
  })

  it('the window ending resolves a person still inside at the next fix', () => {
    const sigs = run([0, 0, 0, 0, 0, 0], [true, true, true, true, false, false])
    expect(sigs.map((s) => [s.type, s.reason, s.at])).toEqual([
      ['fire', 'inside_blasting_zone', T0 + 2 * 10 * SECOND],
      ['resolve', 'blasting_window_ended', T0 + 4 * 10 * SECOND]
    ])
  })

  it('straddling fixes (error circle over the edge) never fire; late fixes are ignored', () => {
    expect(run([49, 49, 49, 49, 49])).toEqual([])
    const s = createFenceState()
    const [lon, lat] = offsetM(C, 0, 0)
    const inside = classifyFix(lon, lat, 2, ZONE)
    evaluateBlasting(s, inside, true, 2, T0 + 60 * SECOND, 3)
    expect(evaluateBlasting(s, inside, true, 2, T0, 3)).toBeNull()
    expect(evaluateBlasting(s, inside, false, 2, T0, 3)).toBeNull()
    expect(s.run).toBe(1)
  })
})
