/**
 * blasting_zone_entry (爆破警戒区有人): while a blasting window of a zone is active
 * (core/schedules.ts), the zone is a no-entry zone and a person tag inside it is an alarm.
 * Before a blast the warning area is cleared of people and guarded (GB 6722-2014 爆破安全规程,
 * 警戒); a positioning system shows who is still inside.
 *
 * The same fix discipline as zone_intrusion (rules/fence.ts): fire after fence.consecutiveFixes
 * consecutive fixes wholly inside during the window, resolve after as many wholly outside. When
 * the window is over, the next fix of a person still counted inside resolves the alert
 * (`blasting_window_ended`): the zone is no longer no-entry.
 */
import { evaluateFence, type FenceState } from './fence.js'
import { NO_SIGNAL, resolve, type Signal } from './signal.js'

export const BLASTING_STANDARD = 'GB 6722-2014 爆破安全规程(爆破警戒)' // GB 6722-2014 警戒: people out of the warning area before the blast

/**
 * One fix of one person against one zone with a blasting window; `active`: the window is open at
 * the fix's time; `where`: the fix against the zone (fence.ts classifyFix), computed once by the
 * caller and shared with zone_intrusion (the polygon test is the costly part of a fix).
 */
export function evaluateBlasting (s: FenceState, where: number, active: boolean, accuracyM: number, ts: number, consecutiveFixes: number): Signal | null {
  if (!active) {
    if (ts <= s.lastTs) return NO_SIGNAL
    s.lastTs = ts
    s.run = 0
    if (!s.active) return NO_SIGNAL
    s.active = false
    return resolve(ts, accuracyM, null, 'blasting_window_ended')
  }
  // outside the zone is the safe side: flip the classification
  return evaluateFence(s, -where, ts, consecutiveFixes, 'alarm', accuracyM, 'inside_blasting_zone', 'left_blasting_zone')
}
