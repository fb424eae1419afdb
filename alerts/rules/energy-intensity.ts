/**
 * energy_intensity_high (单位矿石能耗偏高): a Beijing day's energy per tonne of ore above the site's
 * operational limit (energy.intensityLimitKgcePerT, kgce/t; no standard sets one). A whole-day
 * verdict, judged from the stored day (alerts/day-verdicts.ts) with core/energy.ts: each energy
 * meter's consumption from its totaliser steps (core/totaliser.ts: rise, rollover, reset,
 * backwards glitch), converted to standard coal with the GB/T 2589-2020 coefficients, over the
 * day's ore output (core/ore.ts). A day whose output is below energy.minOreT is not judged.
 * Subject `intensity:{date}`: one per site and day. It fires at the day's end with the site's
 * severity; late data that brings the day to or under the limit resolves it (late_data_*).
 *
 * The live half is per meter: each reading's totaliser step, so that a totaliser running
 * backwards (neither a reset nor a rollover) raises data_quality as for water meters.
 */
import type { EnergySettings, EnergyDayVerdict } from '../../core/energy.js'
import { nextBaseline, totaliserStep } from '../../core/totaliser.js'
import { fire, resolve, type Signal } from './signal.js'

export interface EnergyMeterState {
  /** Baseline totaliser value in the meter's unit (NaN before the first reading; a backwards glitch keeps the higher one). */
  total: number
  lastTs: number
}

export function createEnergyMeterState (): EnergyMeterState {
  return { total: NaN, lastTs: -Infinity }
}

const scratch = new Float64Array(1)

/** Feeds one totaliser value; returns its step kind (core/totaliser.ts STEP_*), or -1 for a late or duplicate reading (not classified). */
export function evaluateEnergyMeter (s: EnergyMeterState, total: number, ts: number, rollover: number): number {
  if (ts <= s.lastTs) return -1 // totaliser differences need order; the day verdict reads the stored day
  const step = totaliserStep(s.total, total, rollover, scratch)
  s.total = nextBaseline(s.total, total, step)
  s.lastTs = ts
  return step
}

/** The signal of a judged day (null when the day is not judged): fire above the limit, else resolve an open one. */
export function energyDaySignal (v: EnergyDayVerdict, s: EnergySettings, dayEnd: number, now: number): Signal | null {
  if (!v.judged) return null
  const limit = s.intensityLimitKgcePerT!
  return v.above
    ? fire(dayEnd, s.severity, v.intensity, limit, 'day_intensity_above_limit')
    : resolve(Math.max(now, dayEnd), v.intensity, limit, 'late_data_day_intensity_within_limit')
}
