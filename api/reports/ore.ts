/**
 * Ore section: output of the day against the licence's pro-rata daily share
 * (scaleTPerYear ÷ 365, domain.md §6).
 * Output counts the truck scales (sum of each load's net `tonnes`: ore leaving the pit) when
 * the site has any, otherwise the belt scales (increase of their `totalT` totaliser; a belt
 * scale that sends no totaliser counts the sum of its `tonnes`). Both are never added: ore
 * weighed on a truck scale usually crosses a belt scale again at the plant, and the sum
 * would count it twice. Both figures are reported. The over_capacity alert rule makes the
 * same choice.
 */
import type { OreSection } from './schema.js'
import { totaliserIncrease } from './totaliser.js'

export interface OreDeviceData {
  device: string
  role: 'truck_scale' | 'belt_scale'
  /** Sum of `tonnes` over the window. */
  tonnesSum: number
  /** `totalT` values in time order: last before the window (when any), then the last of each minute. */
  totals: readonly number[]
}

/** Tonnes one device produced in the window. */
export function deviceTonnes (d: OreDeviceData): number {
  if (d.role === 'truck_scale') return d.tonnesSum
  return d.totals.length > 0 ? totaliserIncrease(d.totals, Infinity).total : d.tonnesSum
}

export function oreSection (scaleTPerYear: number, devices: readonly OreDeviceData[]): OreSection {
  let truck = 0; let belt = 0
  let hasTruck = false; let hasBelt = false
  const rows = devices.map((d) => {
    const tonnes = deviceTonnes(d)
    if (d.role === 'truck_scale') { truck += tonnes; hasTruck = true } else { belt += tonnes; hasBelt = true }
    return { device: d.device, role: d.role, tonnes }
  })
  const source = hasTruck ? 'truck_scale' : hasBelt ? 'belt_scale' : 'none'
  const outputT = source === 'truck_scale' ? truck : belt
  const licenceDailyT = scaleTPerYear / 365
  return { source, outputT, truckScaleT: truck, beltScaleT: belt, licenceDailyT, shareOfLicence: outputT / licenceDailyT, devices: rows }
}
