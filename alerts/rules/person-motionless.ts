/**
 * person_motionless (人员长时间静止, man-down): a person tag that has not moved for longer than the
 * limit in force where it is (a zone's `motionlessS` for a fix clearly inside that zone, otherwise
 * the site's `people.motionlessS`; domain.md §5 lists "motionless" among the alarms positioning
 * systems raise; the figure is a site setting). Accuracy discipline as for the fences: a fix has
 * *moved* only when it lies farther from the anchor (the fix the stillness started at) than
 * `people.motionlessRadiusM` plus both fixes' accuracy radii, so position jitter of a tag lying
 * still never counts as movement, and the person moves only after `fence.consecutiveFixes` such
 * fixes in a row (a single GNSS spike is not a person getting up). A gap between fixes longer than `people.staleS` restarts the
 * stillness (it cannot be proved continuous). Fires an alarm at the first fix still for more than
 * the limit; resolves at the first fix that has moved.
 */
import { distanceM } from '../../core/geo.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export const MOTIONLESS_STANDARD = 'AQ 6210-2007 / AQ/T 2051-2016 人员静止'

export interface StillState {
  /** The fix the stillness started at (lon, lat, accuracy m); `since` NaN: none yet. */
  lon: number
  lat: number
  accuracyM: number
  since: number
  lastTs: number
  active: boolean
  /** Consecutive fixes that have moved from the anchor. */
  moved: number
}

export function createStillState (): StillState {
  return { lon: NaN, lat: NaN, accuracyM: 0, since: NaN, lastTs: -Infinity, active: false, moved: 0 }
}

/**
 * One person fix. `limitS` is the limit in force at the fix (null: none there). The signal's
 * value is the time still, s (fire) or the distance moved, m (resolve); its limit the limit, s.
 */
export function evaluateMotionless (s: StillState, limitS: number | null, radiusM: number, staleS: number, needed: number,
  lon: number, lat: number, accuracyM: number, ts: number): Signal | null {
  if (ts <= s.lastTs) return NO_SIGNAL // a late fix says nothing about the person now
  const gap = ts - s.lastTs
  s.lastTs = ts
  if (Number.isNaN(s.since) || (gap > staleS * 1000 && !s.active)) return anchor(s, lon, lat, accuracyM, ts)
  const moved = distanceM([s.lon, s.lat], [lon, lat])
  s.moved = moved > radiusM + s.accuracyM + accuracyM ? s.moved + 1 : 0
  if (s.moved >= needed) {
    anchor(s, lon, lat, accuracyM, ts)
    if (!s.active) return NO_SIGNAL
    s.active = false
    return resolve(ts, moved, limitS, 'moving_again')
  }
  if (s.moved > 0 || s.active || limitS === null) return NO_SIGNAL // a fix that has moved is not still (nor yet a move)
  const still = (ts - s.since) / 1000
  if (still <= limitS) return NO_SIGNAL
  s.active = true
  return fire(ts, 'alarm', still, limitS, 'motionless_above_limit')
}

function anchor (s: StillState, lon: number, lat: number, accuracyM: number, ts: number): null {
  s.lon = lon; s.lat = lat; s.accuracyM = accuracyM; s.since = ts; s.moved = 0
  return NO_SIGNAL
}
