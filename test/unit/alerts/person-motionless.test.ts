import { describe, it, expect } from 'vitest'
import { createStillState, evaluateMotionless } from '../../../alerts/rules/person-motionless.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
const T0 = Date.UTC(2025, 2, 1)

/** Fixes every `stepS` s at `xs[i]` m east of C, accuracy `acc` m; limit 60 s, radius 2 m, staleS 30, 3 fixes to move. */
function run (xs: number[], { stepS = 10, limitS = 60 as number | null, acc = 1 } = {}): Signal[] {
  const s = createStillState()
  const out: Signal[] = []
  xs.forEach((x, i) => { const [lon, lat] = offsetM(C, x, 0); const sig = evaluateMotionless(s, limitS, 2, 30, 3, lon, lat, acc, T0 + i * stepS * SECOND); if (sig) out.push(sig) })
  return out
}

describe('person_motionless rule', () => {
  it('fires an alarm after more than the limit without moving, holds while still, resolves when the person moves', () => {
    const sigs = run([0, 0.5, 0, 1, 0, 0.5, 0, 1, 0.5, 0, 20, 25, 30])
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.value, s.limit, s.at])).toEqual([
      ['fire', 'alarm', 'motionless_above_limit', 70, 60, T0 + 7 * 10 * SECOND],
      ['resolve', 'warning', 'moving_again', expect.closeTo(30, 1), 60, T0 + 12 * 10 * SECOND]
    ])
  })

  it('exactly the limit still, or a person walking, never fires', () => {
    expect(run([0, 0, 0, 0, 0, 0, 0, 20, 20, 20])).toEqual([]) // 60 s still, then moves
    expect(run(Array.from({ length: 30 }, (_, i) => i * 10))).toEqual([]) // 1 m/s
  })

  it('position jitter within both fixes\' accuracy is not movement (GNSS 5 m): still fires; a real move resolves', () => {
    expect(run([0, 8, -3, 9, 0, 7, -4, 8, 0], { acc: 5 }).map((s) => s.type)).toEqual(['fire']) // |Δ| ≤ 2 + 5 + 5
    expect(run([0, 0, 0, 0, 0, 0, 0, 0, 13, 13, 13], { acc: 5 }).map((s) => s.type)).toEqual(['fire', 'resolve'])
  })

  it('one or two outlying fixes (a GNSS spike) are not movement: the stillness goes on', () => {
    expect(run([0, 0, 0, 0, 30, 0, 0, 30, 30, 0, 0]).map((s) => [s.type, s.value])).toEqual([['fire', 90]]) // the outlying fixes themselves are not judged
  })

  it('a gap longer than staleS restarts the stillness; late fixes are ignored; no limit where the person is: no alert', () => {
    expect(run([0, 0, 0, 0, 0, 0, 0, 0], { stepS: 40 })).toEqual([]) // every gap 40 s > staleS 30
    expect(run([0, 0, 0, 0, 0, 0, 0, 0, 0], { limitS: null })).toEqual([])
    const s = createStillState()
    const [lon, lat] = offsetM(C, 0, 0)
    evaluateMotionless(s, 60, 2, 30, 3, lon, lat, 1, T0 + 20 * SECOND)
    expect(evaluateMotionless(s, 60, 2, 30, 3, lon, lat, 1, T0)).toBeNull()
    expect(s.since).toBe(T0 + 20 * SECOND)
  })
})
