/**
 * The water rules every consumer shares (alert engine, daily report, dashboards, simulators):
 * which meter roles count as returned, fresh or discharged water, the volumes of a day (from
 * totaliser steps, core/totaliser.ts), and the day's recycling rate per formula (domain.md §4).
 * Pure functions; docs/alerts.md and docs/api.md describe them.
 */

import { totaliserIncrease, type TotaliserSum } from './totaliser.js'

/** Water meter roles (a site's meters each have one; core/sites.ts validates it). */
export const WATER_ROLES = ['fresh_intake', 'mill_feed', 'thickener_return', 'tailings_return', 'recycled_return', 'discharge'] as const
export type WaterRole = (typeof WATER_ROLES)[number]

/** Roles whose volume is water returned to the process: the numerator of every formula. */
export const RETURN_ROLES: readonly WaterRole[] = ['recycled_return', 'thickener_return', 'tailings_return']

export const WATER_FORMULAS = ['reuse', 'beneficiation'] as const
export type WaterFormula = (typeof WATER_FORMULAS)[number]

/** What each formula computes, its Chinese and English name, and the rule it implements (quoted in alert texts). */
export const FORMULA_INFO: Readonly<Record<WaterFormula, { zh: string, en: string, standard: string }>> = Object.freeze({
  // 水重复利用率: recycled ÷ (recycled + fresh intake); no provincial green-mine rule names this indicator
  reuse: { zh: '水重复利用率', en: 'water reuse rate', standard: '水重复利用率 = 回用水量 ÷ (回用水量 + 新水取用量)' },
  // Gansu 甘资字〔2023〕11号: 选矿废水循环利用率 ≥ 85 %, process water returned ÷ wastewater generated
  beneficiation: { zh: '选矿废水循环利用率', en: 'beneficiation wastewater recycling rate', standard: '甘资字〔2023〕11号 选矿废水循环利用率' }
})

/** Index of a role's volume in DayVolumes: 0 returned, 1 fresh intake, 2 discharge, -1 counted in none (mill_feed). */
export function roleBin (role: WaterRole): number {
  if (RETURN_ROLES.includes(role)) return 0
  if (role === 'fresh_intake') return 1
  if (role === 'discharge') return 2
  return -1 // mill_feed: internal circulation
}

// The totaliser step rules (rise, rollover, reset, backwards glitch) are shared with energy meters: core/totaliser.ts
export { ROLLOVER_FRACTION, RESET_FRACTION, STEP_NORMAL, STEP_RESET, STEP_ROLLOVER, STEP_BACKWARDS, STEP_FIRST, totaliserStep, nextBaseline, totaliserIncrease, type TotaliserSum } from './totaliser.js'

/** A day's volumes by bin, m³: [returned, fresh intake, discharge]. */
export type DayVolumes = ArrayLike<number>

/** The denominator's second term for a formula: fresh intake (reuse) or discharge (beneficiation). */
export function otherBin (formula: WaterFormula): number {
  return formula === 'reuse' ? 1 : 2
}

/** returned + the formula's other term, m³. */
export function rateDenominator (volumes: DayVolumes, formula: WaterFormula): number {
  return volumes[0]! + volumes[otherBin(formula)]!
}

/**
 * The recycling rate of the volumes for the formula, or NaN when the denominator is 0:
 *   reuse:          returned ÷ (returned + fresh_intake)
 *   beneficiation:  returned ÷ (returned + discharge)
 */
export function recyclingRate (volumes: DayVolumes, formula: WaterFormula): number {
  const d = rateDenominator(volumes, formula)
  return d > 0 ? volumes[0]! / d : NaN
}

/** A whole day below this denominator volume (m³) is not judged: too little water to mean anything. */
export const MIN_DAY_VOLUME_M3 = 50

export interface MeterValues {
  role: WaterRole
  /** Totaliser values in time order: the baseline before the day (when any), then the day's. */
  values: readonly number[]
}

/** Each meter's volume and the day's volumes by bin, from the meters' totaliser values. */
export function dayVolumes (meters: readonly MeterValues[], rollover: number): { volumes: [number, number, number], meters: TotaliserSum[] } {
  const volumes: [number, number, number] = [0, 0, 0]
  const sums = meters.map((m) => {
    const s = totaliserIncrease(m.values, rollover)
    const bin = roleBin(m.role)
    if (bin >= 0) volumes[bin as 0 | 1 | 2] += s.total
    return s
  })
  return { volumes, meters: sums }
}

export interface WaterDayVerdict {
  /** The day's rate, NaN when the denominator is 0. */
  rate: number
  /** returned + the formula's other term, m³. */
  denominatorM3: number
  /** The day holds enough water (MIN_DAY_VOLUME_M3) to be judged. */
  judged: boolean
  /** Judged and below the floor. */
  below: boolean
}

/** The whole-day verdict the alert engine and the daily report share. */
export function waterDayVerdict (volumes: DayVolumes, formula: WaterFormula, floor: number): WaterDayVerdict {
  const rate = recyclingRate(volumes, formula)
  const denominatorM3 = rateDenominator(volumes, formula)
  const judged = denominatorM3 >= MIN_DAY_VOLUME_M3
  return { rate, denominatorM3, judged, below: judged && rate < floor }
}

/** Does a meter of this role measure returned (recycled) water, the rate's numerator. */
export function isReturnRole (role: WaterRole | undefined): boolean {
  return role !== undefined && RETURN_ROLES.includes(role)
}

/** The role of the denominator's other term: fresh intake (reuse) or discharge (beneficiation). */
export function otherRole (formula: WaterFormula): WaterRole {
  return formula === 'reuse' ? 'fresh_intake' : 'discharge'
}

/** Roles whose meters enter the formula's rate (numerator and denominator). */
export function formulaRoles (formula: WaterFormula): readonly WaterRole[] {
  return [...RETURN_ROLES, otherRole(formula)]
}
