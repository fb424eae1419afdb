/**
 * boundary_breach (越界): a person or vehicle outside the licence polygon. Fires after
 * fence.consecutiveFixes consecutive fixes whose error circle (accuracyM, default
 * fence.defaultAccuracyM) lies wholly outside; resolves after as many wholly inside.
 * Legally significant (自然资规〔2024〕1号: 越界开采 removes a mine from the green-mine list), so alarm.
 */
import type { PolygonCoords } from '../../core/geo.js'
import { classifyElevation, classifyFix, evaluateFence, lastFenceDistanceM, CLEARLY_OUTSIDE, type FenceState } from './fence.js'
import type { Signal } from './signal.js'

export const BOUNDARY_STANDARD = '浙自然资函〔2021〕63号 电子围栏 / 自然资规〔2024〕1号'

/**
 * One fix of one entity against the licence boundary. The firing signal's value is the largest
 * distance outside the polygon over the run of fixes (m); its evidence the fixes of the run.
 */
export function evaluateBoundary (s: FenceState, boundary: PolygonCoords, lon: number, lat: number, accuracyM: number,
  ts: number, consecutiveFixes: number, alt: number | null = null): Signal | null {
  // inside the licence area is the safe side
  const where = classifyFix(lon, lat, accuracyM, boundary)
  const beyondM = where === CLEARLY_OUTSIDE ? lastFenceDistanceM : 0
  // evidence is allocated only for a fix that joins a run towards firing (never per fix while open)
  return evaluateFence(s, where, ts, consecutiveFixes, 'alarm', beyondM, 'outside_boundary', 'back_inside_boundary',
    where === CLEARLY_OUTSIDE && !s.active ? { ts, lon, lat, alt, accuracyM, beyondM } : undefined)
}

/**
 * 超层 (domain.md §5): a fix's altitude outside the site's licensed elevation range
 * (sites[].elevation), with the same consecutive-fix and accuracy rules as the polygon.
 * The firing signal's value is the largest distance below minM (or above maxM), m.
 */
export function evaluateElevation (s: FenceState, range: { minM: number, maxM: number }, lon: number, lat: number, alt: number,
  accuracyM: number, ts: number, consecutiveFixes: number): Signal | null {
  const where = classifyElevation(alt, accuracyM, range.minM, range.maxM)
  const beyondM = alt < range.minM ? range.minM - alt : alt > range.maxM ? alt - range.maxM : 0
  return evaluateFence(s, where, ts, consecutiveFixes, 'alarm', beyondM, alt < range.minM ? 'below_licensed_elevation' : 'above_licensed_elevation',
    'back_within_licensed_elevation', where === CLEARLY_OUTSIDE && !s.active ? { ts, lon, lat, alt, accuracyM, beyondM } : undefined)
}
