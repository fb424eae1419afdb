/**
 * water_recycling_low: the site's water recycling rate below its floor (default 0.85; the
 * formula and its rule are site settings, core/water.ts FORMULA_INFO). This file is the live,
 * day-to-date half; the whole-day verdict is computed from the stored day (alerts/day-verdicts.ts),
 * so it does not depend on which meter's backlog arrived first.
 *
 * Volumes come from each meter's totaliser steps (core/water.ts totaliserStep: rise, rollover,
 * reset, backwards glitch), summed by role (core/water.ts roleBin).
 *
 * Running (intra-day) warning, subject WATER_SUBJECT:
 *  - only for the day that is still under way by the clock (a finished day is judged from the
 *    store), after MIN_ELAPSED_S of the day AND once the denominator holds MIN_DAY_VOLUME_M3:
 *    a running rate below the floor fires a warning;
 *  - it resolves when the running rate reaches floor + HYSTERESIS, or when its day ends
 *    (reason day_ended: the whole-day verdict takes over).
 */
import type { WaterSettings } from '../../core/sites.js'
import {
  MIN_DAY_VOLUME_M3, nextBaseline, rateDenominator, recyclingRate as rateOf, roleBin, totaliserStep, type WaterRole
} from '../../core/water.js'
import { beijingDayStart, DAY } from '../../core/time.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'

export { STEP_NORMAL, STEP_RESET, STEP_ROLLOVER, STEP_BACKWARDS, STEP_FIRST, totaliserStep } from '../../core/water.js'

/** Running (intra-day) checks start this far into the Beijing day, seconds. */
export const MIN_ELAPSED_S = 6 * 3600 // 06:00
/** The running rate must reach floor + this before the warning clears. */
export const HYSTERESIS = 0.02

export interface MeterState {
  readonly role: WaterRole
  /** Baseline totaliser value, m³ (NaN before the first reading; a backwards glitch keeps the higher one). */
  total: number
  lastTs: number
  /** Index into WaterState.volumes this meter adds to (core/water.ts roleBin). */
  readonly bin: number
}

export interface WaterState {
  readonly settings: WaterSettings
  /** Beijing day start the volumes belong to. */
  day: number
  /** m³ of the day by bin: [returned, fresh intake, discharge]. */
  readonly volumes: Float64Array
  /** The running warning is open. */
  active: boolean
  lastTs: number
}

export function createMeterState (role: WaterRole): MeterState {
  return { role, total: NaN, lastTs: -Infinity, bin: roleBin(role) }
}

export function createWaterState (settings: WaterSettings): WaterState {
  return { settings, day: NaN, volumes: new Float64Array(3), active: false, lastTs: -Infinity }
}

/** The day-to-date rate for the site's formula, or NaN when there is no volume yet. */
export function recyclingRate (s: WaterState): number {
  return rateOf(s.volumes, s.settings.formula)
}

const scratch = new Float64Array(1)

/**
 * Feeds one totaliser reading of `meter` (value m³ at ts) into the site's day-to-date state;
 * `now` is the clock (a day that is over gets no running checks). Returns the step kind
 * (STEP_*) through `stepOut[0]` for data_quality, and a signal when the running warning changes.
 */
export function evaluateWater (s: WaterState, meter: MeterState, total: number, ts: number, stepOut: Float64Array, now = -Infinity): Signal | null {
  if (ts <= meter.lastTs) { stepOut[0] = 0; return NO_SIGNAL } // late or duplicate: totaliser differences need order
  const step = totaliserStep(meter.total, total, s.settings.rolloverM3, scratch)
  stepOut[0] = step
  meter.total = nextBaseline(meter.total, total, step)
  meter.lastTs = ts
  const day = beijingDayStart(ts)
  let signal: Signal | null = NO_SIGNAL
  if (day !== s.day) {
    if (!(day > s.day) && !Number.isNaN(s.day)) return NO_SIGNAL // an earlier day: its verdict comes from the store
    if (s.active) { s.active = false; signal = resolve(ts, recyclingRate(s), s.settings.floor, 'day_ended') }
    s.day = day; s.volumes.fill(0)
  }
  if (meter.bin >= 0) s.volumes[meter.bin]! += scratch[0]!
  if (ts > s.lastTs) s.lastTs = ts
  return signal ?? checkRunning(s, ts, now)
}

/** Intra-day evaluation at event time `at`, gated by MIN_ELAPSED_S, MIN_DAY_VOLUME_M3 and the day still running at `now`. */
export function checkRunning (s: WaterState, at: number, now = -Infinity): Signal | null {
  if (at - s.day < MIN_ELAPSED_S * 1000 || at - s.day >= DAY || now >= s.day + DAY) return NO_SIGNAL
  if (rateDenominator(s.volumes, s.settings.formula) < MIN_DAY_VOLUME_M3) return NO_SIGNAL
  const rate = recyclingRate(s)
  const floor = s.settings.floor
  if (!s.active) {
    if (rate >= floor) return NO_SIGNAL
    s.active = true
    return fire(at, 'warning', rate, floor, 'running_rate_below_floor')
  }
  if (rate < floor + HYSTERESIS) return NO_SIGNAL
  s.active = false
  return resolve(at, rate, floor, 'running_rate_recovered')
}
