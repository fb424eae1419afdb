/**
 * over_speed (超速): a vehicle inside a zone faster than the zone's `maxSpeedKmh` (a site setting:
 * haul-road and plant speed limits are the mine's own traffic rules; positioning systems raise
 * over-speed per area, domain.md §5). The speed is the fix's `speedKmh` when it carries one
 * (GNSS Doppler speed); otherwise it is derived from the previous fix of the same vehicle, with
 * the accuracy discipline of the fences: the fix counts as over only when even the slowest speed
 * the two error circles allow, (distance − acc₁ − acc₂) ÷ Δt, is above the limit, and as within
 * only when even the fastest, (distance + acc₁ + acc₂) ÷ Δt, is at or below it.
 * Like boundary_breach it fires after fence.consecutiveFixes consecutive over fixes clearly inside
 * the zone and resolves after as many within the limit or clearly outside the zone; anything
 * else (straddling the zone edge, an uncertain derived speed) resets the run.
 */
import { distanceM, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { classifyFix, evaluateFence, CLEARLY_INSIDE, CLEARLY_OUTSIDE, STRADDLING, type FenceState } from './fence.js'
import type { Signal } from './signal.js'

export const SPEED_STANDARD = '矿山道路限速(现场设置)'

/** The vehicle's previous fix, for a derived speed (one per vehicle, shared by its zones). */
export interface LastFix {
  ts: number
  lon: number
  lat: number
  accuracyM: number
}

export function createLastFix (): LastFix {
  return { ts: -Infinity, lon: NaN, lat: NaN, accuracyM: 0 }
}

const a: LonLat = [0, 0]
const b: LonLat = [0, 0]

/** Lower and upper bound of the speed (km/h) between `prev` and a fix: [NaN, NaN] without a usable previous fix. */
export const speedBounds = new Float64Array(2)

/**
 * Sets speedBounds from the fix's reported speed (both bounds) or from the previous fix; then
 * records the fix as the previous one (a fix older than it is ignored).
 */
export function measureSpeed (prev: LastFix, speedKmh: number | null, lon: number, lat: number, accuracyM: number, ts: number): void {
  if (speedKmh !== null) {
    speedBounds[0] = speedKmh; speedBounds[1] = speedKmh
  } else if (ts > prev.ts && Number.isFinite(prev.ts)) {
    a[0] = prev.lon; a[1] = prev.lat; b[0] = lon; b[1] = lat
    const d = distanceM(a, b)
    const err = prev.accuracyM + accuracyM
    const h = (ts - prev.ts) / 3_600_000
    speedBounds[0] = Math.max(0, d - err) / 1000 / h
    speedBounds[1] = (d + err) / 1000 / h
  } else {
    speedBounds[0] = NaN; speedBounds[1] = NaN
  }
  if (ts > prev.ts) { prev.ts = ts; prev.lon = lon; prev.lat = lat; prev.accuracyM = accuracyM }
}

/**
 * One vehicle fix against one zone's limit, after measureSpeed. The signal's value is the
 * speed's lower bound at the transition, km/h; its limit maxSpeedKmh.
 */
export function evaluateSpeed (s: FenceState, zone: PolygonCoords, maxSpeedKmh: number, lon: number, lat: number,
  accuracyM: number, ts: number, consecutiveFixes: number): Signal | null {
  const place = classifyFix(lon, lat, accuracyM, zone)
  const lo = speedBounds[0]!; const hi = speedBounds[1]!
  let where = STRADDLING
  if (place === CLEARLY_OUTSIDE || (place === CLEARLY_INSIDE && hi <= maxSpeedKmh)) where = 1
  else if (place === CLEARLY_INSIDE && lo > maxSpeedKmh) where = -1
  const signal = evaluateFence(s, where, ts, consecutiveFixes, 'warning', lo, 'speed_above_zone_limit', 'speed_within_zone_limit')
  if (signal !== null) { signal.limit = maxSpeedKmh; if (Number.isNaN(lo)) signal.value = null }
  return signal
}
