/**
 * Issue 10 (one home for the mine-site rules), findings 1–3 and 5–9 reproduced as a
 * regulator would: readings published over MQTT to `minewatch up`, alerts and daily reports read
 * over the HTTP API, a restart where the finding needs one. Each fails on the code before the
 * change (named in the test) and passes after it.
 */
import { describe, it, expect } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { tempDir } from '../helpers/ports.js'
import { beijingDate, beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import { ALERT_KIND_NAMES } from '../../core/alerts.js'
import { ALERT_KIND_LABELS } from '../../dashboards/labels.js'
import type { Minewatch } from '../../bin/up.js'
import { distanceToBoundaryM, offsetM, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { fmt } from '../../alerts/messages.js'

const ZJ = 'zj-huzhou-quarry'
const GZ = 'gz-kaiyang-phos'

/** Event time runs 4 h ahead of the wall clock, so a test can play hours of readings without any being "in the future". */
const clock = { now: () => Date.now() + 4 * HOUR }

interface AlertRow { id: string, kind: string, subject: string, state: string, severity: string, value: number | null, limit: number | null, unit: string, standard: string, message: string }

const publish = publishReadings

/** Lets the engine finish evaluating and run its clock-driven checks (day verdicts) once. */
async function settle (mw: Minewatch): Promise<void> {
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

async function alerts (mw: Minewatch, query: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function report (mw: Minewatch, site: string, date: string): Promise<{ water: { rate: number, freshM3: number, recycledM3: number, belowFloor: boolean | null, meters: { device: string, backwards: number }[] }, dust: { metric: string, dayMeans: { device: string, value: number | null, validHours: number }[] | null, dayExceedances: number | null }[] }> {
  const res = await api(mw, `/api/v1/reports/daily?site=${site}&date=${date}`)
  expect(res.status).toBe(200)
  return await res.json() as never
}

/** Totaliser readings every 10 min over the Beijing day from `day`: total(t) from `start`, rising `m3PerHour`. */
function meterDay (day: number, start: number, m3PerHour: number, tweak: (i: number, v: number) => number = (_i, v) => v) {
  return Array.from({ length: 144 }, (_, i) => ({ ts: day + i * 10 * MINUTE, seq: i, totalM3: tweak(i, start + (i * 10 / 60) * m3PerHour), flowM3h: m3PerHour }))
}

async function withMinewatch (extraYaml: string, fn: (mw: Minewatch, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('minewatch-rules-')
  const mw = await startTestMinewatch({ config: demoConfig(extraYaml), dataDir: dir.path, clock })
  try {
    await fn(mw, dir.path)
  } finally {
    await mw.close()
    dir.remove()
  }
}

describe('issue 10: alerts, reports and dashboards give one answer (minewatch up, MQTT, HTTP API)', () => {
  it('finding 1: readings flagged C before a restart do not enter the rebuilt dust window (no false 扬尘超标)', async () => {
    const dir = tempDir('minewatch-rules-f1-')
    let mw = await startTestMinewatch({ dataDir: dir.path, clock })
    try {
      const t0 = clock.now() - 3 * HOUR
      // a boundary monitor calibrating at 3 mg/m³ for 50 minutes (HJ 212 flag C), µg/m³ on the wire
      await publish(mw, ZJ, 'dust', 'ZJ-DUST04', Array.from({ length: 50 }, (_, i) => ({ ts: t0 + i * MINUTE, seq: i, tsp: 3000, flag: 'C' })))
      await mw.alerts.idle()
      await mw.close()
      mw = await startTestMinewatch({ dataDir: dir.path, clock })
      // then clean air: before the change the rebuilt window held the C readings and fired within minutes
      await publish(mw, ZJ, 'dust', 'ZJ-DUST04', Array.from({ length: 30 }, (_, i) => ({ ts: t0 + (50 + i) * MINUTE, seq: 100 + i, tsp: 100, flag: 'N' })))
      await mw.alerts.idle()
      expect(await alerts(mw, `site=${ZJ}&kind=dust_exceedance`)).toEqual([])
      // the calibration itself is a data-quality event, named as the dashboards name it
      const dq = await alerts(mw, `site=${ZJ}&kind=data_quality`)
      expect(dq.map((a) => a.subject)).toContain('ZJ-DUST04:flag')
      expect(dq.find((a) => a.subject === 'ZJ-DUST04:flag')!.message).toContain(ALERT_KIND_LABELS.data_quality)
    } finally {
      await mw.close()
      dir.remove()
    }
  })

  it('finding 2: one low totaliser value (a glitch) does not count the climb back as fresh water in the report; alert and report agree', async () => {
    await withMinewatch('', async (mw) => {
      const day = beijingDayStart(clock.now()) - DAY // yesterday, Beijing: a finished day
      const date = beijingDate(day)
      // fresh 10 m³/h, recycled 45 + 45 m³/h: a 90 % day; one fresh reading drops 10,000 m³ and comes back
      await publish(mw, ZJ, 'water', 'ZJ-WM01', meterDay(day, 50_000, 10, (i, v) => (i === 70 ? v - 10_000 : v)))
      await publish(mw, ZJ, 'water', 'ZJ-WM02', meterDay(day, 20_000, 45))
      await publish(mw, ZJ, 'water', 'ZJ-WM03', meterDay(day, 30_000, 45))
      await settle(mw)
      const r = await report(mw, ZJ, date)
      // 143 steps of 10 minutes: 238.33 h of ... 23 h 50 min × 10 m³/h
      expect(r.water.freshM3).toBeCloseTo(238.333, 2) // before the change: 10,238 m³ and a 23.8 % "below floor" day... of water counted twice
      expect(r.water.rate).toBeCloseTo(0.9, 6)
      expect(r.water.belowFloor).toBe(false)
      expect(r.water.meters.find((m) => m.device === 'ZJ-WM01')!.backwards).toBe(1)
      // the alert engine judged the same stored day the same way: no whole-day alarm
      expect((await alerts(mw, `site=${ZJ}&kind=water_recycling_low`)).filter((a) => a.subject === `recycling_rate:${date}`)).toEqual([])
      // and the day facts the dashboards show (DuckDB here) say the same
      await mw.alerts.refreshDayFacts()
      const facts = await api(mw, `/api/v1/reports/day-facts?site=${ZJ}&from=${date}&to=${date}`)
      expect(facts.status).toBe(200)
      expect(((await facts.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ date, day, to: day + DAY, freshM3: expect.closeTo(r.water.freshM3, 9), rate: expect.closeTo(r.water.rate, 12) })])
      expect((await api(mw, `/api/v1/reports/day-facts?site=${ZJ}&from=${date}&to=2000-01-01`)).status).toBe(400)
    })
  })

  it('finding 3 and 8: a backlog uploaded one meter at a time gives the verdict of the whole stored day; a bad day alarms citing its own formula', async () => {
    await withMinewatch('', async (mw) => {
      const yesterday = beijingDayStart(clock.now()) - DAY
      const before = yesterday - 2 * DAY // not adjacent: no totaliser baseline crosses between the two days
      // yesterday: the fresh meter's backlog first, the two return meters' later (after an outage): 90 %
      await publish(mw, ZJ, 'water', 'ZJ-WM01', meterDay(yesterday, 1000, 10))
      await settle(mw)
      expect(await alerts(mw, `site=${ZJ}&kind=water_recycling_low`)).toEqual([]) // before the change: 「全天水循环利用率 0.0%」 here, never resolved
      await publish(mw, ZJ, 'water', 'ZJ-WM02', meterDay(yesterday, 2000, 45))
      await publish(mw, ZJ, 'water', 'ZJ-WM03', meterDay(yesterday, 3000, 45))
      await settle(mw)
      // an earlier day: really 50 % (all meters)
      await publish(mw, ZJ, 'water', 'ZJ-WM01', meterDay(before, 500, 50))
      await publish(mw, ZJ, 'water', 'ZJ-WM02', meterDay(before, 600, 25))
      await publish(mw, ZJ, 'water', 'ZJ-WM03', meterDay(before, 700, 25))
      await settle(mw)
      const water = await alerts(mw, `site=${ZJ}&kind=water_recycling_low`)
      expect(water.map((a) => [a.subject, a.state, a.severity])).toEqual([[`recycling_rate:${beijingDate(before)}`, 'firing', 'alarm']])
      expect(water[0]!.value).toBeCloseTo(0.5, 6)
      // finding 8: the default formula is the reuse rate, and the alert names it so instead of citing Gansu's beneficiation indicator
      expect(water[0]!.message).toContain(`${beijingDate(before)} 全天水重复利用率 50.0%,下限 85.0%`)
      expect(water[0]!.message).not.toContain('甘资字')
      expect(water[0]!.message).toContain(ALERT_KIND_NAMES.zh.water_recycling_low)
      // the report gives the same two verdicts
      expect((await report(mw, ZJ, beijingDate(yesterday))).water).toMatchObject({ belowFloor: false, rate: expect.closeTo(0.9, 6) })
      expect((await report(mw, ZJ, beijingDate(before))).water).toMatchObject({ belowFloor: true, rate: expect.closeTo(0.5, 6) })
    })
  })

  it('finding 3: late data inside the acceptance window revises a finished day; the alert resolves saying why', async () => {
    await withMinewatch('alerts:\n  dayVerdictWaitS: 0\n', async (mw) => {
      const day = beijingDayStart(clock.now()) - DAY
      const date = beijingDate(day)
      await publish(mw, ZJ, 'water', 'ZJ-WM01', meterDay(day, 1000, 10))
      await settle(mw) // no wait configured: judged on what is stored, the fresh meter alone (0 %)
      const [fired] = await alerts(mw, `site=${ZJ}&kind=water_recycling_low`)
      expect(fired).toMatchObject({ subject: `recycling_rate:${date}`, state: 'firing', severity: 'alarm', value: 0 })
      await publish(mw, ZJ, 'water', 'ZJ-WM02', meterDay(day, 2000, 45))
      await publish(mw, ZJ, 'water', 'ZJ-WM03', meterDay(day, 3000, 45))
      await settle(mw)
      const res = await (await api(mw, `/api/v1/alerts/${fired!.id}`)).json() as { alert: AlertRow, history: { to: string, reason: string }[] }
      expect(res.alert.state).toBe('resolved')
      expect(res.alert.value).toBeCloseTo(0.9, 6)
      expect(res.history.map((t) => [t.to, t.reason])).toEqual([['firing', 'day_rate_below_floor'], ['resolved', 'late_data_day_rate_at_floor']])
    })
  })

  it('finding 5: a GB 3095-2012 daily mean needs 20 valid hours; 19 give no exceedance, 20 do, in the alert and the report alike', async () => {
    await withMinewatch('', async (mw) => {
      const day = beijingDayStart(clock.now()) - DAY
      const date = beijingDate(day)
      const minutes = (validHours: number, unitScale: number) => Array.from({ length: 24 * 60 }, (_, i) => {
        const valid = i < validHours * 60
        // PM10 0.2 mg/m³ (limit 0.15) while valid; the other hours are a fault (flag D) at a higher value
        return { ts: day + i * MINUTE, seq: i, pm10: (valid ? 0.2 : 0.5) * unitScale, pm25: 0.05 * unitScale, flag: valid ? 'N' : 'D' }
      })
      await publish(mw, ZJ, 'dust', 'ZJ-DUST04', minutes(19, 1000)) // µg/m³
      await publish(mw, ZJ, 'dust', 'ZJ-DUST05', minutes(20, 1)) // mg/m³
      await settle(mw)
      const dust = await alerts(mw, `site=${ZJ}&kind=dust_exceedance`)
      // before the change the running 24 h window fired on 19 hours (coverage 75 % of its buckets)
      expect(dust.map((a) => [a.subject, a.severity])).toEqual([[`ZJ-DUST05:pm10:day:${date}`, 'warning']])
      expect(dust[0]!.value).toBeCloseTo(0.2, 6)
      expect(dust[0]!.message).toContain(`PM10 ${date} 日均值 0.2 mg/m³,超过限值 0.15 mg/m³(GB 3095-2012 二级)`) // finding 9: 日均值, not 1天均值
      const pm10 = (await report(mw, ZJ, date)).dust.find((d) => d.metric === 'pm10')!
      expect(pm10.dayExceedances).toBe(1)
      expect(pm10.dayMeans!.filter((m) => m.device === 'ZJ-DUST04' || m.device === 'ZJ-DUST05')).toEqual([
        { device: 'ZJ-DUST04', value: null, validHours: 19, aboveLimit: false },
        { device: 'ZJ-DUST05', value: expect.closeTo(0.2, 6), validHours: 20, aboveLimit: true }
      ])
    })
  })

  it('finding 6: GB 16297-1996 is cited for boundary monitors only; a pit monitor gets the site\'s operational limit without a legal citation', async () => {
    await withMinewatch('', async (mw) => {
      const t0 = clock.now() - 3 * HOUR
      const dusty = Array.from({ length: 70 }, (_, i) => ({ ts: t0 + i * MINUTE, seq: i, tsp: 2500 }))
      await publish(mw, ZJ, 'dust', 'ZJ-DUST01', dusty) // extraction (in the pit)
      await publish(mw, ZJ, 'dust', 'ZJ-DUST04', dusty) // boundary
      await mw.alerts.idle()
      const dust = await alerts(mw, `site=${ZJ}&kind=dust_exceedance`)
      const pit = dust.find((a) => a.subject.startsWith('ZJ-DUST01:'))!
      const boundary = dust.find((a) => a.subject.startsWith('ZJ-DUST04:'))!
      expect(boundary).toMatchObject({ standard: 'GB 16297-1996', limit: 1 })
      expect(boundary.message).toContain('TSP 小时均值 2.5 mg/m³,超过限值 1 mg/m³(GB 16297-1996)')
      expect(pit).toMatchObject({ standard: '本矿运营限值', limit: 1 })
      expect(pit.message).not.toContain('GB 16297')
      expect(dust).toHaveLength(2)
    })
  })

  it('finding 7: a 越界 alert\'s value is the distance outside (max over the run) with the proving fixes; 超层 against sites[].elevation', async () => {
    await withMinewatch('', async (mw) => {
      const t0 = clock.now() - HOUR
      const ring = mw.registry.site(ZJ)!.boundary.coordinates as PolygonCoords
      const [a, b] = [ring[0]![0]!, ring[0]![1]!] // the south edge
      const mid: LonLat = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]
      const south = [20, 35, 28].map((m) => offsetM(mid, 0, -m)) // 20–35 m south of the edge's midpoint, accuracy 3 m
      const fixes = south.map(([lon, lat], i) => ({ ts: t0 + i * 5000, seq: i, entity: 'person', entityId: 'P-007', lon, lat, accuracyM: 3 }))
      // inside the polygon but 15 m below the licensed floor of 20 m: 超层
      const inner = offsetM(mid, 0, 200)
      const deep = [5, 6, 5].map((alt, i) => ({ ts: t0 + (10 + i) * 5000, seq: 10 + i, entity: 'person', entityId: 'P-008', lon: inner[0], lat: inner[1], alt, accuracyM: 3 }))
      await publish(mw, ZJ, 'locator', 'ZJ-UWB01', [...fixes, ...deep])
      await mw.alerts.idle()
      const breaches = await alerts(mw, `site=${ZJ}&kind=boundary_breach`)
      const out = breaches.find((x) => x.subject === 'P-007')!
      const farthest = Math.max(...south.map((p) => distanceToBoundaryM(p, ring)))
      expect(farthest).toBeGreaterThan(30)
      expect(out.value).toBeCloseTo(farthest, 6) // before the change: 3 (the fix accuracy)
      expect(out.unit).toBe('m')
      const [t] = ((await (await api(mw, `/api/v1/alerts/${out.id}`)).json()) as { history: { message: string, evidence: { beyondM: number, fixes: unknown[] } | null }[] }).history
      expect(t!.message).toContain(`连续定位最远在界外 ${fmt(farthest)} m`)
      for (const [lon, lat] of south) expect(t!.message).toContain(`${lon.toFixed(6)},${lat.toFixed(6)} ±3 m`) // the proving fixes, stored with the transition
      // and as structured evidence on the transition: the distance outside and each fix
      expect(t!.evidence).toEqual({
        beyondM: expect.closeTo(farthest, 6),
        fixes: south.map(([lon, lat], i) => ({ ts: fixes[i]!.ts, lon, lat, alt: null, accuracyM: 3, beyondM: expect.closeTo(distanceToBoundaryM([lon, lat], ring), 6) }))
      })
      const layer = breaches.find((x) => x.subject === 'P-008:elevation')!
      expect(layer).toMatchObject({ severity: 'alarm', value: 15 })
      expect(layer.message).toContain('低于许可开采标高 20–210 m(超层),连续定位最远超出 15 m')
      const [lt] = ((await (await api(mw, `/api/v1/alerts/${layer.id}`)).json()) as { history: { evidence: { beyondM: number, fixes: { alt: number, beyondM: number }[] } | null }[] }).history
      expect(lt!.evidence).toMatchObject({ beyondM: 15, fixes: [{ alt: 5, beyondM: 15 }, { alt: 6, beyondM: 14 }, { alt: 5, beyondM: 15 }] })
      expect(breaches).toHaveLength(2)
    })
  })

  it('finding 9: an over-capacity limit is shown rounded (no 183333.33333333334) under one name in alerts and dashboards', async () => {
    await withMinewatch('', async (mw) => {
      const t0 = clock.now() - 2 * HOUR
      // gz-kaiyang-phos: 2,000,000 t/year → monthly share 166,666.67 t × 1.1 = 183,333.333 t
      // 25 weighings of 8,000 t (core/plausibility.ts refuses a single weighing above 10,000 t)
      await publish(mw, GZ, 'ore', 'GZ-TS01', Array.from({ length: 25 }, (_, i) => ({ ts: t0 + i * MINUTE, seq: i, tonnes: 8_000, truckId: 'T1' })))
      await mw.alerts.idle()
      const [oc] = await alerts(mw, `site=${GZ}&kind=over_capacity`)
      expect(oc).toMatchObject({ severity: 'warning', value: 184_000, limit: 183_333.333 }) // fired at the 23rd weighing, the first month-to-date above the limit
      expect(oc!.message).toContain('超过月度分摊限额 183333.333 t')
      expect(oc!.message).toContain(`【预警】${ALERT_KIND_LABELS.over_capacity}`)
      expect(ALERT_KIND_LABELS).toBe(ALERT_KIND_NAMES.zh)
    })
  })
})
