/**
 * HJ 212 uplink interval data of a water meter (uplink/hj212/intervals.ts waterIntervalCps) over a
 * real DuckDB store: w00000 -Min/-Avg/-Max of the real-time flow in L/s, -Cou the interval's
 * volume from the totaliser's steps (core/water.ts: a rollover and a backwards glitch inside the
 * day, a glitch straddling an hour boundary), DataTime the interval start; a day's hourly volumes
 * add up to the volume the day facts take from the same totaliser values.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { intervalCps, waterIntervalCps } from '../../../uplink/hj212/intervals.js'
import { totaliserValues } from '../../../store/day-queries.js'
import { totaliserIncrease } from '../../../core/water.js'
import { formatDataTime } from '../../../hj212/datatime.js'
import { beijingDayStart, HOUR, MINUTE, DAY } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'

const SITE = 'zj-huzhou-quarry'
const DEV = 'ZJ-WM01'
const ROLLOVER = 10_000
const day = beijingDayStart(Date.UTC(2026, 10, 3, 4)) // a Beijing calendar day
let store: DuckDBTelemetryStore

const at = (h: number, m: number) => day + h * HOUR + m * MINUTE + 20_000
const reading = (ts: number, totalM3: number, flowLps = 10): Reading => ({ site: SITE, device: DEV, kind: 'water', ts, values: { totalM3, flowM3h: flowLps * 3.6 } })
/** The w00000 items of a CP as numbers (Flag as text). */
const items = (cp: unknown[][]) => Object.fromEntries((cp[1] as Array<[string, string]>).map(([k, v]) => [k, k.endsWith('Flag') ? v : Number(v)]))

beforeAll(async () => {
  store = new DuckDBTelemetryStore({ path: ':memory:' })
  await store.init()
  const rs: Reading[] = [reading(day - 30 * MINUTE, 9_880)] // the baseline before the day
  // hour 0: +10 m³ a minute up to 9 980; flow 10..19 L/s
  for (let m = 0; m < 10; m++) rs.push(reading(at(0, m), 9_890 + 10 * m, 10 + m))
  // hour 1: 9 995 (+15), a rollover to 5 (+10), 25 (+20)
  rs.push(reading(at(1, 0), 9_995), reading(at(1, 1), 5), reading(at(1, 2), 25))
  // hour 2: 40 (+15), a glitch to 38 (0, the baseline stays 40), 45 (+5), 50 (+5), a glitch to 47 in its last minute
  rs.push(reading(at(2, 0), 40), reading(at(2, 1), 38), reading(at(2, 2), 45), reading(at(2, 3), 50), reading(at(2, 59), 47))
  // hour 3: 60: +10 from the baseline 50 kept through the glitch, not +13
  rs.push(reading(at(3, 0), 60))
  // a second reading in minute 0 of hour 1: the minute's last totaliser value counts; both flows enter the stats
  rs.push(reading(at(1, 0) - 10_000, 9_992, 30))
  await store.write(rs)
})
afterAll(async () => { await store.close() })

describe('HJ 212 uplink interval data of a water meter', () => {
  it('hourly frames: flow min/avg/max in L/s and the volume through a rollover and glitches', async () => {
    const cps = await waterIntervalCps(store, SITE, DEV, '2061', day, day + DAY, ROLLOVER)
    expect(cps.map((cp) => cp[0])).toEqual([0, 1, 2, 3].map((h) => [['DataTime', formatDataTime(day + h * HOUR)]]))
    expect(items(cps[0]!)).toEqual({ 'w00000-Min': 10, 'w00000-Avg': expect.closeTo(14.5, 9), 'w00000-Max': 19, 'w00000-Cou': expect.closeTo(100, 9), 'w00000-Flag': 'N' })
    expect(items(cps[1]!)).toMatchObject({ 'w00000-Min': 10, 'w00000-Avg': expect.closeTo(15, 9), 'w00000-Max': 30, 'w00000-Cou': expect.closeTo(45, 9) })
    expect(items(cps[2]!)['w00000-Cou']).toBeCloseTo(25, 9)
    expect(items(cps[3]!)['w00000-Cou']).toBeCloseTo(10, 9)
    expect((cps[0]![1] as Array<[string, string]>).map(([k]) => k)).toEqual(['w00000-Min', 'w00000-Avg', 'w00000-Max', 'w00000-Cou', 'w00000-Flag'])
  })

  it('the hours add up to the day\'s volume as the day facts take it (core/water.ts totaliserIncrease)', async () => {
    const hours = await waterIntervalCps(store, SITE, DEV, '2061', day, day + DAY, ROLLOVER)
    const sum = hours.reduce((a, cp) => a + (items(cp)['w00000-Cou'] as number), 0)
    const dayFacts = totaliserIncrease((await totaliserValues(store, SITE, 'water', 'totalM3', day, day + DAY)).get(DEV)!, ROLLOVER)
    expect(dayFacts).toMatchObject({ rollovers: 1, backwards: 2 })
    expect(sum).toBeCloseTo(dayFacts.total, 9)
    expect(sum).toBeCloseTo(180, 9)
    const daily = await waterIntervalCps(store, SITE, DEV, '2031', day + 5 * HOUR, day + DAY, ROLLOVER)
    expect(daily.map((cp) => cp[0])).toEqual([[['DataTime', formatDataTime(day)]]])
    expect(items(daily[0]!)).toMatchObject({ 'w00000-Min': 10, 'w00000-Max': 30, 'w00000-Cou': expect.closeTo(180, 9) })
  })

  it('minute frames, and a range starting after a glitch keeps the day\'s baseline', async () => {
    const minutes = await waterIntervalCps(store, SITE, DEV, '2051', day + HOUR, day + HOUR + 3 * MINUTE, ROLLOVER)
    expect(minutes.map((cp) => [cp[0]![0]![1], items(cp)['w00000-Cou']])).toEqual([
      [formatDataTime(day + HOUR), 15], [formatDataTime(day + HOUR + MINUTE), 10], [formatDataTime(day + HOUR + 2 * MINUTE), 20]
    ])
    const hour3 = await waterIntervalCps(store, SITE, DEV, '2061', day + 3 * HOUR, day + 4 * HOUR, ROLLOVER)
    expect(hour3.length).toBe(1)
    expect(items(hour3[0]!)).toMatchObject({ 'w00000-Cou': 10, 'w00000-Avg': 10 })
  })

  it('no frame for an interval without readings, nor for another device, nor for a kind without interval data', async () => {
    expect(await waterIntervalCps(store, SITE, DEV, '2061', day + 5 * HOUR, day + 9 * HOUR, ROLLOVER)).toEqual([])
    expect(await waterIntervalCps(store, SITE, 'ZJ-WM02', '2061', day, day + DAY, ROLLOVER)).toEqual([])
    expect(await intervalCps(store, SITE, { id: DEV, kind: 'ore' }, '2061', day, day + DAY, ROLLOVER)).toEqual([])
    expect((await intervalCps(store, SITE, { id: DEV, kind: 'water' }, '2061', day, day + DAY, ROLLOVER)).length).toBe(4)
  })
})
