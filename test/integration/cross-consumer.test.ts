/**
 * Issue 10's cross-consumer contract: one fixture site-day run through `minewatch up` on a real
 * InfluxDB, read by (a) the alert engine (its alerts over the HTTP API), (b) the daily report and
 * (c) the generated dashboards' queries (resolved as Grafana would and run on the same InfluxDB).
 * One recycling rate, one ore output, one exceedance count, identical in all three and equal to
 * the figures worked out by hand below.
 *
 * The day (yesterday, Beijing) holds what breaks re-derived rules:
 *  - water: the fresh meter has one backwards totaliser glitch (10,000 m³ low, then back), one
 *    return meter is reset (its counter restarts near 0) at noon, and the meters' buffered day
 *    is uploaded one meter at a time, the reset meter's afternoon before its morning;
 *  - dust: one boundary monitor above the GB 3095-2012 PM10 daily limit all day; another clean for
 *    21 hours and at 0.9 mg/m³ for three hours flagged C, D and M (counted, its mean would exceed);
 *  - ore: eight truck loads of 50 t;
 *  - after a restart every device re-sends part of its day (duplicates, dropped by ingest).
 * Before this change the dashboards' rate came from InfluxQL non_negative_difference: the climb
 * back from the glitch counted as 10,000 m³ of fresh water (rate 8.5 % instead of 80 %).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api, DEMO_TEXT } from '../helpers/minewatch.js'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { tempDir } from '../helpers/ports.js'
import { parseConfig } from '../../core/config.js'
import { beijingDate, beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import type { Minewatch } from '../../bin/up.js'
import { buildDashboards } from '../../dashboards/render.js'
import { optionsFromEnv } from '../../dashboards/options.js'
import { resolveQueries } from '../../dashboards/grafana.js'
import { queryInflux } from '../../dashboards/probe.js'

const SITE = 'zj-huzhou-quarry'
const DB = 'cross_consumer'
/** Event time runs 4 h ahead of the wall clock: the whole fixture day is over, and nothing is "in the future". */
const clock = { now: () => Date.now() + 4 * HOUR }
const day = beijingDayStart(clock.now()) - DAY
const date = beijingDate(day)

// By hand: 143 steps of 10 minutes (23 h 50 min) per meter.
const HOURS = 143 / 6
const FRESH_M3 = 10 * HOURS // 10 m³/h; the glitch adds nothing
const RECYCLED_M3 = (20 + 20) * HOURS // two return meters of 20 m³/h; the reset loses nothing
const RATE = RECYCLED_M3 / (RECYCLED_M3 + FRESH_M3) // 0.8: below the site's 85 % floor, so the day verdict alarms
const ORE_T = 8 * 50
const EXCEEDANCES = 1 // ZJ-DUST04's PM10 daily mean; ZJ-DUST05's flagged hours do not count

/** ZJ's licensed scale cut to 4,000 t/year: the monthly limit (366.7 t) is crossed by the eighth load, so the over_capacity alert's value is the day's output. */
const config = (influxUrl: string) => parseConfig(
  `${DEMO_TEXT.replace('scaleTPerYear: 3000000', 'scaleTPerYear: 4000')}\nstore:\n  kind: influx\n  influx: { url: "${influxUrl}", api: v1, db: ${DB} }\n`,
  'config/demo.yaml+cross-consumer', {})

function meterDay (start: number, m3PerHour: number, tweak: (i: number, v: number) => number = (_i, v) => v) {
  return Array.from({ length: 144 }, (_, i) => ({ ts: day + i * 10 * MINUTE, seq: i, totalM3: tweak(i, start + (i * 10 / 60) * m3PerHour), flowM3h: m3PerHour }))
}
const fresh = meterDay(50_000, 10, (i, v) => (i === 70 ? v - 10_000 : v)) // a backwards glitch, then the true value again
const returnReset = meterDay(20_000, 20, (i, v) => (i >= 72 ? ((i - 71) * 10 / 60) * 20 : v)) // reset right after 11:50: 3.33, 6.67, ... m³ from 12:00
const returnPlain = meterDay(30_000, 20)

/** A monitor's day of 1-minute readings, mg/m³ × `unitScale` on the wire (ZJ-DUST04 sends µg/m³, ZJ-DUST05 mg/m³). */
function dustDay (unitScale: number, value: (minute: number) => { pm10: number, flag: string }) {
  return Array.from({ length: 24 * 60 }, (_, i) => {
    const v = value(i)
    return { ts: day + i * MINUTE, seq: i, pm10: v.pm10 * unitScale, pm25: 0.03 * unitScale, flag: v.flag }
  })
}
const dustHigh = dustDay(1000, () => ({ pm10: 0.2, flag: 'N' })) // ZJ-DUST04; limit 0.15 (GB 3095-2012 二级)
const dustFlagged = dustDay(1, (i) => i < 21 * 60 ? { pm10: 0.1, flag: 'N' } : { pm10: 0.9, flag: ['C', 'D', 'M'][Math.floor(i / 60) - 21]! }) // ZJ-DUST05

const loads = Array.from({ length: 8 }, (_, i) => ({ ts: day + 8 * HOUR + i * 30 * MINUTE, seq: 4100 + i, tonnes: 50, truckId: `ZJ-TRK0${i % 4 + 1}` }))

/** A device's readings of SITE over MQTT, 500 to a message. */
function publish (mw: Minewatch, kind: string, device: string, readings: unknown[]): Promise<void> {
  return publishReadings(mw, SITE, kind, device, readings, 500)
}

