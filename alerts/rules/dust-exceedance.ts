/**
 * dust_exceedance, running windows (every limit except calendar-day ones, which
 * alerts/day-verdicts.ts judges from the stored day): a particulate metric's average over its
 * window above the site's limit for holdS fires; it clears only when the average stays below clearBelow for clearHoldS
 * (hysteresis, so values hovering at the limit do not flap).
 *
 * The window is a ring of time buckets (core/dust.ts windowBuckets: at most 60, none narrower
 * than the monitor's reporting interval; sum and count per bucket, aligned to multiples of the
 * bucket width since the epoch, as TelemetryStore.series aligns them): adding a reading and
 * reading the average are O(1) and allocate nothing (the window total is re-summed over the
 * buckets only when a bucket expires, once per bucket width).
 * Only readings whose flag counts enter it (core/dust.ts flagCounts); the average is valid when
 * core/dust.ts MIN_WINDOW_COVERAGE of the window's buckets hold data (45 of 60 minutes for 1 h
 * of a 1-minute monitor, 9 of 12 reports of a 5-minute one).
 */
import type { DustLimit, Severity } from '../../core/sites.js'
import { beijingDayStart } from '../../core/time.js'
import { MIN_WINDOW_COVERAGE, RUNNING_WINDOW_BUCKETS, windowBuckets } from '../../core/dust.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

/** Most buckets per averaging window (a 1 h window of a 1-minute monitor has 1-minute buckets). */
export const WINDOW_BUCKETS = RUNNING_WINDOW_BUCKETS
/** clearBelow when the site sets none: 90 % of the limit. */
export const DEFAULT_CLEAR_FRACTION = 0.9

export interface DustState {
  readonly limit: DustLimit
  /** Buckets in the window (core/dust.ts windowBuckets). */
  readonly buckets: number
  readonly bucketMs: number
  readonly clearBelow: number
  readonly sums: Float64Array
  readonly counts: Uint32Array
  /** Absolute index (floor(ts / bucketMs)) of the newest bucket. */
  head: number
  sum: number
  count: number
  /** Buckets in the window holding at least one reading. */
  filled: number
  /** Newest reading time seen, epoch ms. */
  lastTs: number
  /** The rule considers the subject in exceedance (an alert is, or should be, open). */
  active: boolean
  /** When the average first went above the limit (not active), or below clearBelow (active); NaN if not. */
  since: number
  /** Exceedances fired on the Beijing day starting at `day` (for maxPerDay). */
  day: number
  firedToday: number
}

/** The window state of one limit for a monitor reporting every `intervalS` (default: 1 h / 60, i.e. every bucket of a 1-minute monitor). */
export function createDustState (limit: DustLimit, intervalS = limit.windowS / WINDOW_BUCKETS): DustState {
  const buckets = windowBuckets(limit.windowS, intervalS)
  return {
    limit,
    buckets,
    bucketMs: Math.max(1, Math.round((limit.windowS * 1000) / buckets)),
    clearBelow: limit.clearBelow ?? limit.limit * DEFAULT_CLEAR_FRACTION,
    sums: new Float64Array(buckets),
    counts: new Uint32Array(buckets),
    head: -Infinity,
    sum: 0,
    count: 0,
    filled: 0,
    lastTs: -Infinity,
    active: false,
    since: NaN,
    day: NaN,
    firedToday: 0
  }
}

function slot (st: DustState, i: number): number {
  const s = i % st.buckets
  return s < 0 ? s + st.buckets : s
}

/** Moves the window's head to absolute bucket `to`, dropping buckets that fall out of it. */
function advance (s: DustState, to: number): void {
  if (to <= s.head) return
  if (to - s.head >= s.buckets) {
    s.sums.fill(0); s.counts.fill(0); s.sum = 0; s.count = 0; s.filled = 0
  } else {
    let dropped = false
    for (let i = s.head + 1; i <= to; i++) {
      const k = slot(s, i)
      if (s.counts[k]! > 0) { s.count -= s.counts[k]!; s.filled--; dropped = true }
      s.sums[k] = 0; s.counts[k] = 0
    }
    // re-add rather than subtract: no floating-point drift, and the same sum a rebuilt window gives
    if (dropped) { let sum = 0; for (let k = 0; k < s.buckets; k++) sum += s.sums[k]!; s.sum = sum }
  }
  s.head = to
}

/** Adds `sum` over `count` samples at time t to the window (late samples still inside it count). */
export function addDustSample (s: DustState, t: number, sum: number, count: number): void {
  const b = Math.floor(t / s.bucketMs)
  advance(s, b)
  if (b <= s.head - s.buckets) return // older than the window
  const k = slot(s, b)
  if (s.counts[k] === 0) s.filled++
  s.sums[k]! += sum; s.counts[k]! += count
  s.sum += sum; s.count += count
  if (t > s.lastTs) s.lastTs = t
}

/** Window average (mg/m³), or NaN when the window is not covered enough to be valid. */
export function dustAverage (s: DustState): number {
  if (s.count === 0 || s.filled < MIN_WINDOW_COVERAGE * s.buckets) return NaN
  return s.sum / s.count
}

function severityFor (s: DustState): Severity {
  // local rules (e.g. DB13/2934-2019) tolerate maxPerDay exceedances a day; past that it is an alarm
  if (s.limit.maxPerDay !== undefined && s.firedToday > s.limit.maxPerDay) return 'alarm'
  return s.limit.severity
}

/**
 * Evaluates one reading's value of this metric (mg/m³) at event time `now` (the reading's ts).
 * `value` is NaN when the reading carries no usable value (flagged or missing).
 */
export function evaluateDust (s: DustState, value: number, ts: number, now: number): Signal | null {
  if (Number.isFinite(value)) addDustSample(s, ts, value, 1)
  else advance(s, Math.floor(ts / s.bucketMs))
  return checkDust(s, now)
}

/** Applies the hold / clear-hold logic at event time `now`. */
export function checkDust (s: DustState, now: number): Signal | null {
  if (now < s.lastTs) return NO_SIGNAL // a late reading does not move time backwards
  const avg = dustAverage(s)
  if (Number.isNaN(avg)) return NO_SIGNAL
  const l = s.limit
  if (!s.active) {
    if (avg <= l.limit) { s.since = NaN; return NO_SIGNAL }
    if (Number.isNaN(s.since)) s.since = now
    if (now - s.since < l.holdS * 1000) return NO_SIGNAL
    s.active = true; s.since = NaN
    const day = beijingDayStart(now)
    if (day !== s.day) { s.day = day; s.firedToday = 0 }
    s.firedToday++
    return fire(now, severityFor(s), avg, l.limit, 'avg_above_limit_for_hold')
  }
  if (avg >= s.clearBelow) { s.since = NaN; return NO_SIGNAL }
  if (Number.isNaN(s.since)) s.since = now
  if (now - s.since < l.clearHoldS * 1000) return NO_SIGNAL
  s.active = false; s.since = NaN
  return resolve(now, avg, l.limit, 'avg_below_clear_level_for_clear_hold')
}
