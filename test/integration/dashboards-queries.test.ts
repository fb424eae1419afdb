/**
 * Runs every query of the generated dashboards against a real InfluxDB 1.x holding realistic
 * data for every demo device (written through InfluxTelemetryStore, so the storage schema is
 * the store's own), after substituting the time range and template variables as Grafana
 * would (dashboards/grafana.ts). Checks each query answers with the series and columns its
 * panel uses, that per-site overrides match the series names, and the computed figures.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { loadConfig } from '../../core/config.js'
import type { Config } from '../../core/config.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition, AlertKind, AlertState } from '../../core/alerts.js'
import { KINDS, type Kind } from '../../core/kinds.js'
import { offsetM } from '../../core/geo.js'
import { beijingDayStart } from '../../core/time.js'
import { METER_INFO } from '../../core/energy.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'
import { computeDayFacts } from '../../store/day-facts.js'
import { buildDashboards } from '../../dashboards/render.js'
import { optionsFromEnv } from '../../dashboards/options.js'
import { resolveQueries } from '../../dashboards/grafana.js'
import { queryInflux, probeDashboard, seriesNames, overrideMatches, type InfluxSeries } from '../../dashboards/probe.js'
import { siteCentroid, waterMeters, oreOutputDevices, deviceTotals } from '../../dashboards/site-facts.js'
import { prng as rng } from '../helpers/prng.js'

const DB = 'minewatch'
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

let influx: InfluxDBHandle
let store: InfluxTelemetryStore
let config: Config
let dashboards: Dashboard[]
let now: number
/** Expected figures, computed from the generated data independently of InfluxQL. */
const expected = {
  waterRate: new Map<string, number>(),
  oreToday: new Map<string, number>(),
  open: new Map<string, Set<string>>(),
  offline: new Map<string, number>()
}

async function query (q: string): Promise<InfluxSeries[]> {
  return await queryInflux({ url: influx.url, db: DB }, q)
}

/** Days before today with an ore total (each gets its day facts computed, as the alert engine would). */
const EARLIER_DAYS = 40

