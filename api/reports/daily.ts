/**
 * The daily report of one site for one Beijing calendar day: a pure function of data
 * fetched through the TelemetryStore and AlertStore interfaces (fetch.ts), so every
 * store gives the same report. docs/api.md defines each figure.
 */
import type { DustMetric, Site } from '../../core/sites.js'
import type { DailyReport } from './schema.js'
import { dustRows, type DustMetricData } from './dust.js'
import { waterSection, type MeterData } from './water.js'
import { oreSection, type OreDeviceData } from './ore.js'
import { outputSource } from '../../core/ore.js'
import { uptimeRows, type UptimeData } from './uptime.js'
import { positionDevices } from '../../core/registry.js'
import { noiseSection, type NoiseData } from './noise.js'
import { energySection, type EnergyMeterData } from './energy.js'

export interface DailyInput {
  site: Site
  /** YYYY-MM-DD, Beijing. */
  date: string
  /** Window [from, to): the day, or up to now when the day is not over. */
  from: number
  to: number
  partial: boolean
  dust: ReadonlyMap<DustMetric, DustMetricData>
  meters: readonly MeterData[]
  ore: readonly OreDeviceData[]
  alerts: { boundaryBreaches: number, zoneIntrusions: number }
  uptime: readonly UptimeData[]
  noise: NoiseData
  energy: readonly EnergyMeterData[]
}

export function computeDailyReport (input: DailyInput): DailyReport {
  const { site } = input
  const dustDevices = positionDevices(site).filter((d) => d.kind === 'dust') // a replacement chain is one monitor (fetch.ts merges its data)
  const ore = oreSection(site.scaleTPerYear, outputSource(site), input.ore)
  return {
    site: site.id,
    siteName: site.name,
    date: input.date,
    from: input.from,
    to: input.to,
    partial: input.partial,
    dust: dustRows(site.dust.limits, dustDevices, input.dust),
    water: waterSection(site.water, input.meters),
    ore,
    fence: { ...input.alerts },
    uptime: uptimeRows(input.from, input.to, input.uptime),
    noise: noiseSection(site, dustDevices, input.noise),
    energy: energySection(site, input.energy, ore.outputT)
  }
}
