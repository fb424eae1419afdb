/**
 * The figures of the web console's screens, computed here (never in the browser) from the
 * daily report and the alert store: one site's one-screen summary (today's report, ore
 * month- and year-to-date against the licence, devices online per kind, open alerts) and
 * the regulator overview (each visible site ranked by compliance).
 */
import type { TelemetryStore } from '../../store/telemetry.js'
import type { AlertStore } from '../../store/state.js'
import type { Alert, AlertKind, AlertState } from '../../core/alerts.js'
import { KINDS, type Kind } from '../../core/kinds.js'
import type { Site } from '../../core/sites.js'
import { HOUR, beijingDate, beijingDayStart, beijingMonthStart, beijingYearStart } from '../../core/time.js'
import { computeDailyReport } from './daily.js'
import { fetchDailyInput } from './fetch.js'
import { OUTPUT_FIELD, monthlyLimitT, monthlyShareT, outputDevices } from '../../core/ore.js'
import type { DailyReport } from './schema.js'

export interface ScreenDeps {
  telemetry: TelemetryStore
  alertStore: AlertStore
}

const PAGE = 1000
const OPEN_STATES: readonly AlertState[] = ['firing', 'acknowledged']
/** Buckets of 8 h start on Beijing midnight (UTC+8), so month and year windows split cleanly. */
const EIGHT_HOURS = 8 * HOUR

/** Every alert matching the query (all pages). */
async function allAlerts (store: AlertStore, q: { site: string, kind?: AlertKind, state?: AlertState, from?: number, to?: number }): Promise<Alert[]> {
  const out: Alert[] = []
  let cursor: string | undefined
  do {
    const page = await store.list({ ...q, limit: PAGE, cursor })
    out.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return out
}

/** Open (firing or acknowledged) alerts of a site, newest first. */
export async function openAlerts (store: AlertStore, site: string): Promise<Alert[]> {
  const lists = await Promise.all(OPEN_STATES.map((state) => allAlerts(store, { site, state })))
  return lists.flat().sort((a, b) => b.firedAt - a.firedAt)
}

/** Ore output of [from, to): the sum of `tonnes` of the scales that count (core/ore.ts, the rule the alert and the report use). */
async function oreOutput (store: TelemetryStore, site: Site, from: number, to: number): Promise<number> {
  const counted = new Set(outputDevices(site))
  if (counted.size === 0 || to <= from) return 0
  const tonnes = await store.series({ site: site.id, kind: 'ore', field: OUTPUT_FIELD, from, to, stepMs: EIGHT_HOURS, agg: 'sum' })
  return tonnes.reduce((n, p) => (counted.has(p.device) ? n + p.value : n), 0)
}

export interface OnlineByKind {
  kind: Kind
  devices: number
  /** Devices without an open device_offline alert. */
  online: number
  rate: number
}

/** Devices online per kind: a device is offline while its device_offline alert is open (the alert engine's rule). */
export function onlineByKind (site: Site, open: readonly Alert[]): OnlineByKind[] {
  const offline = new Set(open.filter((a) => a.kind === 'device_offline').map((a) => a.device ?? a.subject))
  return KINDS.flatMap((kind) => {
    const devices = site.devices.filter((d) => d.kind === kind)
    if (devices.length === 0) return []
    const online = devices.filter((d) => !offline.has(d.id)).length
    return [{ kind, devices: devices.length, online, rate: online / devices.length }]
  })
}

export interface SiteScreen {
  site: string
  at: number
  today: DailyReport
  ore: {
    monthT: number
    /** The licence's pro-rata share of a month: scaleTPerYear ÷ 12 (as the over_capacity rule). */
    monthShareT: number
    /** Month-to-date above which over_capacity warns: the share × (1 + ore.monthlyMargin). */
    monthLimitT: number
    yearT: number
    licenceT: number
  }
  online: OnlineByKind[]
  openAlerts: Alert[]
}

export async function siteScreen (deps: ScreenDeps, site: Site, now: number): Promise<SiteScreen> {
  const dayStart = beijingDayStart(now)
  const [input, monthT, yearT, open] = await Promise.all([
    fetchDailyInput(deps, site, beijingDate(now), dayStart, now),
    oreOutput(deps.telemetry, site, beijingMonthStart(now), now),
    oreOutput(deps.telemetry, site, beijingYearStart(now), now),
    openAlerts(deps.alertStore, site.id)
  ])
  const monthShareT = monthlyShareT(site.scaleTPerYear)
  return {
    site: site.id,
    at: now,
    today: computeDailyReport(input),
    ore: { monthT, monthShareT, monthLimitT: monthlyLimitT(site.scaleTPerYear, site.ore.monthlyMargin), yearT, licenceT: site.scaleTPerYear },
    online: onlineByKind(site, open),
    openAlerts: open
  }
}

export interface OverviewRow {
  site: string
  name: string
  province: string
  rank: number
  openAlerts: number
  openAlarms: number
  /** Largest per-metric count of dust exceedance minutes today (daily report). */
  exceedanceMinutesToday: number
  recyclingRate: number | null
  recyclingBelowFloor: boolean | null
  recyclingFloor: number
  boundaryBreachesMonth: number
  /** Intervals with data ÷ intervals expected today, over every device of the site. */
  completeness: number
  boundary: Site['boundary']
}

/** Orders sites from least to most compliant's opposite: the site needing attention first. */
export function rankOverview (rows: Omit<OverviewRow, 'rank'>[]): OverviewRow[] {
  const sorted = [...rows].sort((a, b) =>
    b.openAlarms - a.openAlarms ||
    b.boundaryBreachesMonth - a.boundaryBreachesMonth ||
    b.exceedanceMinutesToday - a.exceedanceMinutesToday ||
    Number(b.recyclingBelowFloor === true) - Number(a.recyclingBelowFloor === true) ||
    b.openAlerts - a.openAlerts ||
    a.completeness - b.completeness ||
    a.site.localeCompare(b.site))
  return sorted.map((r, i) => ({ ...r, rank: i + 1 }))
}

export async function overviewRow (deps: ScreenDeps, site: Site, now: number): Promise<Omit<OverviewRow, 'rank'>> {
  const monthStart = beijingMonthStart(now)
  const [input, open, breaches] = await Promise.all([
    fetchDailyInput(deps, site, beijingDate(now), beijingDayStart(now), now),
    openAlerts(deps.alertStore, site.id),
    allAlerts(deps.alertStore, { site: site.id, kind: 'boundary_breach', from: monthStart, to: now + 1 })
  ])
  const report = computeDailyReport(input)
  let expected = 0; let withData = 0
  for (const u of report.uptime) { expected += u.expected; withData += u.withData }
  return {
    site: site.id,
    name: site.name,
    province: site.province,
    openAlerts: open.length,
    openAlarms: open.filter((a) => a.severity === 'alarm').length,
    exceedanceMinutesToday: Math.max(0, ...report.dust.map((d) => d.exceedanceMinutes)),
    recyclingRate: report.water.rate,
    recyclingBelowFloor: report.water.belowFloor,
    recyclingFloor: report.water.floor,
    boundaryBreachesMonth: breaches.length,
    completeness: expected > 0 ? withData / expected : 0,
    boundary: site.boundary
  }
}