/** Two hours of readings for every device of every site, plus daily ore totals of earlier days this year. */
function readings (cfg: Config, t1: number): Reading[] {
  const out: Reading[] = []
  const t0 = t1 - 2 * HOUR
  const dayStart = beijingDayStart(t1)
  const yearStart = Date.UTC(new Date(t1 + 8 * HOUR).getUTCFullYear(), 0, 1) - 8 * HOUR
  const rand = rng(42)
  cfg.sites.forEach((site) => {
    const centre = siteCentroid(site)
    const meters = waterMeters(site)
    const outputs = new Set(oreOutputDevices(site))
    let returned = 0
    let other = 0
    let oreToday = 0
    for (const d of site.devices) {
      let seq = 0
      const r = (kind: Kind, ts: number, values: Record<string, number | string>): void => { out.push({ site: site.id, device: d.id, kind, ts, seq: seq++, values }) }
      switch (d.kind) {
        case 'dust':
          for (let t = t0; t <= t1; t += MIN) {
            // the transport monitor of each site runs above the 1.0 mg/m³ TSP limit in the last half hour
            const high = d.role === 'transport' && t > t1 - 30 * MIN
            r('dust', t, { tsp: (high ? 1.2 : 0.45) + 0.2 * rand(), pm10: 0.08 + 0.05 * rand(), pm25: 0.03 + 0.02 * rand(), temp: 15, rh: 55, windSpeed: 2.5, windDir: 200, noise: 60, flag: t % (17 * MIN) === 0 ? 'M' : 'N' })
          }
          break
        case 'water': {
          // m³/h; enough that five minutes of the day already hold the 50 m³ a day needs to be judged (core/water.ts MIN_DAY_VOLUME_M3)
          const flow = d.role === 'fresh_intake' ? 360 : d.role === 'discharge' ? 120 : d.role === 'mill_feed' ? 1600 : 800
          let total = Number((10_000 + 1000 * rand()).toFixed(3))
          let last: number | undefined
          let volume = 0
          for (let t = t0; t <= t1; t += 2 * MIN) {
            total = Number((total + flow / 30).toFixed(3))
            // the second returned meter of each site is reset (maintenance) an hour ago: the drop must not count
            if (d.id === meters.returned[1] && t === t0 + 30 * 2 * MIN) total = 0.5
            // from the last value before the day; a reset counts from 0 (core/water.ts)
            if (t >= dayStart && last !== undefined) volume += total >= last ? total - last : total
            last = total
            r('water', t, { totalM3: total, flowM3h: flow })
          }
          if (meters.returned.includes(d.id)) returned += volume
          if (meters.other.includes(d.id)) other += volume
          break
        }
        case 'ore':
          if (d.role === 'truck_scale') {
            for (let t = t0; t <= t1; t += 5 * MIN) {
              const tonnes = 45 + Math.round(15 * rand())
              if (t >= dayStart && outputs.has(d.id)) oreToday += tonnes
              r('ore', t, { tonnes, truckId: `TRK${1 + (seq % 9)}` })
            }
            // one reading per earlier day of the year (the last EARLIER_DAYS of it): the daily total, for month and year to date
            for (let t = Math.max(yearStart, dayStart - EARLIER_DAYS * DAY) + 12 * HOUR; t < dayStart; t += DAY) r('ore', t, { tonnes: 4000 + Math.round(2000 * rand()) })
          } else {
            let total = 500_000
            for (let t = t0; t <= t1; t += 30 * 1000) {
              const tonnes = 2 + rand()
              total += tonnes
              if (t >= dayStart && outputs.has(d.id)) oreToday += tonnes
              r('ore', t, { tonnes, totalT: total })
            }
          }
          break
        case 'locator': {
          const entity = d.role === 'vehicle' ? 'vehicle' : 'person'
          const ids = entity === 'vehicle' ? [d.id.replace(/^.*-/, 'V-')] : Array.from({ length: 12 }, (_, i) => `${d.id}-P${String(i + 1).padStart(3, '0')}`)
          ids.forEach((entityId, k) => {
            for (let t = t1 - 10 * MIN; t <= t1; t += 10_000) {
              const [lon, lat] = offsetM(centre, 200 * Math.sin(k + t / 600_000), 150 * Math.cos(k + t / 900_000))
              r('locator', t, { entity, entityId, lat, lon, alt: 120, accuracyM: 0.5, speedKmh: entity === 'vehicle' ? 25 : 4, heading: 90 })
            }
          })
          break
        }
        case 'status':
          for (let t = t0; t <= t1; t += 5 * MIN) r('status', t, { batteryPct: 90, rssiDbm: -70, fw: '1.2.3', uptimeS: Math.round((t - t0) / 1000) })
          break
        case 'energy': {
          const field = METER_INFO[d.meter ?? 'electricity_kwh'].field
          for (let t = t0; t <= t1; t += 5 * MIN) r('energy', t, { [field]: 40_000 + (t - t0) / MIN, ...(field === 'totalKwh' ? { powerKw: 300 } : {}) })
          break
        }
      }
    }
    expected.waterRate.set(site.id, returned / (returned + other))
    expected.oreToday.set(site.id, oreToday)
  })
  return out
}

/** Alert lifecycles per site: some resolved, some still open (firing or acknowledged), one device offline. */
function alertEvents (cfg: Config, t1: number): AlertTransition[] {
  const events: AlertTransition[] = []
  let seq = 1
  const ev = (site: string, alertId: string, kind: AlertKind, from: AlertState | null, to: AlertState, at: number): void => {
    events.push({ seq: seq++, alertId, site, kind, from, to, severity: kind === 'device_offline' ? 'warning' : 'alarm', at, reason: 'test', value: 1.3, limit: 1.0, by: to === 'acknowledged' ? 'operator' : null, message: `${kind} ${alertId}` })
  }
  cfg.sites.forEach((s, i) => {
    const open = new Set<string>()
    ev(s.id, `${s.id}-a1`, 'dust_exceedance', null, 'firing', t1 - 3 * DAY)
    ev(s.id, `${s.id}-a1`, 'dust_exceedance', 'firing', 'resolved', t1 - 3 * DAY + HOUR)
    ev(s.id, `${s.id}-a2`, 'dust_exceedance', null, 'firing', t1 - 2 * MIN)
    open.add(`${s.id}-a2`)
    ev(s.id, `${s.id}-a3`, 'boundary_breach', null, 'firing', t1 - 50 * MIN)
    ev(s.id, `${s.id}-a3`, 'boundary_breach', 'firing', 'acknowledged', t1 - 45 * MIN)
    open.add(`${s.id}-a3`)
    if (i === 1) {
      ev(s.id, `${s.id}-off`, 'device_offline', null, 'firing', t1 - 15 * MIN)
      open.add(`${s.id}-off`)
    }
    expected.open.set(s.id, open)
    expected.offline.set(s.id, i === 1 ? 1 : 0)
  })
  return events
}

