/**
 * Shared geofence logic for boundary_breach and zone_intrusion: where a fix is relative to a
 * polygon given its accuracy, and a consecutive-fix counter with hysteresis.
 * domain.md §5: a fix whose error circle straddles the fence is not a breach yet.
 */
import { pointInPolygon, distanceToBoundaryM, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { fire, resolve, NO_SIGNAL, type FixEvidence, type Signal } from './signal.js'
import type { Severity } from '../../core/sites.js'

export const CLEARLY_INSIDE = 1
export const STRADDLING = 0
export const CLEARLY_OUTSIDE = -1

const point: LonLat = [0, 0] // reused: no allocation per fix

/** Distance (m) from the last fix classifyFix saw to the polygon's edge (kept so it is computed once per fix). */
export let lastFenceDistanceM = NaN

/** +1 when the whole error circle is inside the polygon, -1 when wholly outside, 0 when it overlaps the edge. */
export function classifyFix (lon: number, lat: number, accuracyM: number, polygon: PolygonCoords): number {
  point[0] = lon; point[1] = lat
  const inside = pointInPolygon(point, polygon)
  lastFenceDistanceM = distanceToBoundaryM(point, polygon)
  if (lastFenceDistanceM <= accuracyM) return STRADDLING
  return inside ? CLEARLY_INSIDE : CLEARLY_OUTSIDE
}

export interface FenceState {
  active: boolean
  /** Consecutive fixes on the alerting side (not active) or on the safe side (active). */
  run: number
  lastTs: number
  /** The fixes of the current run (kept only while it is on the alerting side). */
  fixes: FixEvidence[]
}

export function createFenceState (): FenceState {
  return { active: false, run: 0, lastTs: -Infinity, fixes: [] }
}

/**
 * Where an altitude is relative to a licensed elevation range given the fix's accuracy:
 * -1 when the whole interval alt ± accuracy is outside the range, +1 when it is inside, 0 otherwise.
 */
export function classifyElevation (alt: number, accuracyM: number, minM: number, maxM: number): number {
  if (alt + accuracyM < minM || alt - accuracyM > maxM) return CLEARLY_OUTSIDE
  if (alt - accuracyM >= minM && alt + accuracyM <= maxM) return CLEARLY_INSIDE
  return STRADDLING
}

/**
 * Counts consecutive fixes: `bad` fixes (clearly on the alerting side) fire after `needed`,
 * `good` fixes (clearly on the safe side) resolve after `needed`; a straddling fix resets the run.
 * `where` is the fix's classification expressed as +1 good, -1 bad, 0 straddling.
 * With `fix` (boundary and elevation rules), the firing signal's value is the largest `beyondM`
 * of the run and its evidence the run's fixes; otherwise its value is `value`.
 */
export function evaluateFence (s: FenceState, where: number, ts: number, needed: number, severity: Severity,
  value: number, reasonFire: string, reasonResolve: string, fix?: FixEvidence): Signal | null {
  if (ts <= s.lastTs) return NO_SIGNAL // late fixes say nothing about where the entity is now
  s.lastTs = ts
  const wanted = s.active ? 1 : -1
  if (where !== wanted) { s.run = 0; if (s.fixes.length > 0) s.fixes = []; return NO_SIGNAL }
  if (fix && !s.active) s.fixes.push(fix)
  if (++s.run < needed) return NO_SIGNAL
  s.run = 0
  s.active = !s.active
  if (!s.active) return resolve(ts, value, null, reasonResolve)
  const signal = fire(ts, severity, value, null, reasonFire)
  if (fix) {
    let worst = 0
    for (const f of s.fixes) if (f.beyondM > worst) worst = f.beyondM
    signal.value = worst
    signal.evidence = s.fixes
    s.fixes = []
  }
  return signal
}
