/**
 * Gathers a daily report's input through the store interfaces only (series, and
 * AlertStore.list), so the report is the same for DuckDB and InfluxDB.
 */
import type { TelemetryStore, SeriesPoint } from '../../store/telemetry.js'
import type { AlertStore } from '../../store/state.js'
import type { AlertKind } from '../../core/alerts.js'
import type { Kind } from '../../core/kinds.js'
import type { DustMetric, Site, WaterRole } from '../../core/sites.js'
import { BEIJING_OFFSET_MS, DAY, HOUR, MINUTE } from '../../core/time.js'
import { VALID_DUST_FLAGS, type DustMetricData } from './dust.js'
import type { MeterData } from './water.js'
import type { OreDeviceData } from './ore.js'
import { intervalIndex, uptimeIntervalS, type UptimeData } from './uptime.js'
import type { DailyInput } from './daily.js'

/** How far before the day a totaliser's baseline (last value before the day) is looked for. */
export const BASELINE_LOOKBACK_MS = DAY

/** Numeric fields whose presence marks "a reading arrived", per kind (status readings carrying only `fw` are not seen). */
export const PRESENCE_FIELDS: Readonly<Record<Kind, readonly string[]>> = {
  dust: ['tsp', 'pm10', 'pm25'],
  water: ['totalM3'],
  locator: ['lat'],
  ore: ['tonnes'],
  status: ['batteryPct', 'rssiDbm', 'uptimeS']
}

const ALERT_PAGE = 1000

export interface FetchDeps {
  telemetry: TelemetryStore
  alertStore: AlertStore
}

function byDevice (points: readonly SeriesPoint[]): Map<string, SeriesPoint[]> {
  const m = new Map<string, SeriesPoint[]>()
  for (const p of points) {
    let list = m.get(p.device)
    if (!list) m.set(p.device, (list = []))
    list.push(p)
  }
  for (const list of m.values()) list.sort((a, b) => a.t - b.t)
  return m
}

/** Totaliser values of each device of a kind: the last one in the lookback before `from`, then the last of each minute. */
async function totaliserValues (store: TelemetryStore, site: string, kind: Kind, field: string, from: number, to: number): Promise<Map<string, number[]>> {
  const [before, during] = await Promise.all([
    // hour buckets: the day starts on an hour boundary in Beijing (UTC+8), so no bucket straddles it
    store.series({ site, kind, field, from: from - BASELINE_LOOKBACK_MS, to: from, stepMs: HOUR, agg: 'last' }),
    store.series({ site, kind, field, from, to, stepMs: MINUTE, agg: 'last' })
  ])
  const out = new Map<string, number[]>()
  for (const [device, points] of byDevice(before)) out.set(device, [points[points.length - 1]!.value])
  for (const [device, points] of byDevice(during)) {
    const list = out.get(device) ?? []
    for (const p of points) list.push(p.value)
    out.set(device, list)
  }
  return out
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
  const out = new Map<DustMetric, DustMetricData>()
  await Promise.all(metrics.map(async (metric) => {
    const q = { site: site.id, kind: 'dust' as const, field: metric, from, to, agg: 'mean' as const, flags: VALID_DUST_FLAGS }
    const [minute, hour] = await Promise.all([store.series({ ...q, stepMs: MINUTE }), store.series({ ...q, stepMs: HOUR })])
    out.set(metric, { minute, hour })
  }))
  return out
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
  for (const d of site.devices) {
    interval.set(d.id, uptimeIntervalS(d.intervalS))
    seen.set(d.id, new Set())
  }
  await Promise.all([...groups.values()].flatMap((g) => PRESENCE_FIELDS[g.kind].map(async (field) => {
    const points = await store.series({ site: site.id, kind: g.kind, field, from, to, stepMs: g.stepMs, agg: 'count' })
    for (const p of points) {
      const intervalS = interval.get(p.device)
      if (intervalS === undefined || presenceStepMs(intervalS) !== g.stepMs || !(p.value > 0)) continue
      seen.get(p.device)!.add(intervalIndex(from, intervalS, p.t))
    }
  })))
  return site.devices.map((d) => ({ device: d.id, kind: d.kind, intervalS: interval.get(d.id)!, seen: seen.get(d.id)! }))
}

/** Everything computeDailyReport needs for `site` on the Beijing day starting at `dayStart`, up to `now`. */
export async function fetchDailyInput (deps: FetchDeps, site: Site, date: string, dayStart: number, now: number): Promise<DailyInput> {
  const from = dayStart
  const to = Math.min(dayStart + DAY, now)
  const partial = to < dayStart + DAY
  const waterDevices = site.devices.filter((d) => d.kind === 'water')
  const oreDevices = site.devices.filter((d) => d.kind === 'ore')
  const [dust, waterTotals, oreTotals, oreTonnes, boundaryBreaches, zoneIntrusions, uptime] = await Promise.all([
    dustData(deps.telemetry, site, from, to),
    waterDevices.length > 0 ? totaliserValues(deps.telemetry, site.id, 'water', 'totalM3', from, to) : new Map<string, number[]>(),
    oreDevices.length > 0 ? totaliserValues(deps.telemetry, site.id, 'ore', 'totalT', from, to) : new Map<string, number[]>(),
    oreDevices.length > 0 ? deps.telemetry.series({ site: site.id, kind: 'ore', field: 'tonnes', from, to, stepMs: HOUR, agg: 'sum' }) : [],
    countAlerts(deps.alertStore, site.id, 'boundary_breach', dayStart, dayStart + DAY),
    countAlerts(deps.alertStore, site.id, 'zone_intrusion', dayStart, dayStart + DAY),
    uptimeData(deps.telemetry, site, from, to)
  ])
  const meters: MeterData[] = waterDevices.map((d) => ({ device: d.id, role: d.role as WaterRole, values: waterTotals.get(d.id) ?? [] }))
  const tonnes = new Map<string, number>()
  for (const p of oreTonnes) tonnes.set(p.device, (tonnes.get(p.device) ?? 0) + p.value)
  const ore: OreDeviceData[] = oreDevices.map((d) => ({
    device: d.id,
    // a scale without a role is taken for a truck scale (one net weight per load)
    role: d.role === 'belt_scale' ? 'belt_scale' : 'truck_scale',
    tonnesSum: tonnes.get(d.id) ?? 0,
    totals: oreTotals.get(d.id) ?? []
  }))
  return { site, date, from, to, partial, dust, meters, ore, alerts: { boundaryBreaches, zoneIntrusions }, uptime }
}
