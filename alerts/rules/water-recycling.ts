/**
 * water_recycling_low: the site's water recycling rate over the Beijing calendar day below its
 * floor (default 0.85, Gansu 甘资字〔2023〕11号). Volumes come from totaliser differences of each
 * meter, summed by role; the formula is a site setting (domain.md §4):
 *   reuse:          recycled ÷ (recycled + fresh_intake)
 *   beneficiation:  returned ÷ (returned + discharge)
 * where recycled = returned = recycled_return + thickener_return + tailings_return (mill_feed is
 * internal circulation and counted in neither).
 *
 * When it is evaluated (so 00:05 with three readings never alerts):
 *  - during the day, only after MIN_ELAPSED_S of the day has passed AND the denominator holds at
 *    least MIN_VOLUME_M3: a running rate below the floor fires a warning;
 *  - when the first reading of the next day arrives, the finished day is judged: below the floor
 *    fires (or escalates to) an alarm.
 * It resolves when a later evaluation finds the rate at or above floor + HYSTERESIS.
 */
import type { WaterRole, WaterSettings } from '../../core/sites.js'
import { beijingDayStart, HOUR } from '../../core/time.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

/** Running (intra-day) checks start this far into the Beijing day, seconds. */
export const MIN_ELAPSED_S = 6 * 3600 // 06:00
/** ... and only once the denominator volume of the day reaches this, m³. */
export const MIN_VOLUME_M3 = 50
/** The rate must reach floor + this before the alert clears. */
export const HYSTERESIS = 0.02
/** A drop to below this share of the previous total is a meter reset (counter restarted near 0). */
export const RESET_FRACTION = 0.1
/** A drop of more than this share of rolloverM3 is a rollover (domain.md §4; core/sites.ts). */
export const ROLLOVER_FRACTION = 0.9

/** How a totaliser value relates to the previous one. */
export const STEP_NORMAL = 0
export const STEP_RESET = 1
export const STEP_ROLLOVER = 2
export const STEP_BACKWARDS = 3
export const STEP_FIRST = 4

export interface MeterState {
  readonly role: WaterRole
  /** Last totaliser value, m³ (NaN before the first reading). */
  total: number
  lastTs: number
  /** Index into WaterState.volumes this meter adds to: 0 recycled, 1 fresh, 2 discharge, -1 none. */
  readonly bin: number
}

export interface WaterState {
  readonly settings: WaterSettings
  /** Beijing day start the volumes belong to. */
  day: number
  /** m³ of the day by bin: [recycled, fresh intake, discharge]. */
  readonly volumes: Float64Array
  active: boolean
  /** Severity of the open alert's latest signal ('alarm' once a whole day was below the floor). */
  alarm: boolean
  lastTs: number
}

export function roleBin (role: WaterRole): number {
  switch (role) {
    case 'recycled_return': case 'thickener_return': case 'tailings_return': return 0
    case 'fresh_intake': return 1
    case 'discharge': return 2
    default: return -1 // mill_feed: internal circulation
  }
}

export function createMeterState (role: WaterRole): MeterState {
  return { role, total: NaN, lastTs: -Infinity, bin: roleBin(role) }
}

export function createWaterState (settings: WaterSettings): WaterState {
  return { settings, day: NaN, volumes: new Float64Array(3), active: false, alarm: false, lastTs: -Infinity }
}

/** Classifies the step from `prev` to `next` (m³) and returns it; `out[0]` receives the volume. */
export function totaliserStep (prev: number, next: number, rolloverM3: number, out: Float64Array): number {
  if (Number.isNaN(prev)) { out[0] = 0; return STEP_FIRST }
  if (next >= prev) { out[0] = next - prev; return STEP_NORMAL }
  const drop = prev - next
  if (drop > ROLLOVER_FRACTION * rolloverM3) { out[0] = rolloverM3 - prev + next; return STEP_ROLLOVER }
  if (next < RESET_FRACTION * prev) { out[0] = next; return STEP_RESET }
  out[0] = 0 // ran backwards with no reset pattern: count nothing, data_quality reports it
  return STEP_BACKWARDS
}

/** The day's rate for the site's formula, or NaN when there is no volume yet. */
export function recyclingRate (s: WaterState): number {
  const recycled = s.volumes[0]!
  const other = s.settings.formula === 'reuse' ? s.volumes[1]! : s.volumes[2]!
  const denom = recycled + other
  return denom > 0 ? recycled / denom : NaN
}

function denominator (s: WaterState): number {
  return s.volumes[0]! + (s.settings.formula === 'reuse' ? s.volumes[1]! : s.volumes[2]!)
}

const scratch = new Float64Array(1)

/**
 * Feeds one totaliser reading of `meter` (value m³ at ts) into the site's day state. Returns the
 * step kind (STEP_*) through `stepOut[0]` for data_quality, and a signal when the alert changes.
 */
export function evaluateWater (s: WaterState, meter: MeterState, total: number, ts: number, stepOut: Float64Array): Signal | null {
  if (ts <= meter.lastTs) { stepOut[0] = STEP_NORMAL; return NO_SIGNAL } // late or duplicate: totaliser differences need order
  const step = totaliserStep(meter.total, total, s.settings.rolloverM3, scratch)
  stepOut[0] = step
  // backwards: keep the higher baseline, so a single bad value is neither counted twice nor lost
  if (step !== STEP_BACKWARDS) meter.total = total
  meter.lastTs = ts
  const day = beijingDayStart(ts)
  let signal: Signal | null = NO_SIGNAL
  if (day !== s.day) {
    if (day > s.day || Number.isNaN(s.day)) {
      // first reading of a new day: judge the finished day, then start the new one
      if (!Number.isNaN(s.day) && day > s.day) signal = judgeDay(s, ts)
      s.day = day; s.volumes.fill(0)
    } else {
      return NO_SIGNAL // a reading of an earlier day (out of order across meters): not counted
    }
  }
  if (meter.bin >= 0) s.volumes[meter.bin]! += scratch[0]!
  if (ts > s.lastTs) s.lastTs = ts
  return signal ?? checkRunning(s, ts)
}

function judgeDay (s: WaterState, at: number): Signal | null {
  const rate = recyclingRate(s)
  const floor = s.settings.floor
  if (Number.isNaN(rate) || denominator(s) < MIN_VOLUME_M3) return NO_SIGNAL
  if (rate < floor) {
    if (s.active && s.alarm) return NO_SIGNAL
    s.active = true; s.alarm = true
    return fire(at, 'alarm', rate, floor, 'day_rate_below_floor')
  }
  if (s.active && rate >= floor + HYSTERESIS) {
    s.active = false; s.alarm = false
    return resolve(at, rate, floor, 'day_rate_recovered')
  }
  return NO_SIGNAL
}

/** Intra-day evaluation, gated by MIN_ELAPSED_S and MIN_VOLUME_M3. */
export function checkRunning (s: WaterState, now: number): Signal | null {
  if (now - s.day < MIN_ELAPSED_S * 1000 || now - s.day >= 24 * HOUR) return NO_SIGNAL
  if (denominator(s) < MIN_VOLUME_M3) return NO_SIGNAL
  const rate = recyclingRate(s)
  const floor = s.settings.floor
  if (!s.active) {
    if (rate >= floor) return NO_SIGNAL
    s.active = true; s.alarm = false
    return fire(now, 'warning', rate, floor, 'running_rate_below_floor')
  }
  if (rate < floor + HYSTERESIS) return NO_SIGNAL
  s.active = false; s.alarm = false
  return resolve(now, rate, floor, 'running_rate_recovered')
}
