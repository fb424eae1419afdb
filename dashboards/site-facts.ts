/**
 * What the dashboards take from the site registry (config YAML): dust limits, which water
 * meters enter the recycling rate, which scales count as output, device totals. Thresholds
 * come from here, never from constants in the panels.
 */
import type { Config } from '../core/config.js'
import type { Kind } from '../core/kinds.js'
import { KINDS } from '../core/kinds.js'
import type { DustMetric, Site } from '../core/sites.js'
import { roleOf } from '../core/sites.js'
import { ringCentroid, type LonLat } from '../core/geo.js'
import { isReturnRole, otherRole } from '../core/water.js'
import { limitApplies } from '../core/dust.js'
import { dailyShareT, monthlyShareT, outputDevices } from '../core/ore.js'

/** The dust metric the dashboards show against its limit: TSP, the GB 16297-1996 boundary limit. */
export const DUST_METRIC: DustMetric = 'tsp'

/**
 * The field every stored point carries, to count readings and devices: the InfluxDB store
 * writes `seq` on every point (-1 when the device sent none; store/influx/line-protocol.ts).
 */
export const PRESENCE_FIELD = 'seq'

export interface DustLimitView {
  metric: DustMetric
  /** mg/m³ */
  limit: number
  /** Warning level, mg/m³: the limit's clear level, or 80 % of the limit when it has none. */
  warnAt: number
  windowS: number
  /** Legal standard, or null for an operational limit. */
  standard: string | null
  /** The monitors it applies to (core/dust.ts limitApplies). */
  devices: string[]
}

/**
 * The site's limits for `metric`, each with the monitors it applies to (a boundary monitor's
 * legal limit, the others' operational ones); the first limit of the metric per monitor.
 */
export function dustLimits (site: Site, metric: DustMetric = DUST_METRIC): DustLimitView[] {
  const taken = new Set<string>()
  const out: DustLimitView[] = []
  for (const l of site.dust.limits) {
    if (l.metric !== metric) continue
    const devices = site.devices.filter((d) => d.kind === 'dust' && !taken.has(d.id) && limitApplies(l, roleOf(d, 'dust'))).map((d) => d.id)
    if (devices.length === 0) continue
    for (const d of devices) taken.add(d)
    out.push({ metric, limit: l.limit, warnAt: l.clearBelow ?? 0.8 * l.limit, windowS: l.windowS, standard: l.standard ?? null, devices })
  }
  return out
}

/** Dust monitor ids of the site. */
export function dustDevices (site: Site): string[] {
  return site.devices.filter((d) => d.kind === 'dust').map((d) => d.id)
}

export interface WaterMeters {
  /** Meters of returned (recycled) water: the numerator. */
  returned: string[]
  /** The other term of the denominator: fresh intake (formula reuse) or discharge (formula beneficiation). */
  other: string[]
}

/**
 * reuse: rate = returned ÷ (returned + fresh intake);
 * beneficiation: rate = returned ÷ (returned + discharge) (core/sites.ts waterSettingsSchema).
 */
export function waterMeters (site: Site): WaterMeters {
  const other = otherRole(site.water.formula)
  const water = site.devices.filter((d) => d.kind === 'water')
  return {
    returned: water.filter((d) => isReturnRole(roleOf(d, 'water'))).map((d) => d.id),
    other: water.filter((d) => roleOf(d, 'water') === other).map((d) => d.id)
  }
}

/** Scales whose loads count as the site's ore output against the licence (core/ore.ts outputDevices). */
export function oreOutputDevices (site: Site): string[] {
  return outputDevices(site)
}

/** Devices of each kind the site has in the registry. */
export function deviceTotals (site: Site): Record<Kind, number> {
  const totals = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
  for (const d of site.devices) totals[d.kind]++
  return totals
}

/**
 * A device of `kind` counts as online when it sent a reading within this many seconds:
 * the longest expected interval of that kind in the registry × alerts.offlineFactor,
 * at least 60 s. (The alert engine's device_offline uses each device's own interval.)
 */
export function onlineWindowS (config: Config, kind: Kind): number {
  let longest = 0
  for (const s of config.sites) for (const d of s.devices) if (d.kind === kind) longest = Math.max(longest, d.intervalS)
  return Math.max(60, Math.ceil(longest * config.alerts.offlineFactor))
}

/** Pro-rata ore shares of the licensed scale (t) and the warning margin. */
export function oreShares (site: Site): { year: number, month: number, day: number, margin: number } {
  return { year: site.scaleTPerYear, month: monthlyShareT(site.scaleTPerYear), day: dailyShareT(site.scaleTPerYear), margin: site.ore.monthlyMargin }
}

/** Map position of a site: the centroid of its licence boundary's vertices. */
export function siteCentroid (site: Site): LonLat {
  return ringCentroid(site.boundary.coordinates)
}

/** Every id in `pick(site)` over all sites (device ids are unique across sites). */
export function acrossSites (config: Config, pick: (site: Site) => string[]): string[] {
  return config.sites.flatMap(pick)
}
