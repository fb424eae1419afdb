import { describe, it, expect } from 'vitest'
import { createCrowdState, evaluateCrowd, headcount } from '../../../alerts/rules/zone-crowding.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat, type PolygonCoords } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
// a 100 m square zone around C
const ZONE: PolygonCoords = [[offsetM(C, -50, -50), offsetM(C, 50, -50), offsetM(C, 50, 50), offsetM(C, -50, 50), offsetM(C, -50, -50)]]
const T0 = Date.UTC(2025, 2, 1)
const IN = 0 // east of C, m: clearly inside
const OUT = 200 // clearly outside
const EDGE = 50 // on the edge: straddling with 5 m accuracy

/** Feeds rounds of fixes (one per tag per round, 5 s apart): rounds[r][i] is tag P-i's position east of C. */
function run (rounds: number[][], maxPeople = 3, hysteresis = 1, staleS = 60): { sigs: Signal[], state: ReturnType<typeof createCrowdState> } {
  const state = createCrowdState(maxPeople, hysteresis, staleS)
  const sigs: Signal[] = []
  rounds.forEach((round, r) => round.forEach((x, i) => {
    const [lon, lat] = offsetM(C, x, 0)
    const sig = evaluateCrowd(state, ZONE, `P-${i}`, lon, lat, 5, T0 + r * 5 * SECOND)
    if (sig) sigs.push(sig)
  }))
  return { sigs, state }
}

describe('zone_overcrowded rule', () => {
  it('fires when the headcount exceeds maxPeople, holds, and resolves at maxPeople − hysteresis', () => {
    const { sigs } = run([
      [IN, IN, IN, OUT], // 3: at the limit
      [IN, IN, IN, IN], // 4: fires
      [IN, IN, IN, OUT], // 3: holds (hysteresis 1)
      [IN, IN, IN, IN], // 4: holds, no second fire
      [IN, IN, OUT, OUT], // 2: resolves
      [IN, IN, OUT, OUT]
    ])
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.value, s.limit])).toEqual([
      ['fire', 'alarm', 'headcount_above_limit', 4, 3],
      ['resolve', 'warning', 'headcount_within_limit', 2, 3]
    ])
    expect(sigs[0]!.at).toBe(T0 + 5 * SECOND)
    expect(sigs[1]!.at).toBe(T0 + 4 * 5 * SECOND)
  })

  it('counts distinct tags: many fixes of one tag are one person', () => {
    const state = createCrowdState(1, 1, 60)
    const [lon, lat] = offsetM(C, IN, 0)
    for (let i = 0; i < 20; i++) expect(evaluateCrowd(state, ZONE, 'P-0', lon, lat, 5, T0 + i * SECOND)).toBeNull()
    expect(headcount(state, T0 + 20 * SECOND)).toBe(1)
  })

  it('a straddling fix keeps the previous membership: edge jitter never changes the count', () => {
    const { sigs, state } = run([
      [IN, IN, IN, IN], // fires
      [EDGE, EDGE, IN, IN], // still 4
      [IN, IN, IN, EDGE],
      [EDGE, EDGE, EDGE, EDGE]
    ])
    expect(sigs.map((s) => s.type)).toEqual(['fire'])
    expect(headcount(state, T0 + 3 * 5 * SECOND)).toBe(4)
    // a tag first seen straddling the edge is not counted
    const fresh = run([[EDGE, EDGE, EDGE, EDGE, EDGE]])
    expect(fresh.sigs).toEqual([])
    expect(headcount(fresh.state, T0)).toBe(0)
  })

  it('a tag whose last fix inside is older than staleS stops counting, and the alert resolves', () => {
    // four tags inside; then only P-0 reports (P-1..P-3 went silent inside the zone)
    const rounds = [[IN, IN, IN, IN], ...Array.from({ length: 20 }, () => [IN])]
    const { sigs } = run(rounds, 3, 1, 60)
    expect(sigs.map((s) => [s.type, s.value])).toEqual([['fire', 4], ['resolve', 1]])
    // the silent tags' last fix was at T0; at T0 + 65 s it is more than 60 s old
    expect(sigs[1]!.at).toBe(T0 + 13 * 5 * SECOND)
  })

  it('several tags in one base-station message (same ts) all count at once', () => {
    const { sigs } = run([[IN, IN, IN, IN]])
    expect(sigs.map((s) => [s.type, s.at, s.value])).toEqual([['fire', T0, 4]])
  })

  it('a late fix of a tag does not move it', () => {
    const state = createCrowdState(3, 1, 60)
    const [lon, lat] = offsetM(C, IN, 0)
    const [olon, olat] = offsetM(C, OUT, 0)
    evaluateCrowd(state, ZONE, 'P-0', lon, lat, 5, T0 + 10 * SECOND)
    evaluateCrowd(state, ZONE, 'P-0', olon, olat, 5, T0) // older fix outside
    expect(headcount(state, T0 + 10 * SECOND)).toBe(1)
  })

  it('hysteresis 0 resolves as soon as the headcount is back at maxPeople', () => {
    const { sigs } = run([[IN, IN, IN, IN], [IN, IN, IN, OUT]], 3, 0)
    expect(sigs.map((s) => [s.type, s.value])).toEqual([['fire', 4], ['resolve', 3]])
  })
})
