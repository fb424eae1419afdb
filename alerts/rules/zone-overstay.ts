/**
 * zone_overstay (超时): a person continuously inside a zone longer than its `maxStayS` (positioning
 * systems raise 超时 per area, domain.md §5; the figure is a site setting). The stay starts at the
 * first fix clearly inside (error circle clear of the edge) and continues through straddling
 * fixes; a fix clearly outside ends it, and so does a gap between fixes longer than
 * `people.staleS` (the tag may have left unseen). Fires a warning at the first fix more than
 * maxStayS after the stay began; resolves at the first fix clearly outside.
 */
import type { PolygonCoords } from '../../core/geo.js'
import { classifyFix, CLEARLY_INSIDE, CLEARLY_OUTSIDE } from './fence.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export const STAY_STANDARD = 'AQ 6210-2007 / AQ/T 2051-2016 超时'

export interface StayState {
  /** Start of the current stay, epoch ms (NaN: not inside). */
  since: number
  lastTs: number
  active: boolean
}

export function createStayState (): StayState {
  return { since: NaN, lastTs: -Infinity, active: false }
}

/** One person fix against one zone. The signal's value is the stay so far, s; its limit maxStayS. */
export function evaluateStay (s: StayState, zone: PolygonCoords, maxStayS: number, staleS: number, lon: number, lat: number,
  accuracyM: number, ts: number): Signal | null {
  if (ts <= s.lastTs) return NO_SIGNAL // a late fix says nothing about where the person is now
  const gap = ts - s.lastTs
  s.lastTs = ts
  const where = classifyFix(lon, lat, accuracyM, zone)
  if (where === CLEARLY_OUTSIDE) {
    const stayed = (ts - s.since) / 1000
    s.since = NaN
    if (!s.active) return NO_SIGNAL
    s.active = false
    return resolve(ts, Number.isNaN(stayed) ? null : stayed, maxStayS, 'left_zone')
  }
  if (gap > staleS * 1000 && !s.active) s.since = NaN // unseen too long: the stay cannot be proved continuous
  if (Number.isNaN(s.since)) {
    if (where !== CLEARLY_INSIDE) return NO_SIGNAL
    s.since = ts
  }
  const stayed = (ts - s.since) / 1000
  if (s.active || stayed <= maxStayS) return NO_SIGNAL
  s.active = true
  return fire(ts, 'warning', stayed, maxStayS, 'stay_above_limit')
}
