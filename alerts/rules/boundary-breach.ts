/**
 * boundary_breach (越界): a person or vehicle outside the licence polygon. Fires after
 * fence.consecutiveFixes consecutive fixes whose error circle (accuracyM, default
 * fence.defaultAccuracyM) lies wholly outside; resolves after as many wholly inside.
 * Legally significant (自然资规〔2024〕1号: 越界开采 removes a mine from the green-mine list), so alarm.
 */
import type { PolygonCoords } from '../../core/geo.js'
import { classifyFix, evaluateFence, type FenceState } from './fence.js'
import type { Signal } from './signal.js'

export const BOUNDARY_STANDARD = '浙自然资函〔2021〕63号 电子围栏 / 自然资规〔2024〕1号'

/** One fix of one entity against the licence boundary. The signal's value is the fix accuracy, m. */
export function evaluateBoundary (s: FenceState, boundary: PolygonCoords, lon: number, lat: number, accuracyM: number,
  ts: number, consecutiveFixes: number): Signal | null {
  // inside the licence area is the safe side
  const where = classifyFix(lon, lat, accuracyM, boundary)
  return evaluateFence(s, where, ts, consecutiveFixes, 'alarm', accuracyM, 'outside_boundary', 'back_inside_boundary')
}
