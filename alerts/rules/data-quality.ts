/**
 * data_quality: device-quality problems, each its own subject so one open alert per problem:
 *  - `${device}:flag`        an HJ 212-2017 data flag other than N (F, M, S, D, C, T, B);
 *  - `${device}:implausible` a physically impossible value (negative concentration or tonnes,
 *                            PM2.5 > PM10 > TSP beyond tolerance, totaliser running backwards);
 *  - `${device}:stuck:${field}` a value unchanged for config.alerts.stuckAfterS.
 * Flag and implausible alerts fire on the first bad reading and clear only after clean readings
 * spanning CLEAN_FOR_S (so a flag toggling every minute is one alert); stuck clears when the value
 * moves. Silence is never evidence: a device that stops reporting keeps its alert open, and its
 * first clean reading after the gap starts the clean span, it does not end it.
 */
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

/** A flag or implausible-value alert clears after this long of clean readings, seconds. */
export const CLEAN_FOR_S = 600 // 10 min
/** PM2.5 ≤ PM10 ≤ TSP must hold within this relative tolerance ... */
export const ORDER_TOLERANCE = 0.1 // 10 %
/** ... plus this absolute one, mg/m³ (instrument noise at low concentrations). */
export const ORDER_TOLERANCE_ABS = 0.005

/** State of one on/off problem (flag or implausible) of one device. */
export interface EpisodeState {
  active: boolean
  /** Event time of the newest bad reading, epoch ms. */
  lastBad: number
  /** Newest reading time seen, epoch ms. */
  lastTs: number
  /** Event time of the first clean reading after the newest bad one (NaN while none): the clean span's start. */
  cleanSince: number
}

export function createEpisodeState (): EpisodeState {
  return { active: false, lastBad: -Infinity, lastTs: -Infinity, cleanSince: NaN }
}

/**
 * One reading's verdict for an on/off problem: `bad` is a reason code (e.g. 'flag_D',
 * 'pm25_above_pm10') or null when the reading is clean.
 */
export function evaluateEpisode (s: EpisodeState, bad: string | null, value: number | null, ts: number): Signal | null {
  if (ts > s.lastTs) s.lastTs = ts
  if (bad !== null) {
    if (ts > s.lastBad) { s.lastBad = ts; s.cleanSince = NaN }
    if (s.active) return NO_SIGNAL
    s.active = true
    return fire(ts, 'warning', value, null, bad)
  }
  if (!s.active || ts < s.lastTs || ts <= s.lastBad) return NO_SIGNAL
  // the span is measured over clean readings, not from the bad one: a silent gap proves nothing
  if (Number.isNaN(s.cleanSince)) s.cleanSince = ts
  if (ts - s.cleanSince < CLEAN_FOR_S * 1000) return NO_SIGNAL
  s.active = false; s.cleanSince = NaN
  return resolve(ts, value, null, 'clean_readings')
}

/** Reason code for a dust reading's flag, or null when it is N (or absent: N is the default). */
export function flagProblem (flag: unknown): string | null {
  if (flag === undefined || flag === 'N') return null
  switch (flag) { // constant strings: no allocation per reading
    case 'F': return 'flag_F'
    case 'M': return 'flag_M'
    case 'S': return 'flag_S'
    case 'D': return 'flag_D'
    case 'C': return 'flag_C'
    case 'T': return 'flag_T'
    case 'B': return 'flag_B'
    default: return 'flag_unknown'
  }
}

/** Reason code when dust values are physically impossible, else null. Values in mg/m³ (NaN = absent). */
export function dustImplausible (tsp: number, pm10: number, pm25: number): string | null {
  if (tsp < 0 || pm10 < 0 || pm25 < 0) return 'negative_concentration'
  // PM2.5 ⊂ PM10 ⊂ TSP by definition (GB 3095-2012 §3): a smaller fraction cannot exceed a larger one
  if (pm25 > pm10 * (1 + ORDER_TOLERANCE) + ORDER_TOLERANCE_ABS) return 'pm25_above_pm10'
  if (pm10 > tsp * (1 + ORDER_TOLERANCE) + ORDER_TOLERANCE_ABS) return 'pm10_above_tsp'
  if (pm25 > tsp * (1 + ORDER_TOLERANCE) + ORDER_TOLERANCE_ABS) return 'pm25_above_tsp'
  return null
}

/** Reason code when an ore reading is impossible (negative net weight), else null. */
export function oreImplausible (tonnes: number): string | null {
  return tonnes < 0 ? 'negative_tonnes' : null
}

/** State of one numeric field of one device for the stuck-value check. */
export interface StuckState {
  active: boolean
  value: number
  /** Event time the current value was first seen, epoch ms. */
  since: number
  lastTs: number
}

export function createStuckState (): StuckState {
  return { active: false, value: NaN, since: NaN, lastTs: -Infinity }
}

/** A field's value at ts; fires when it has not changed for stuckAfterS, resolves when it changes. */
export function evaluateStuck (s: StuckState, value: number, ts: number, stuckAfterS: number): Signal | null {
  if (ts <= s.lastTs) return NO_SIGNAL // late or duplicate readings do not tell whether it moved
  s.lastTs = ts
  if (value !== s.value) {
    const was = s.active
    s.value = value; s.since = ts; s.active = false
    return was ? resolve(ts, value, null, 'value_changed') : NO_SIGNAL
  }
  if (s.active || ts - s.since < stuckAfterS * 1000) return NO_SIGNAL
  s.active = true
  return fire(ts, 'warning', value, stuckAfterS, 'value_unchanged')
}