beforeAll(async () => {
  // "today" panels need a few minutes of today's data: wait out the first minutes after Beijing midnight
  const sinceMidnight = Date.now() - beijingDayStart(Date.now())
  if (sinceMidnight < 5 * MIN) await new Promise((r) => setTimeout(r, 5 * MIN - sinceMidnight + 1000))
  config = loadConfig('config/demo.yaml').config
  dashboards = buildDashboards(config, optionsFromEnv({}))
  influx = await startInfluxDB()
  // the newest readings are stamped now: the "online" windows (60 s for locators) count from InfluxDB's now()
  now = Date.now()
  store = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db: DB, timeoutMs: 30_000 } })
  await store.init()
  const batch = readings(config, now)
  for (let i = 0; i < batch.length; i += 20_000) await store.write(batch.slice(i, i + 20_000))
  await store.writeAlertEvents(alertEvents(config, now))
  // the day facts the alert engine writes (alerts/day-facts.ts): today's and each earlier day's, computed from the stored data
  const today = beijingDayStart(now)
  const yearStart = Date.UTC(new Date(now + 8 * HOUR).getUTCFullYear(), 0, 1) - 8 * HOUR
  for (const site of config.sites) {
    const days: number[] = []
    for (let day = Math.max(yearStart, today - EARLIER_DAYS * DAY); day <= today; day += DAY) days.push(day)
    await store.writeDayFacts(await Promise.all(days.map((day) => computeDayFacts(store, site, day, now + 1)))) // a moment after the newest readings
  }
}, 8 * MIN) // may wait up to 5 min just after Beijing midnight

afterAll(async () => {
  await store?.close()
  await influx?.stop()
})

const panels = (d: Dashboard): Panel[] => (d.panels ?? []) as Panel[]
const byUid = (uid: string): Dashboard => dashboards.find((d) => d.uid === uid)!

describe('矿山一屏 queries on real data', () => {
  for (const siteIndex of [0, 1, 2]) {
    it(`every panel query answers with the series and columns its panel uses (site #${siteIndex + 1})`, async () => {
      const site = config.sites[siteIndex]!
      const results = await probeDashboard({ url: influx.url, db: DB }, byUid('minewatch-site'), { site: site.id }, now)
      expect(results.length).toBeGreaterThanOrEqual(14)
      const totals = deviceTotals(site)
      for (const r of results) {
        // 设备在线 has one query per kind: a kind the site has no devices of (energy meters at the quarry only) answers nothing
        const noDevices = r.panel.type === 'bargauge' && KINDS.some((k) => totals[k] === 0 && r.query.query.includes(`FROM "${k}"`))
        expect(r.problems, `${r.query.panelTitle} ${r.query.refId}: ${r.query.query}`).toEqual(noDevices ? ['no data'] : [])
        // series belong to the selected site only
        for (const s of r.series) if (s.tags?.site) expect(s.tags.site).toBe(site.id)
      }
      // every kind the site has devices of reports as online
      const online = results.filter((r) => r.panel.type === 'bargauge').flatMap((r) => seriesNames(r.query, r.series))
      expect(online.sort()).toEqual(KINDS.filter((k) => totals[k] > 0).map((k) => `${k} ${site.id}`).sort())
    })
  }
})

