/**
 * Water section: each meter's volume over the window from its totaliser and the day's rate and
 * verdict, with the rules the water_recycling_low day verdict uses (core/water.ts: totaliser
 * steps with rollover, reset and backwards glitch; roles by bin; rate per formula).
 */
import type { WaterSettings } from '../../core/sites.js'
import { dayVolumes, FORMULA_INFO, waterDayVerdict, type MeterValues } from '../../core/water.js'
import type { WaterSection } from './schema.js'

/** One meter's totaliser values in time order: the last value before the window (when any), then the last of each minute. */
export interface MeterData extends MeterValues {
  device: string
}

export function waterSection (settings: WaterSettings, meters: readonly MeterData[]): WaterSection {
  const { volumes, meters: sums } = dayVolumes(meters, settings.rolloverM3)
  const v = waterDayVerdict(volumes, settings.formula, settings.floor)
  return {
    formula: settings.formula,
    formulaName: FORMULA_INFO[settings.formula].zh,
    floor: settings.floor,
    standard: settings.standard,
    recycledM3: volumes[0],
    freshM3: volumes[1],
    dischargeM3: volumes[2],
    rate: Number.isNaN(v.rate) ? null : v.rate,
    belowFloor: v.judged ? v.below : null,
    meters: meters.map((m, i) => {
      const sum = sums[i]!
      return { device: m.device, role: m.role, volumeM3: sum.total, samples: m.values.length, resets: sum.resets, rollovers: sum.rollovers, backwards: sum.backwards }
    })
  }
}
