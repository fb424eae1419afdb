/**
 * The ore-output rule every consumer shares (over_capacity alert, daily report, dashboards):
 * which scales count as the site's output and which measure is summed (domain.md §6).
 *  - Devices: the site's truck scales (ore leaving the pit, one net weight per load) when it has
 *    any, otherwise its belt scales. Never both: ore weighed on a truck scale usually crosses a
 *    belt scale again at the plant, and the sum would count it twice.
 *  - Measure: the sum of the readings' `tonnes` (a load's net weight; a belt scale's tonnes since
 *    its last reading). A belt scale's optional `totalT` totaliser is not used: `tonnes` is the
 *    field every scale must send (docs/device-contract.md).
 */
import type { Device, OreRole, Site } from './sites.js'
import { roundValue } from './alerts.js'

/** The field whose sum is the output, t. */
export const OUTPUT_FIELD = 'tonnes'

/** Which scales a site's output counts: truck scales when it has any, else belt scales, else none. */
export function outputSource (site: Site): OreRole | 'none' {
  const ore = site.devices.filter((d) => d.kind === 'ore')
  if (ore.some((d) => d.role === 'truck_scale')) return 'truck_scale'
  return ore.length > 0 ? 'belt_scale' : 'none'
}

/** True when this device's `tonnes` count toward the site's output. */
export function countsAsOutput (site: Site, device: Device): boolean {
  return device.kind === 'ore' && device.role === outputSource(site)
}

/** Ids of the scales whose output counts. */
export function outputDevices (site: Site): string[] {
  return site.devices.filter((d) => countsAsOutput(site, d)).map((d) => d.id)
}

/** A month's pro-rata share of the licensed annual scale (万吨/年 × 10⁴ ÷ 12), t. domain.md §6 *(check the local rule)*. */
export function monthlyShareT (scaleTPerYear: number): number {
  return scaleTPerYear / 12
}

/** A day's pro-rata share of the licensed annual scale (÷ 365), t: the daily report's and the dashboards' daily pace. domain.md §6. */
export function dailyShareT (scaleTPerYear: number): number {
  return scaleTPerYear / 365
}

/** Month-to-date tonnes above which over_capacity warns: the share × (1 + ore.monthlyMargin), rounded for display. */
export function monthlyLimitT (scaleTPerYear: number, monthlyMargin: number): number {
  return roundValue(monthlyShareT(scaleTPerYear) * (1 + monthlyMargin)) // 3e6 / 12 × 1.1 is 27500.000000000004 in floating point
}