describe('矿山一屏 figures', () => {
  it('computes the figures the panels show: recycling rate, ore today, devices online, latest positions', async () => {
    const d = byUid('minewatch-site')
    for (const site of config.sites) {
      const qs = resolveQueries(d, { now, vars: { site: site.id } })
      const value = async (title: string, refId = 'A'): Promise<number> => {
        const q = qs.find((x) => x.panelTitle === title && x.refId === refId)!
        return (await query(q.query))[0]!.values[0]![1] as number
      }
      expect(await value('今日水循环利用率')).toBeCloseTo(expected.waterRate.get(site.id)!, 6)
      expect(await value('今日产量')).toBeCloseTo(expected.oreToday.get(site.id)!, 3)
      // year ≥ month ≥ today
      expect(await value('本年产量 / 年许可规模')).toBeGreaterThanOrEqual(await value('本月产量 / 月度许可份额'))
      expect(await value('本月产量 / 月度许可份额')).toBeGreaterThanOrEqual(await value('今日产量') - 1e-6)
      const totals = deviceTotals(site)
      for (const [i, kind] of KINDS.entries()) {
        if (totals[kind] > 0) expect(await value('设备在线', String.fromCharCode(65 + i)), `${site.id} ${kind}`).toBe(totals[kind])
      }
      const people = qs.find((x) => x.panelTitle === '人员与车辆实时位置' && x.refId === 'A')!
      const rows = (await query(people.query)).length
      expect(rows).toBe(site.devices.filter((x) => x.kind === 'locator' && x.role === 'personnel').length * 12)
    }
  })

  it('the open-alerts table keeps exactly the alerts whose latest transition is not resolved', async () => {
    const d = byUid('minewatch-site')
    for (const site of config.sites) {
      const q = resolveQueries(d, { now, vars: { site: site.id } }).find((x) => x.panelTitle === '当前未关闭告警')!
      const [s] = await query(q.query)
      const col = (name: string): number => s!.columns.indexOf(name)
      // what the panel's groupBy (first per alertId over newest-first rows) and filterByValue (exclude resolved) do
      const latest = new Map<string, string>()
      for (const row of s!.values) if (!latest.has(row[col('alertId')] as string)) latest.set(row[col('alertId')] as string, row[col('to')] as string)
      const open = [...latest].filter(([, state]) => state !== 'resolved').map(([id]) => id).sort()
      expect(open).toEqual([...expected.open.get(site.id)!].sort())
    }
  })
})

describe('监管总览 queries on real data', () => {
  it('every panel query answers, and the site table holds one row per site with its figures', async () => {
    const d = byUid('minewatch-overview')
    const results = await probeDashboard({ url: influx.url, db: DB }, d, {}, now)
    expect(results.length).toBeGreaterThanOrEqual(11)
    for (const r of results) expect(r.problems, `${r.query.panelTitle} ${r.query.refId}: ${r.query.query}`).toEqual([])
    const resolved = results.map((r) => r.query)
    const table = resolved.filter((q) => q.panelTitle === '各矿山状况')
    const bySite = new Map<string, Record<string, number>>()
    for (const q of table) {
      for (const s of await query(q.query)) {
        const row = bySite.get(s.tags!.site!) ?? {}
        row[s.columns[1]!] = s.values[0]![1] as number
        bySite.set(s.tags!.site!, row)
      }
    }
    expect([...bySite.keys()].sort()).toEqual(config.sites.map((s) => s.id).sort())
    for (const site of config.sites) {
      const row = bySite.get(site.id)!
      // the transport monitor: 0.45–0.65 mg/m³, then 1.2–1.4 for the last half hour of the 1 h window (limit 1.0)
      expect(row.dust_ratio).toBeGreaterThan(0.6)
      expect(row.rate).toBeCloseTo(expected.waterRate.get(site.id)!, 6)
      expect(row.open_alerts).toBe(expected.open.get(site.id)!.size)
      expect(row.offline_devices ?? 0).toBe(expected.offline.get(site.id))
      // breaches today: a2 (dust) and a3 (boundary) fired today unless it is just past midnight; device_offline is excluded
      expect(row.breaches_today).toBeGreaterThanOrEqual(1)
      expect(row.breaches_today).toBeLessThanOrEqual(2)
    }
    const sites = resolved.find((q) => q.panelTitle.startsWith('有数据矿山'))!
    expect((await query(sites.query))[0]!.values[0]![1]).toBe(config.sites.length)
    const open = resolved.find((q) => q.panelTitle === '未关闭告警')!
    expect((await query(open.query))[0]!.values[0]![1]).toBe([...expected.open.values()].reduce((n, s) => n + s.size, 0))
  })

  it('the alert timeline names every site the overrides know', async () => {
    const d = byUid('minewatch-overview')
    const q = resolveQueries(d, { now, vars: {} }).find((x) => x.panelTitle.startsWith('告警时间线'))!
    const panel = panels(d).find((p) => p.id === q.panelId)!
    const n = seriesNames(q, await query(q.query))
    expect(n.sort()).toEqual(config.sites.map((s) => s.id).sort())
    for (const name of n) expect(overrideMatches(panel, name)).toBe(true)
  })
})
