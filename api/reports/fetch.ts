/**
 * Gathers a daily report's input through the store interfaces only (series, and
 * AlertStore.list), so the report is the same for DuckDB and InfluxDB.
 */
import type { TelemetryStore } from '../../store/telemetry.js'
import type { AlertStore } from '../../store/state.js'
import type { AlertKind } from '../../core/alerts.js'
import type { Kind } from '../../core/kinds.js'
import type { DustMetric, Site } from '../../core/sites.js'
import { roleOf } from '../../core/sites.js'
import { BEIJING_OFFSET_MS, DAY, MINUTE } from '../../core/time.js'
import { siteDustData, type DustMetricData } from '../../store/day-queries.js'
import { positionDevices, positions } from '../../core/registry.js'
import { energyMeterValues, meterValues, oreTonnes } from '../../store/day-facts.js'
import type { OreDeviceData } from './ore.js'
import { intervalIndex, uptimeIntervalS, type UptimeData } from './uptime.js'
import type { DailyInput } from './daily.js'
import type { NoiseData } from './noise.js'
import { COUNTED_FLAGS } from '../../core/dust.js'

/** Numeric fields whose presence marks "a reading arrived", per kind (status readings carrying only `fw` are not seen). */
export const PRESENCE_FIELDS: Readonly<Record<Kind, readonly string[]>> = {
  dust: ['tsp', 'pm10', 'pm25'],
  water: ['totalM3'],
  locator: ['lat'],
  ore: ['tonnes'],
  status: ['batteryPct', 'rssiDbm', 'uptimeS'],
  energy: ['totalKwh', 'totalL', 'totalKg']
}

const ALERT_PAGE = 1000

export interface FetchDeps {
  telemetry: TelemetryStore
  alertStore: AlertStore
}

async function countAlerts (alerts: AlertStore, site: string, kind: AlertKind, from: number, to: number): Promise<number> {
  let n = 0
  let cursor: string | undefined
  do {
    const page = await alerts.list({ site, kind, from, to, limit: ALERT_PAGE, cursor })
    n += page.items.length
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return n
}

async function dustData (store: TelemetryStore, site: Site, from: number, to: number): Promise<Map<DustMetric, DustMetricData>> {
  const metrics = [...new Set(site.dust.limits.map((l) => l.metric))]
  return new Map(await Promise.all(metrics.map(async (metric) => [metric, await siteDustData(store, site, metric, from, to)] as const)))
}

/**
 * Series buckets align to multiples of the step since the epoch. An interval that divides
 * 8 h (every common one: 1, 2, 5, 10, 15, 30, 60 min) therefore starts on Beijing midnight
 * and is queried directly; any other is found from 1-minute buckets.
 */
function presenceStepMs (intervalS: number): number {
  const ms = intervalS * 1000
  return BEIJING_OFFSET_MS % ms === 0 ? ms : MINUTE
}

async function uptimeData (store: TelemetryStore, site: Site, from: number, to: number): Promise<UptimeData[]> {
  // one query per (kind, step, field) for all devices of the site at once
  const groups = new Map<string, { kind: Kind, stepMs: number }>()
  for (const d of site.devices) {
    const stepMs = presenceStepMs(uptimeIntervalS(d.intervalS))
    groups.set(`${d.kind}/${stepMs}`, { kind: d.kind, stepMs })
  }
  const interval = new Map<string, number>()
  const seen = new Map<string, Set<number>>()
  const pos = positions(site) // a replacement chain is one device, under the id now at its position
  for (const d of site.devices) {
    interval.set(d.id, uptimeIntervalS(d.intervalS))
    seen.set(d.id, new Set())
  }
  await Promise.all([...groups.values()].flatMap((g) => PRESENCE_FIELDS[g.kind].map(async (field) => {
    const points = await store.series({ site: site.id, kind: g.kind, field, from, to, stepMs: g.stepMs, agg: 'count' })
    for (const p of points) {
      const own = interval.get(p.device)
      if (own === undefined || presenceStepMs(own) !== g.stepMs || !(p.value > 0)) continue
      const at = pos.get(p.device) ?? p.device
      seen.get(at)!.add(intervalIndex(from, interval.get(at)!, p.t))
    }
  })))
  return positionDevices(site).map((d) => ({ device: d.id, kind: d.kind, intervalS: interval.get(d.id)!, seen: seen.get(d.id)! }))
}

/** 1-minute mean and max of counted noise readings (core/dust.ts COUNTED_FLAGS), a replacement chain under its position's id; none without a zone class. */
async function noiseData (store: TelemetryStore, site: Site, from: number, to: number): Promise<NoiseData> {
  if (site.noise.zoneClass === undefined) return { minuteMean: [], minuteMax: [] }
  const q = { site: site.id, kind: 'dust' as const, field: 'noise', from, to, stepMs: MINUTE, flags: COUNTED_FLAGS }
  const pos = positions(site)
  const along = (points: readonly { device: string, t: number, value: number }[]) => points.map((p) => ({ ...p, device: pos.get(p.device) ?? p.device }))
  const [mean, max] = await Promise.all([store.series({ ...q, agg: 'mean' }), store.series({ ...q, agg: 'max' })])
  return { minuteMean: along(mean).sort((a, b) => a.t - b.t), minuteMax: along(max) }
}

/** Everything computeDailyReport needs for `site` on the Beijing day starting at `dayStart`, up to `now`. */
export async function fetchDailyInput (deps: FetchDeps, site: Site, date: string, dayStart: number, now: number): Promise<DailyInput> {
  const from = dayStart
  const to = Math.min(dayStart + DAY, now)
  const partial = to < dayStart + DAY
  const [dust, meters, tonnes, boundaryBreaches, zoneIntrusions, uptime, noise, energy] = await Promise.all([
    dustData(deps.telemetry, site, from, to),
    meterValues(deps.telemetry, site, from, to), // the same queries as the day facts (store/day-facts.ts)
    oreTonnes(deps.telemetry, site, from, to),
    countAlerts(deps.alertStore, site.id, 'boundary_breach', dayStart, dayStart + DAY),
    countAlerts(deps.alertStore, site.id, 'zone_intrusion', dayStart, dayStart + DAY),
    uptimeData(deps.telemetry, site, from, to),
    noiseData(deps.telemetry, site, from, to),
    energyMeterValues(deps.telemetry, site, from, to) // the same queries as the energy day verdict (alerts/day-verdicts.ts)
  ])
  const ore: OreDeviceData[] = site.devices.filter((d) => d.kind === 'ore').flatMap((d) => {
    const role = roleOf(d, 'ore') // required by the config for every scale
    return role ? [{ device: d.id, role, tonnesSum: tonnes.get(d.id) ?? 0 }] : []
  })
  return { site, date, from, to, partial, dust, meters, ore, alerts: { boundaryBreaches, zoneIntrusions }, uptime, noise, energy }
}
