/**
 * Plausible ranges of reading fields, in canonical units (core/kinds.ts), checked at intake
 * after unit conversion. A value outside its range is physically impossible or outside what any
 * instrument of that kind reports: it is a firmware or wiring fault, never data, and it must not
 * reach the store where it would poison means and sums (two `tsp: 1.7e308` made a day's sum
 * Infinity). Because every stored number is bounded here, no aggregate can overflow: the largest
 * bound (1e12) times any realistic row count stays far below Number.MAX_VALUE (1.8e308).
 * Fields with tighter contract ranges (temp, rh, lat …) are checked by the zod schemas in
 * core/readings.ts already; a field missing here has no plausibility bound beyond its schema.
 */
import type { Kind } from './kinds.js'

export interface PlausibleRange {
  min: number
  max: number
  /** Why: shown in the reject detail. */
  why: string
}

/** Largest cumulative total any meter or scale reports (m³, t): far above a mine's lifetime. */
const LIFETIME_TOTAL = 1e12

export const PLAUSIBLE: Readonly<Record<Kind, Readonly<Record<string, PlausibleRange>>>> = Object.freeze({
  dust: {
    // site dust monitors (light scattering, beta gauge) read 0–30 or 0–100 mg/m³; 1 g/m³ is no longer air
    tsp: { min: 0, max: 1000, why: 'a concentration is never negative; site dust monitors read at most 100 mg/m³' },
    pm10: { min: 0, max: 1000, why: 'a concentration is never negative; site dust monitors read at most 100 mg/m³' },
    pm25: { min: 0, max: 1000, why: 'a concentration is never negative; site dust monitors read at most 100 mg/m³' }
  },
  water: {
    totalM3: { min: 0, max: LIFETIME_TOTAL, why: 'a totaliser counts up from 0 and no mine moves 10¹² m³ of water' },
    // 10⁶ m³/h ≈ 280 m³/s, a large river: no mine pipe carries it (bidirectional meters report reverse flow as negative)
    flowM3h: { min: -1e6, max: 1e6, why: 'no mine pipe carries more than 10⁶ m³/h' }
  },
  locator: {
    // Mariana trench to above Everest (m); speeds of people and haul trucks; GNSS accuracy estimates
    alt: { min: -12_000, max: 9_000, why: 'altitude on Earth is between −12,000 and 9,000 m' },
    speedKmh: { min: 0, max: 500, why: 'no person or mine vehicle moves faster than 500 km/h' },
    accuracyM: { min: 0, max: 1e6, why: 'an accuracy estimate beyond 1,000 km locates nothing' }
  },
  ore: {
    // the largest haul trucks carry about 450 t; a belt-scale interval reading stays well below 10,000 t
    tonnes: { min: 0, max: 10_000, why: 'a net weight is never negative and no single weighing exceeds 10,000 t' },
    totalT: { min: 0, max: LIFETIME_TOTAL, why: 'a totaliser counts up from 0 and no mine moves 10¹² t' }
  },
  status: {
    uptimeS: { min: 0, max: 1e10, why: 'an uptime beyond 300 years is a counter fault' }
  },
  energy: {
    totalKwh: { min: 0, max: LIFETIME_TOTAL, why: 'a totaliser counts up from 0 and no mine uses 10¹² kWh' },
    totalL: { min: 0, max: LIFETIME_TOTAL, why: 'a totaliser counts up from 0 and no mine burns 10¹² L of fuel' },
    totalKg: { min: 0, max: LIFETIME_TOTAL, why: 'a totaliser counts up from 0 and no mine burns 10¹² kg of fuel' },
    powerKw: { min: -1e6, max: 1e6, why: 'no mine draws more than 10⁶ kW (1 GW)' }
  }
})

/** The range `value` of `field` breaks, or undefined when it is plausible (or the field has no range). */
export function implausible (kind: Kind, field: string, value: number): PlausibleRange | undefined {
  const r = PLAUSIBLE[kind][field]
  return r !== undefined && (value < r.min || value > r.max) ? r : undefined
}
