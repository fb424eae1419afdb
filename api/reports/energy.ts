/**
 * Energy section (能耗): each energy meter's consumption over the window from its totaliser, the
 * totals by carrier and role in standard coal (GB/T 2589-2020 coefficients from the site's
 * settings), and the energy per tonne of ore against the site's limit, with the rules the
 * energy_intensity_high day verdict uses (core/energy.ts; totaliser steps of core/totaliser.ts;
 * ore output as the ore section counts it, core/ore.ts). Null when the site has no energy meters.
 */
import type { Site } from '../../core/sites.js'
import { ENERGY_ROLES, ENERGY_STANDARD, KGCE_PER_TCE, METER_INFO, energyAmounts, energyDayVerdict, type EnergyMeterValues } from '../../core/energy.js'
import type { EnergySection } from './schema.js'

/** One meter's totaliser values in time order: the last value before the window (when any), then the last of each minute. */
export interface EnergyMeterData extends EnergyMeterValues {
  device: string
}

export function energySection (site: Pick<Site, 'energy' | 'devices'>, meters: readonly EnergyMeterData[], oreOutputT: number): EnergySection | null {
  if (!site.devices.some((d) => d.kind === 'energy')) return null
  const s = site.energy
  const e = energyAmounts(meters, s)
  const v = energyDayVerdict(e.kgce, oreOutputT, s)
  return {
    standard: ENERGY_STANDARD,
    electricityKgcePerKwh: s.electricityKgcePerKwh,
    dieselKgcePerKg: s.dieselKgcePerKg,
    dieselDensityKgPerL: s.dieselDensityKgPerL,
    electricityKwh: e.electricityKwh,
    dieselKg: e.dieselKg,
    kgce: e.kgce,
    tce: e.kgce / KGCE_PER_TCE,
    oreOutputT,
    intensityKgcePerT: Number.isNaN(v.intensity) ? null : v.intensity,
    limitKgcePerT: s.intensityLimitKgcePerT ?? null,
    aboveLimit: v.judged ? v.above : null,
    byRole: ENERGY_ROLES.filter((r) => e.byRole[r] !== undefined).map((role) => ({ role, kgce: e.byRole[role]! })),
    meters: meters.map((m, i) => {
      const a = e.meters[i]!
      return { device: m.device, role: m.role, meter: m.meter, unit: METER_INFO[m.meter].unit, amount: a.amount, kgce: a.kgce, samples: m.values.length, resets: a.resets, rollovers: a.rollovers, backwards: a.backwards }
    })
  }
}