/** Lets the engine evaluate, judge the finished day and write its day facts. */
async function settle (mw: Minewatch): Promise<void> {
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.refreshDayFacts()
  await mw.alerts.idle()
}

interface AlertRow { kind: string, subject: string, state: string, value: number | null }

let influx: InfluxDBHandle
const dir = tempDir('cross-consumer-')
let mw: Minewatch | null = null

beforeAll(async () => {
  influx = await startInfluxDB()
  const first = await startTestMinewatch({ config: config(influx.url), dataDir: dir.path, clock })
  mw = first
  // the backlog, one meter at a time; the reset meter's afternoon before its morning
  await publish(first, 'water', 'ZJ-WM01', fresh)
  await publish(first, 'water', 'ZJ-WM02', returnReset.slice(72))
  await publish(first, 'water', 'ZJ-WM02', returnReset.slice(0, 72))
  await publish(first, 'water', 'ZJ-WM03', returnPlain)
  await publish(first, 'dust', 'ZJ-DUST04', dustHigh)
  await publish(first, 'dust', 'ZJ-DUST05', dustFlagged)
  await publish(first, 'ore', 'ZJ-TS01', loads)
  await settle(first)
  await first.close()
  // the restart, then every device re-sends part of what it already sent
  mw = null
  const second = await startTestMinewatch({ config: config(influx.url), dataDir: dir.path, clock })
  mw = second
  await publish(second, 'water', 'ZJ-WM01', fresh.slice(60, 90))
  await publish(second, 'water', 'ZJ-WM02', returnReset.slice(66, 80))
  await publish(second, 'dust', 'ZJ-DUST05', dustFlagged.slice(20 * 60))
  await publish(second, 'ore', 'ZJ-TS01', loads)
  await settle(second)
}, 240_000)

afterAll(async () => {
  await mw?.close()
  await influx?.stop()
  dir.remove()
})

describe('issue 10: one site-day, one answer in the alert engine, the daily report and the dashboards (real InfluxDB)', () => {
  it('the duplicates after the restart were dropped, not stored', async () => {
    expect(await mw!.telemetry.count({ site: SITE, device: 'ZJ-TS01' })).toBe(8)
    expect(await mw!.telemetry.count({ site: SITE, device: 'ZJ-WM01' })).toBe(144)
  })

  it('recycling rate, ore output and exceedance count agree', async () => {
    // (a) the alert engine
    const res = await api(mw!, `/api/v1/alerts?limit=200&site=${SITE}`)
    expect(res.status).toBe(200)
    const alerts = ((await res.json()) as { items: AlertRow[] }).items
    const water = alerts.filter((a) => a.kind === 'water_recycling_low' && a.subject === `recycling_rate:${date}`)
    expect(water).toHaveLength(1)
    const ore = alerts.filter((a) => a.kind === 'over_capacity')
    expect(ore).toHaveLength(1)
    const dayExceedances = alerts.filter((a) => a.kind === 'dust_exceedance' && a.subject.endsWith(`:day:${date}`))
    const engine = { rate: water[0]!.value!, oreT: ore[0]!.value!, exceedances: dayExceedances.length }

    // (b) the daily report
    const rep = await api(mw!, `/api/v1/reports/daily?site=${SITE}&date=${date}`)
    expect(rep.status).toBe(200)
    const r = await rep.json() as { water: { rate: number, freshM3: number, recycledM3: number }, ore: { outputT: number }, dust: { dayExceedances: number | null }[] }
    const report = { rate: r.water.rate, oreT: r.ore.outputT, exceedances: r.dust.reduce((n, d) => n + (d.dayExceedances ?? 0), 0) }
    expect(r.water.freshM3).toBeCloseTo(FRESH_M3, 6)
    expect(r.water.recycledM3).toBeCloseTo(RECYCLED_M3, 6)

    // (c) the dashboards' queries, resolved as Grafana resolves them on the fixture day (its last minute)
    const site = buildDashboards(mw!.config.config, optionsFromEnv({})).find((d) => d.uid === 'minewatch-site')!
    const qs = resolveQueries(site, { now: day + DAY - MINUTE, vars: { site: SITE } })
    const panel = async (title: string): Promise<number> => {
      const q = qs.find((x) => x.panelTitle === title && x.refId === 'A')
      expect(q, title).toBeDefined()
      const [s] = await queryInflux({ url: influx.url, db: DB }, q!.query)
      expect(s?.tags?.site, `${title}: ${q!.query}`).toBe(SITE)
      return s!.values[0]![1] as number
    }
    const dashboards = { rate: await panel('今日水循环利用率'), oreT: await panel('今日产量'), exceedances: await panel('本月日均值超标') }

    // the same facts through the API
    const api1 = await api(mw!, `/api/v1/reports/day-facts?site=${SITE}&from=${date}&to=${date}`)
    expect(api1.status).toBe(200)
    const [facts] = ((await api1.json()) as { items: { rate: number, oreOutputT: number, dustDayExceedances: number }[] }).items
    expect({ rate: facts!.rate, oreT: facts!.oreOutputT, exceedances: facts!.dustDayExceedances }).toEqual(dashboards)

    expect(engine.rate).toBeCloseTo(RATE, 9)
    expect(engine.oreT).toBeCloseTo(ORE_T, 9)
    expect(engine.exceedances).toBe(EXCEEDANCES)
    expect(report).toEqual({ rate: expect.closeTo(engine.rate, 12), oreT: expect.closeTo(engine.oreT, 9), exceedances: engine.exceedances })
    expect(dashboards).toEqual({ rate: expect.closeTo(engine.rate, 12), oreT: expect.closeTo(engine.oreT, 9), exceedances: engine.exceedances })
  })
})
