/**
 * Water section: each meter's volume over the window from its totaliser (totaliser.ts),
 * summed by role, and the site's recycling rate (core/sites.ts waterSettingsSchema):
 *   reuse:          recycled ÷ (recycled + fresh_intake)
 *   beneficiation:  returned ÷ (returned + discharge)
 * recycled = returned = recycled_return + thickener_return + tailings_return; mill_feed is
 * internal circulation and counts in neither (as in the water_recycling_low rule).
 */
import type { WaterRole, WaterSettings } from '../../core/sites.js'
import { totaliserIncrease } from './totaliser.js'
import type { WaterSection } from './schema.js'

/** One meter's totaliser values in time order: the last value before the window (when any), then the last of each minute. */
export interface MeterData {
  device: string
  role: WaterRole
  values: readonly number[]
}

const RETURN_ROLES: ReadonlySet<WaterRole> = new Set(['recycled_return', 'thickener_return', 'tailings_return'])

export function waterSection (settings: WaterSettings, meters: readonly MeterData[]): WaterSection {
  let recycled = 0; let fresh = 0; let discharge = 0
  const rows = meters.map((m) => {
    const sum = totaliserIncrease(m.values, settings.rolloverM3)
    if (RETURN_ROLES.has(m.role)) recycled += sum.total
    else if (m.role === 'fresh_intake') fresh += sum.total
    else if (m.role === 'discharge') discharge += sum.total
    return { device: m.device, role: m.role, volumeM3: sum.total, samples: m.values.length, resets: sum.resets, rollovers: sum.rollovers, backwards: sum.backwards }
  })
  const other = settings.formula === 'reuse' ? fresh : discharge
  const rate = recycled + other > 0 ? recycled / (recycled + other) : null
  return {
    formula: settings.formula,
    floor: settings.floor,
    standard: settings.standard,
    recycledM3: recycled,
    freshM3: fresh,
    dischargeM3: discharge,
    rate,
    belowFloor: rate === null ? null : rate < settings.floor,
    meters: rows
  }
}
