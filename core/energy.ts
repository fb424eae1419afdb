/**
 * The energy (能耗) rules every consumer shares (alert engine, daily report, console, simulators):
 * energy meters' roles and what they meter, how their totalisers become a day's consumption (the
 * step rules of core/totaliser.ts, as for water), the conversion to standard coal with the
 * GB/T 2589-2020 coefficients (site settings with the standard's values as defaults, domain.md §9),
 * and the energy intensity per tonne of ore (ore output from core/ore.ts). Pure functions;
 * docs/alerts.md and docs/api.md describe them.
 */
import { z } from 'zod'
import { totaliserIncrease, type TotaliserSum } from './totaliser.js'

/** What an energy meter supplies (a site's meters each have one; core/sites.ts validates it). Meters must not overlap: the site's consumption is their sum. */
export const ENERGY_ROLES = ['crusher', 'mill', 'pumps', 'haulage', 'conveyor', 'ventilation', 'other'] as const
export type EnergyRole = (typeof ENERGY_ROLES)[number]

/** What an energy meter's totaliser counts: electricity in kWh, diesel in litres or in kilograms. */
export const ENERGY_METERS = ['electricity_kwh', 'diesel_l', 'diesel_kg'] as const
export type EnergyMeter = (typeof ENERGY_METERS)[number]

export const ENERGY_CARRIERS = ['electricity', 'diesel'] as const
export type EnergyCarrier = (typeof ENERGY_CARRIERS)[number]

/** Per meter type: the energy carrier, the reading field holding its totaliser (core/kinds.ts FIELDS.energy) and its unit. */
export const METER_INFO: Readonly<Record<EnergyMeter, { readonly carrier: EnergyCarrier, readonly field: string, readonly unit: string }>> = Object.freeze({
  electricity_kwh: { carrier: 'electricity', field: 'totalKwh', unit: 'kWh' },
  diesel_l: { carrier: 'diesel', field: 'totalL', unit: 'L' },
  diesel_kg: { carrier: 'diesel', field: 'totalKg', unit: 'kg' }
})

export const ENERGY_STANDARD = 'GB/T 2589-2020'

/** What energy_intensity_high quotes: the site's own limit, with the standard of the coal equivalents behind the value. */
export function energyLimitSource (lang: 'zh' | 'en' = 'zh'): string {
  return lang === 'zh' ? `本矿运营限值,折标准煤按 ${ENERGY_STANDARD}` : `site operational limit; standard coal per ${ENERGY_STANDARD}`
}
/** kgce in one tce (tonne of standard coal equivalent). */
export const KGCE_PER_TCE = 1000

export const energySettingsSchema = z.strictObject({
  /** kgce per kWh of electricity. */
  electricityKgcePerKwh: z.number().positive().default(0.1229), // GB/T 2589-2020 附录A 电力(当量值) 0.1229 kgce/(kW·h)
  /** kgce per kg of diesel. */
  dieselKgcePerKg: z.number().positive().default(1.4571), // GB/T 2589-2020 附录A 柴油 1.4571 kgce/kg
  /** Diesel density for meters counting litres, kg/L: a site setting (domain.md §9: about 0.84 kg/L; it varies with grade and temperature). */
  dieselDensityKgPerL: z.number().positive().max(2).default(0.84),
  /** Totaliser rollover value, in the meter's own unit (a drop larger than 90 % of it is a rollover, core/totaliser.ts). */
  rollover: z.number().positive().default(1e9),
  /**
   * energy_intensity_high fires when a day's energy per tonne of ore is above this, kgce/t. An
   * operational limit of the site (no standard sets one for mines). Absent: no intensity alert.
   */
  intensityLimitKgcePerT: z.number().positive().optional(),
  /** A day with less ore output than this, t, is not judged (its intensity means little). Site setting. */
  minOreT: z.number().nonnegative().default(100),
  severity: z.enum(['warning', 'alarm']).default('warning')
})
export type EnergySettings = z.output<typeof energySettingsSchema>

/** kgce per unit of the meter's totaliser (kWh, L or kg). */
export function kgcePerUnit (s: EnergySettings, meter: EnergyMeter): number {
  switch (meter) {
    case 'electricity_kwh': return s.electricityKgcePerKwh
    case 'diesel_kg': return s.dieselKgcePerKg
    case 'diesel_l': return s.dieselKgcePerKg * s.dieselDensityKgPerL
  }
}

export interface EnergyMeterValues {
  meter: EnergyMeter
  role: EnergyRole
  /** Totaliser values in time order: the baseline before the day (when any), then the day's. */
  values: readonly number[]
}

export interface EnergyMeterAmount extends TotaliserSum {
  /** Consumption in the meter's own unit (= total). */
  amount: number
  kgce: number
}

export interface EnergyAmounts {
  /** Per meter, in the order given. */
  meters: EnergyMeterAmount[]
  electricityKwh: number
  /** Diesel, kg (litres × dieselDensityKgPerL for meters counting litres). */
  dieselKg: number
  kgce: number
  /** kgce per role (roles without meters absent). */
  byRole: Partial<Record<EnergyRole, number>>
}

/** Each meter's consumption and the totals, from the meters' totaliser values. */
export function energyAmounts (meters: readonly EnergyMeterValues[], s: EnergySettings): EnergyAmounts {
  const out: EnergyAmounts = { meters: [], electricityKwh: 0, dieselKg: 0, kgce: 0, byRole: {} }
  for (const m of meters) {
    const sum = totaliserIncrease(m.values, s.rollover)
    const kgce = sum.total * kgcePerUnit(s, m.meter)
    out.meters.push({ ...sum, amount: sum.total, kgce })
    if (m.meter === 'electricity_kwh') out.electricityKwh += sum.total
    else out.dieselKg += m.meter === 'diesel_kg' ? sum.total : sum.total * s.dieselDensityKgPerL
    out.kgce += kgce
    out.byRole[m.role] = (out.byRole[m.role] ?? 0) + kgce
  }
  return out
}

/** Energy per tonne of ore, kgce/t; NaN without ore output. */
export function energyIntensity (kgce: number, oreT: number): number {
  return oreT > 0 ? kgce / oreT : NaN
}

export interface EnergyDayVerdict {
  /** kgce/t, NaN without ore output. */
  intensity: number
  /** The day's ore output reaches minOreT and the site sets a limit. */
  judged: boolean
  /** Judged and above the limit. */
  above: boolean
}

/** The whole-day verdict the alert engine and the daily report share. */
export function energyDayVerdict (kgce: number, oreT: number, s: EnergySettings): EnergyDayVerdict {
  const intensity = energyIntensity(kgce, oreT)
  const judged = s.intensityLimitKgcePerT !== undefined && oreT > 0 && oreT >= s.minOreT
  return { intensity, judged, above: judged && intensity > s.intensityLimitKgcePerT! }
}
