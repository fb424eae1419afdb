/**
 * dust_exceedance, running windows (every limit except calendar-day ones, which
 * alerts/day-verdicts.ts judges from the stored day): a particulate metric's average over its
 * window above the site's limit for holdS fires; it clears only when the average stays below clearBelow for clearHoldS
 * (hysteresis, so values hovering at the limit do not flap).
 *
 * The window is a ring of WINDOW_BUCKETS time buckets (sum and count per bucket, aligned to
 * multiples of the bucket width since the epoch, as TelemetryStore.series aligns them):
 * adding a reading and reading the average are O(1) and allocate nothing (the window total is
 * re-summed over the 60 buckets only when a bucket expires, once per bucket width).
 * Only readings whose flag counts enter it (core/dust.ts flagCounts); the average is valid when
 * core/dust.ts MIN_WINDOW_COVERAGE of the window's buckets hold data (45 of 60 minutes for 1 h).
 */
import type { DustLimit, Severity } from '../../core/sites.js'
import { beijingDayStart } from '../../core/time.js'
import { MIN_WINDOW_COVERAGE } from '../../core/dust.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

/** Buckets per averaging window (a 1 h window has 1-minute buckets). */
export const WINDOW_BUCKETS = 60
/** clearBelow when the site sets none: 90 % of the limit. */
export const DEFAULT_CLEAR_FRACTION = 0.9

export interface DustState {
  readonly limit: DustLimit
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

export function createDustState (limit: DustLimit): DustState {
  return {
    limit,
    bucketMs: Math.max(1, Math.round((limit.windowS * 1000) / WINDOW_BUCKETS)),
    clearBelow: limit.clearBelow ?? limit.limit * DEFAULT_CLEAR_FRACTION,
    sums: new Float64Array(WINDOW_BUCKETS),
    counts: new Uint32Array(WINDOW_BUCKETS),
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

function slot (i: number): number {
  const s = i % WINDOW_BUCKETS
  return s < 0 ? s + WINDOW_BUCKETS : s
}

/** Moves the window's head to absolute bucket `to`, dropping buckets that fall out of it. */
function advance (s: DustState, to: number): void {
  if (to <= s.head) return
  if (to - s.head >= WINDOW_BUCKETS) {
    s.sums.fill(0); s.counts.fill(0); s.sum = 0; s.count = 0; s.filled = 0
  } else {
    let dropped = false
    for (let i = s.head + 1; i <= to; i++) {
      const k = slot(i)
      if (s.counts[k]! > 0) { s.count -= s.counts[k]!; s.filled--; dropped = true }
      s.sums[k] = 0; s.counts[k] = 0
    }
    // re-add rather than subtract: no floating-point drift, and the same sum a rebuilt window gives
    if (dropped) { let sum = 0; for (let k = 0; k < WINDOW_BUCKETS; k++) sum += s.sums[k]!; s.sum = sum }
  }
  s.head = to
}

/** Adds `sum` over `count` samples at time t to the window (late samples still inside it count). */
export function addDustSample (s: DustState, t: number, sum: number, count: number): void {
  const b = Math.floor(t / s.bucketMs)
  advance(s, b)
  if (b <= s.head - WINDOW_BUCKETS) return // older than the window
  const k = slot(b)
  if (s.counts[k] === 0) s.filled++
  s.sums[k]! += sum; s.counts[k]! += count
  s.sum += sum; s.count += count
  if (t > s.lastTs) s.lastTs = t
}

/** Window average (mg/m³), or NaN when the window is not covered enough to be valid. */
export function dustAverage (s: DustState): number {
  if (s.count === 0 || s.filled < MIN_WINDOW_COVERAGE * WINDOW_BUCKETS) return NaN
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
