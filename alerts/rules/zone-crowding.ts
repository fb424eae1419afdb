/**
 * zone_overcrowded (区域超员): more person tags inside a zone than its `maxPeople` (personnel
 * positioning systems raise 超员 per area: AQ 6210-2007, AQ/T 2051-2016; domain.md §5; the
 * figure itself is a site setting). A tag counts while its latest fix is clearly inside the zone
 * (error circle clear of the edge, as for zone_intrusion) and no older than `people.staleS`:
 * a tag that stopped reporting inside the zone stops counting. A straddling fix keeps the tag's
 * previous membership, so GNSS/UWB jitter along the edge never changes the count.
 * Fires when the count exceeds maxPeople, resolves when it falls to maxPeople − people.hysteresis
 * or fewer (between the two the alert holds). Judged at each person fix of the site (tags report
 * every 1–30 s, domain.md §7), by the fixes' own timestamps.
 */
import type { PolygonCoords } from '../../core/geo.js'
import { classifyFix, CLEARLY_INSIDE, CLEARLY_OUTSIDE } from './fence.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export const CROWD_STANDARD = 'AQ 6210-2007 / AQ/T 2051-2016 区域超员'

export interface CrowdState {
  readonly maxPeople: number
  /** Resolve at maxPeople − hysteresis or fewer. */
  readonly hysteresis: number
  readonly staleMs: number
  /** Tags whose latest fix is clearly inside: entity id → that fix's time, epoch ms. */
  inside: Map<string, number>
  active: boolean
  lastTs: number
}

export function createCrowdState (maxPeople: number, hysteresis: number, staleS: number): CrowdState {
  return { maxPeople, hysteresis, staleMs: staleS * 1000, inside: new Map(), active: false, lastTs: -Infinity }
}

/** Tags counted at `ts`: those clearly inside whose last fix is at most staleMs old (staler ones are dropped). */
export function headcount (s: CrowdState, ts: number): number {
  const oldest = ts - s.staleMs
  let n = 0
  for (const [id, at] of s.inside) {
    if (at < oldest) s.inside.delete(id)
    else n++
  }
  return n
}

/** One person fix against one zone. The signal's value is the headcount, its limit maxPeople. */
export function evaluateCrowd (s: CrowdState, zone: PolygonCoords, entityId: string, lon: number, lat: number,
  accuracyM: number, ts: number): Signal | null {
  const where = classifyFix(lon, lat, accuracyM, zone)
  const prev = s.inside.get(entityId)
  if (prev === undefined || ts > prev) { // a late fix says nothing about where the tag is now
    if (where === CLEARLY_INSIDE) s.inside.set(entityId, ts)
    else if (where === CLEARLY_OUTSIDE) s.inside.delete(entityId)
    else if (prev !== undefined) s.inside.set(entityId, ts) // straddling: still inside, and reporting
  }
  if (ts < s.lastTs) return NO_SIGNAL // equal: several tags in one base-station message share a ts
  s.lastTs = ts
  const n = headcount(s, ts)
  if (!s.active && n > s.maxPeople) {
    s.active = true
    return fire(ts, 'alarm', n, s.maxPeople, 'headcount_above_limit')
  }
  if (s.active && n <= s.maxPeople - s.hysteresis) {
    s.active = false
    return resolve(ts, n, s.maxPeople, 'headcount_within_limit')
  }
  return NO_SIGNAL
}
