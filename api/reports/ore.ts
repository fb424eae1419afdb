/**
 * Ore section: output of the day against the licence's pro-rata daily share
 * (scaleTPerYear ÷ 365, domain.md §6). Which scales count and which measure is summed is
 * core/ore.ts (truck scales when the site has any, else belt scales; the sum of `tonnes`),
 * as in the over_capacity alert rule and the dashboards. Both scale totals are reported.
 */
import type { OreRole } from '../../core/sites.js'
import type { OreSection } from './schema.js'
import { dailyShareT } from '../../core/ore.js'

export interface OreDeviceData {
  device: string
  role: OreRole
  /** Sum of `tonnes` over the window. */
  tonnesSum: number
}

export function oreSection (scaleTPerYear: number, source: OreRole | 'none', devices: readonly OreDeviceData[]): OreSection {
  let truck = 0; let belt = 0
  const rows = devices.map((d) => {
    if (d.role === 'truck_scale') truck += d.tonnesSum
    else belt += d.tonnesSum
    return { device: d.device, role: d.role, tonnes: d.tonnesSum }
  })
  const outputT = source === 'truck_scale' ? truck : source === 'belt_scale' ? belt : 0
  const licenceDailyT = dailyShareT(scaleTPerYear)
  return { source, outputT, truckScaleT: truck, beltScaleT: belt, licenceDailyT, shareOfLicence: outputT / licenceDailyT, devices: rows }
}
