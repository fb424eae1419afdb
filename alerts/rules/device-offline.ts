/**
 * device_offline: no reading for config.alerts.offlineFactor × the device's intervalS.
 * Clock-driven (engine.tick() with the injected Clock) and also detected from the readings'
 * own timestamps, so a fast-forwarded simulation or a backlog replay gives the same alert
 * as real time: a gap longer than the limit between two readings fires at the gap's limit.
 * Resolution: the device is back once it reports at its normal cadence again, i.e. a reading
 * arrives at most limit/2 after the previous one (normally the next reading after it
 * reconnects); a device whose gaps hover around the limit therefore stays in one alert.
 */
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export interface OfflineState {
  /** offlineFactor × intervalS, ms. */
  readonly limitMs: number
  /** Newest reading time, epoch ms (or the engine start for a device never seen). */
  lastSeen: number
  active: boolean
}

export function createOfflineState (intervalS: number, offlineFactor: number, lastSeen: number): OfflineState {
  return { limitMs: Math.round(intervalS * offlineFactor * 1000), lastSeen, active: false }
}

/** Clock check at `now` (epoch ms). */
export function checkOffline (s: OfflineState, now: number): Signal | null {
  if (s.active || now - s.lastSeen <= s.limitMs) return NO_SIGNAL
  s.active = true
  return fire(s.lastSeen + s.limitMs, 'warning', (now - s.lastSeen) / 1000, s.limitMs / 1000, 'no_reading_within_limit')
}

/**
 * A reading at ts. Returns a fire signal when the gap before it already exceeded the limit and
 * no alert is open (the clock check ran late or not at all), a resolve signal when the device is
 * back at its cadence.
 */
export function seenOffline (s: OfflineState, ts: number): Signal | null {
  if (ts <= s.lastSeen) return NO_SIGNAL // late data says nothing about now
  const gap = ts - s.lastSeen
  const prev = s.lastSeen
  s.lastSeen = ts
  if (!s.active) {
    if (gap <= s.limitMs) return NO_SIGNAL
    s.active = true
    return fire(prev + s.limitMs, 'warning', gap / 1000, s.limitMs / 1000, 'gap_between_readings')
  }
  if (gap > s.limitMs / 2) return NO_SIGNAL // first reading after the outage, or still irregular
  s.active = false
  return resolve(ts, gap / 1000, s.limitMs / 1000, 'reporting_again')
}
