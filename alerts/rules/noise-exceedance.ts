/**
 * noise_exceedance (厂界噪声超标), GB 12348-2008, on the `noise` (LA) field of boundary dust
 * monitors (core/noise.ts noiseApplies). Two subjects per monitor:
 *  - `${device}:noise` the clock hour's equivalent level Leq (energy mean of its counted readings,
 *    valid with noise.hourMinMinutes minutes of data) against the day or night limit in force at
 *    the hour's start. An hour is judged when the first reading of a later hour arrives. It fires
 *    after holdHours consecutive valid hours above the limit and clears after clearHours
 *    consecutive valid hours at or below limit − clearMarginDb (hysteresis). Hours without
 *    enough data are skipped: they neither extend nor break a run (silence is not evidence).
 *  - `${device}:noise:peak` a single counted night reading above the night limit plus the
 *    allowance for the site's sudden noise (frequent 10 dB, occasional 15 dB): fires at once,
 *    clears after peakClearS of counted readings at or below that level.
 * Readings count as dust readings do (core/dust.ts flagCounts, via core/noise.ts noiseCounts).
 * Readings older than the hour being accumulated are ignored here (the daily report recomputes
 * hours from the store).
 */
import type { NoiseSettings } from '../../core/noise.js'
import { addNoiseLevel, createNoiseHour, hourLeq, isNight, nightPeakLimit, noiseLimitAt, resetNoiseHour, type NoiseHour } from '../../core/noise.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export interface NoiseState {
  readonly settings: NoiseSettings
  hour: NoiseHour
  /** Hourly Leq alert open (or due). */
  active: boolean
  /** Consecutive valid hours above the limit (not active) or at/below the clear level (active). */
  run: number
  /** Night peak alert open. */
  peakActive: boolean
  lastPeak: number
  /** First counted reading at or below the peak level after the newest peak (NaN: none). */
  quietSince: number
  lastTs: number
}

export function createNoiseState (settings: NoiseSettings): NoiseState {
  return { settings, hour: createNoiseHour(), active: false, run: 0, peakActive: false, lastPeak: -Infinity, quietSince: NaN, lastTs: -Infinity }
}

/** Judges the finished hour in `s.hour` at event time `at`. */
function judgeHour (s: NoiseState, at: number): Signal | null {
  const cfg = s.settings
  const h = s.hour
  const level = hourLeq(h, cfg.hourMinMinutes)
  if (Number.isNaN(level)) return NO_SIGNAL
  const limit = noiseLimitAt(cfg, h.start)
  if (!s.active) {
    s.run = level > limit ? s.run + 1 : 0
    if (s.run < cfg.holdHours) return NO_SIGNAL
    s.active = true; s.run = 0
    return fire(at, 'alarm', level, limit, isNight(cfg, h.start) ? 'night_leq_above_limit' : 'day_leq_above_limit')
  }
  s.run = level <= limit - cfg.clearMarginDb ? s.run + 1 : 0
  if (s.run < cfg.clearHours) return NO_SIGNAL
  s.active = false; s.run = 0
  return resolve(at, level, limit, 'leq_below_clear_level_for_clear_hours')
}

/**
 * One counted level (dB(A)) at `ts` for the hourly Leq subject (NaN: the reading does not count,
 * it only moves time on). Returns the signal of the hour it completes, if any.
 */
export function evaluateNoiseHour (s: NoiseState, level: number, ts: number): Signal | null {
  if (ts < s.lastTs) return NO_SIGNAL // a late reading: its hour was judged, or is being accumulated
  s.lastTs = ts
  let sig: Signal | null = NO_SIGNAL
  if (Number.isNaN(s.hour.start)) resetNoiseHour(s.hour, ts)
  else if (ts >= s.hour.start + 3_600_000) {
    sig = judgeHour(s, ts)
    resetNoiseHour(s.hour, ts)
  }
  if (Number.isFinite(level)) addNoiseLevel(s.hour, ts, level)
  return sig
}

/** One counted level at `ts` for the night peak subject (NaN: not counted). */
export function evaluateNoisePeak (s: NoiseState, level: number, ts: number): Signal | null {
  if (!Number.isFinite(level)) return NO_SIGNAL
  const cfg = s.settings
  const peak = nightPeakLimit(cfg)
  if (isNight(cfg, ts) && level > peak) {
    if (ts > s.lastPeak) { s.lastPeak = ts; s.quietSince = NaN }
    if (s.peakActive) return NO_SIGNAL
    s.peakActive = true
    return fire(ts, 'alarm', level, peak, 'night_peak_above_allowance')
  }
  if (!s.peakActive || ts <= s.lastPeak) return NO_SIGNAL
  if (Number.isNaN(s.quietSince)) s.quietSince = ts
  if (ts - s.quietSince < cfg.peakClearS * 1000) return NO_SIGNAL
  s.peakActive = false; s.quietSince = NaN
  return resolve(ts, level, peak, 'no_peak_for_clear_hold')
}
