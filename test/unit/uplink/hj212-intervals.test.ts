/**
 * HJ 212 uplink interval data (uplink/hj212/intervals.ts) over a real DuckDB store: minute means
 * of counted readings with their -Min/-Max, an hourly frame only for a valid hour (≥ 45 minutes, GB 3095-2012 §8), a
 * daily frame only for a valid day (≥ 20 valid hours), DataTime the interval start in Beijing time.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { dustIntervalCps, intervalStart } from '../../../uplink/hj212/intervals.js'
import { formatDataTime } from '../../../hj212/datatime.js'
import { beijingDayStart, HOUR, MINUTE, DAY } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'

const SITE = 'zj-huzhou-quarry'
const DEV = 'ZJ-DUST01'
const day = beijingDayStart(Date.UTC(2026, 10, 3, 4)) // a Beijing calendar day
let store: DuckDBTelemetryStore

const reading = (ts: number, pm10: number, flag?: string): Reading => ({ site: SITE, device: DEV, kind: 'dust', ts, values: { pm10, flag: flag ?? 'N' } })
const HOUR3 = (45 * 0.3 + 0.5) / 46 // hour 3's mean
/** The particulate's Min, Avg, Max and Flag of a CP, as numbers (Flag as text). */
const stats = (cp: unknown[][]) => (cp[1] as Array<[string, string]>).map(([k, v]) => [k, k.endsWith('Flag') ? v : Number(v)])

beforeAll(async () => {
  store = new DuckDBTelemetryStore({ path: ':memory:' })
  await store.init()
  const rs: Reading[] = []
  // hours 0–19: 45 minutes each (valid); hour 20: 44 minutes (invalid); every minute 0.1 mg/m3, hour 3 at 0.3
  for (let h = 0; h <= 20; h++) {
    for (let m = 0; m < (h === 20 ? 44 : 45); m++) rs.push(reading(day + h * HOUR + m * MINUTE, h === 3 ? 0.3 : 0.1))
  }
  // minute 0 of hour 0 also holds a fault-flagged value: not counted
  rs.push(reading(day + 30_000, 9, 'D'))
  // a second reading in minute 0 of hour 3 and in minute 1 of hour 20: minute and hour extremes
  rs.push(reading(day + 3 * HOUR + 30_000, 0.5), reading(day + 20 * HOUR + MINUTE + 30_000, 0.2))
  await store.write(rs)
})
afterAll(async () => { await store.close() })

describe('HJ 212 uplink interval data', () => {
  it('minute means of the counted readings with their min and max, DataTime the minute start', async () => {
    const cps = await dustIntervalCps(store, SITE, DEV, '2051', day, day + 3 * MINUTE)
    expect(cps).toEqual([0, 1, 2].map((m) => [[['DataTime', formatDataTime(day + m * MINUTE)]], [['a34002-Min', '0.1'], ['a34002-Avg', '0.1'], ['a34002-Max', '0.1'], ['a34002-Flag', 'N']]]))
    const two = await dustIntervalCps(store, SITE, DEV, '2051', day + 20 * HOUR + MINUTE, day + 20 * HOUR + 2 * MINUTE)
    expect(two.map(stats)).toEqual([[['a34002-Min', 0.1], ['a34002-Avg', expect.closeTo(0.15, 12)], ['a34002-Max', 0.2], ['a34002-Flag', 'N']]])
  })

  it('hourly frames only for valid hours, min and max of the hour\'s counted readings', async () => {
    const cps = await dustIntervalCps(store, SITE, DEV, '2061', day, day + DAY)
    expect(cps.length).toBe(20) // hour 20 has 44 minutes
    expect(cps[3]![0]).toEqual([['DataTime', formatDataTime(day + 3 * HOUR)]])
    expect(stats(cps[3]!)).toEqual([['a34002-Min', 0.3], ['a34002-Avg', expect.closeTo(HOUR3, 12)], ['a34002-Max', 0.5], ['a34002-Flag', 'N']])
    expect(stats(cps[0]!)).toEqual([['a34002-Min', 0.1], ['a34002-Avg', expect.closeTo(0.1, 12)], ['a34002-Max', 0.1], ['a34002-Flag', 'N']]) // the D-flagged 9 is left out
    expect(cps.at(-1)![0]).toEqual([['DataTime', formatDataTime(day + 19 * HOUR)]])
  })

  it('a daily frame for a day with 20 valid hours: the mean of the valid hourly means, min and max of them', async () => {
    const cps = await dustIntervalCps(store, SITE, DEV, '2031', day, day + DAY)
    expect(cps.length).toBe(1)
    expect(cps[0]![0]).toEqual([['DataTime', formatDataTime(day)]])
    expect(stats(cps[0]!)).toEqual([['a34002-Min', expect.closeTo(0.1, 12)], ['a34002-Avg', expect.closeTo((19 * 0.1 + HOUR3) / 20, 12)], ['a34002-Max', expect.closeTo(HOUR3, 12)], ['a34002-Flag', 'N']])
    expect(intervalStart('2031', day + 23 * HOUR)).toBe(day)
  })

  it('no daily frame when a day has fewer than 20 valid hours', async () => {
    expect(await dustIntervalCps(store, SITE, DEV, '2031', day + DAY, day + 2 * DAY)).toEqual([])
  })
})
