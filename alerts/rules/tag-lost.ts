/**
 * tag_lost (标签失联): a tag not seen for longer than the limit in force where it was last seen (a
 * zone's `tagLostS` for a last fix clearly inside that zone, otherwise the site's
 * `people.tagLostS`; none: not watched), while the locator that relayed its last fix still reports
 * (a silent locator is its own device_offline alert, which explains the silence of its tags).
 * Positioning systems raise it (AQ 6210-2007, AQ/T 2051-2016: 标识卡 lost to the system). Alarm for
 * a person, warning for a vehicle. Clock-driven (engine.tick()) and also detected from the gap
 * between two fixes, as device_offline is, so a replay gives the same alert; resolves at the tag's
 * next fix.
 */
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export const TAG_LOST_STANDARD = 'AQ 6210-2007 / AQ/T 2051-2016 标识卡失联'

export interface TagState {
  /** Newest fix time, epoch ms (-Infinity: never seen since start). */
  lastSeen: number
  /** The limit in force where it was last seen, ms (0: none). */
  limitMs: number
  /** The locator that relayed its last fix. */
  device: string
  person: boolean
  active: boolean
}

export function createTagState (): TagState {
  return { lastSeen: -Infinity, limitMs: 0, device: '', person: false, active: false }
}

/** Clock check at `now`: `relayOffline` while the locator of its last fix has an offline alert. */
export function checkTag (s: TagState, now: number, relayOffline: boolean): Signal | null {
  if (s.active || s.limitMs === 0 || relayOffline || now - s.lastSeen <= s.limitMs) return NO_SIGNAL
  s.active = true
  return fire(s.lastSeen + s.limitMs, s.person ? 'alarm' : 'warning', (now - s.lastSeen) / 1000, s.limitMs / 1000, 'tag_not_seen_within_limit')
}

/** A fix that ends a gap longer than the limit, for a tag with no alert: fires at the gap's limit (the fix itself then resolves it, seenTag). */
export function gapTag (s: TagState, ts: number): Signal | null {
  if (s.active || s.limitMs === 0 || ts <= s.lastSeen || ts - s.lastSeen <= s.limitMs) return NO_SIGNAL
  s.active = true
  return fire(s.lastSeen + s.limitMs, s.person ? 'alarm' : 'warning', (ts - s.lastSeen) / 1000, s.limitMs / 1000, 'gap_between_fixes')
}

/** A fix of the tag at `ts`, relayed by `device`, where `limitMs` is in force: resolves an open alert. */
export function seenTag (s: TagState, limitMs: number, device: string, person: boolean, ts: number): Signal | null {
  if (ts <= s.lastSeen) return NO_SIGNAL // late data says nothing about now
  const gap = (ts - s.lastSeen) / 1000
  const limit = s.limitMs / 1000
  s.lastSeen = ts; s.limitMs = limitMs; s.device = device; s.person = person
  if (!s.active) return NO_SIGNAL
  s.active = false
  return resolve(ts, Number.isFinite(gap) ? gap : null, limit, 'tag_seen_again')
}
