/**
 * The dashboards on data minewatch itself produces: the device-offline simulator scenario
 * (every demo device, 45 simulated minutes ending now) goes through the real ingest
 * pipeline into a real InfluxDB 1.x, with the real alert engine writing alert_events.
 * Then every panel query runs as Grafana would send it and must fit its panel.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { tempDir } from '../helpers/ports.js'
import { loadConfig, type Config } from '../../core/config.js'
import { Registry } from '../../core/registry.js'
import { createMetrics } from '../../core/metrics.js'
import { createLogger } from '../../core/log.js'
import { systemClock, ManualClock } from '../../core/clock.js'
import { KINDS } from '../../core/kinds.js'
import { MINUTE, beijingDayStart } from '../../core/time.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'
import { openStateStore, type StateStore } from '../../store/duckdb/state.js'
import { createIngest, type Ingest } from '../../ingest/index.js'
import { createAlertEngine, type AlertEngine } from '../../alerts/index.js'
import { prepareRun, runSimulation, directPublisher, type PreparedRun } from '../../simulators/index.js'
import { buildDashboards } from '../../dashboards/render.js'
import { optionsFromEnv } from '../../dashboards/options.js'
import { probeDashboard, seriesNames, type ProbeResult } from '../../dashboards/probe.js'
import { deviceTotals } from '../../dashboards/site-facts.js'

const DB = 'minewatch'
let influx: InfluxDBHandle
let store: InfluxTelemetryStore
let dir: ReturnType<typeof tempDir>
let state: StateStore
let ingest: Ingest
let alerts: AlertEngine
let config: Config
let run: PreparedRun
let now: number

beforeAll(async () => {
  // "today" panels need a few minutes of today's data: wait out the first minutes after Beijing midnight
  const sinceMidnight = Date.now() - beijingDayStart(Date.now())
  if (sinceMidnight < 5 * MINUTE) await new Promise((r) => setTimeout(r, 5 * MINUTE - sinceMidnight + 1000))
  config = loadConfig('config/demo.yaml').config
  const registry = new Registry(config)
  const metrics = createMetrics()
  const logger = createLogger({ level: 'silent' })
  influx = await startInfluxDB()
  dir = tempDir('dashboards-sim-')
  store = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db: DB, timeoutMs: 30_000 }, metrics, logger })
  await store.init()
  state = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows: 1000 })
  ingest = createIngest({ registry, store, rejects: state.rejects, config: config.ingest, metrics, logger, clock: systemClock })
  await ingest.start()
  now = Date.now()
  run = prepareRun({ registry, scenario: 'device-offline', start: now - 45 * MINUTE, durationMs: 45 * MINUTE, seed: 7 })
  // the alert engine lives in simulated time: it starts when the run starts, and its clock is moved to now before the offline check
  const clock = new ManualClock(run.start)
  alerts = createAlertEngine({ registry, config, alertStore: state.alerts, outbox: state.outbox, telemetry: store, publish: async () => {}, metrics, logger, clock })
  await alerts.start()
  ingest.onStored((readings) => { alerts.evaluate(readings).catch(() => {}) })
  const progress = await runSimulation({
    sim: run.sim,
    end: now,
    speed: Infinity,
    maxInflight: 512,
    publisher: directPublisher(async (topic, payload, deviceId) => {
      await ingest.handle({ topic, payload, deviceId, receivedAt: Date.now() })
    })
  })
  expect(progress.errors).toBe(0)
  await alerts.idle()
  clock.set(now)
  await alerts.tick() // device_offline is clock-driven
  await alerts.idle()
}, 8 * MINUTE) // may wait up to 5 min just after Beijing midnight

afterAll(async () => {
  await ingest?.close()
  await alerts?.close()
  await state?.close()
  await store?.close()
  await influx?.stop()
  dir?.remove()
})

const offlineAlert = () => run.plan.expectedAlerts.find((a) => a.kind === 'device_offline')!
const problemsOf = (results: ProbeResult[], exempt: (r: ProbeResult) => boolean): string[] =>
  results.filter((r) => !exempt(r)).flatMap((r) => r.problems.map((p) => `${r.query.panelTitle} ${r.query.refId}: ${p}`))

describe('dashboards on a simulated run (ingest → InfluxDB, alert engine → alert_events)', () => {
  it('the run stored telemetry for every site and the alert engine raised the scenario’s device_offline', async () => {
    expect(await store.count({})).toBeGreaterThan(10_000)
    const { site } = offlineAlert()
    const results = await probeDashboard({ url: influx.url, db: DB }, buildDashboards(config, optionsFromEnv({}))[0]!, { site }, now)
    const openTable = results.find((r) => r.query.panelTitle === '当前未关闭告警')!
    const s = openTable.series[0]!
    // rows arrive newest first: the first row of each alertId is its state, as the panel's groupBy takes it
    // (another device may go offline and back under load; the scenario's device must be the one still firing)
    const col = (name: string) => s.columns.indexOf(name)
    const latest = new Map<unknown, unknown[]>()
    for (const v of s.values) if (!latest.has(v[col('alertId')])) latest.set(v[col('alertId')], v)
    const device = offlineAlert().device!
    const rows = [...latest.values()].filter((v) => v[col('kind')] === 'device_offline' && String(v[col('message')]).includes(device))
    expect(rows.length, `device_offline of ${device} in alert_events`).toBeGreaterThan(0)
    expect(rows.map((v) => v[col('to')])).toContain('firing')
  })

  for (const siteIndex of [0, 1, 2]) {
    it(`矿山一屏: every query fits its panel (site #${siteIndex + 1})`, async () => {
      const site = config.sites[siteIndex]!
      const results = await probeDashboard({ url: influx.url, db: DB }, buildDashboards(config, optionsFromEnv({}))[0]!, { site: site.id }, now)
      // a site without alerts in the run has, rightly, empty alert tables
      const noAlerts = site.id !== offlineAlert().site
      const totals = deviceTotals(site)
      // 设备在线 has one query per kind: a kind the site has no devices of (energy meters at the quarry only) answers nothing
      const noDevices = (r: (typeof results)[number]): boolean => r.panel.type === 'bargauge' && KINDS.some((k) => totals[k] === 0 && r.query.query.includes(`FROM "${k}"`))
      expect(problemsOf(results, (r) => (noAlerts && r.panel.type === 'table') || noDevices(r))).toEqual([])
      const value = (title: string): number => results.find((r) => r.query.panelTitle === title)!.series[0]!.values[0]![1] as number
      // the simulator runs recycling at 0.895–0.92 and production near the licence pace
      expect(value('今日水循环利用率')).toBeGreaterThan(0.85)
      expect(value('今日水循环利用率')).toBeLessThan(0.95)
      expect(value('本年产量 / 年许可规模')).toBeGreaterThanOrEqual(value('今日产量'))
      // devices online: at most the registry's count per kind, one dust monitor fewer at the silenced site
      const online = results.filter((r) => r.panel.type === 'bargauge' && !noDevices(r))
      for (const r of online) {
        const [name] = seriesNames(r.query, r.series)
        const kind = KINDS.find((k) => name === `${k} ${site.id}`)!
        const n = r.series[0]!.values[0]![1] as number
        expect(n, name).toBeGreaterThan(0)
        expect(n, name).toBeLessThanOrEqual(totals[kind] - (kind === 'dust' && !noAlerts ? 1 : 0))
      }
      expect(online.length).toBe(KINDS.filter((k) => totals[k] > 0).length)
    })
  }

  it('监管总览: every query fits its panel; the offline device and the open alert show on their site', async () => {
    const results = await probeDashboard({ url: influx.url, db: DB }, buildDashboards(config, optionsFromEnv({}))[1]!, {}, now)
    // only device_offline fired: no breaches today (a query with no rows is right)
    expect(problemsOf(results, (r) => r.query.query.includes(`"kind" !~ /^(device_offline|data_quality)$/`))).toEqual([])
    const table = results.filter((r) => r.query.panelTitle === '各矿山状况')
    const cell = (column: string, site: string): unknown => {
      for (const r of table) for (const s of r.series) if (s.tags?.site === site && s.columns.includes(column)) return s.values[0]![s.columns.indexOf(column)]
      return undefined
    }
    const { site } = offlineAlert()
    expect(cell('offline_devices', site)).toBe(1)
    expect(cell('open_alerts', site)).toBe(1)
    for (const s of config.sites) {
      expect(cell('dust_ratio', s.id) as number, s.id).toBeGreaterThan(0)
      expect(cell('dust_ratio', s.id) as number, s.id).toBeLessThan(1) // normal operation: below the limit
    }
  })
})
