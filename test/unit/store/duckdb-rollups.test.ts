/**
 * Rollups of the embedded store (issue 19 point 2) equal the aggregates of the raw readings: every
 * series query a rollup answers gives what a store without rollups gives, before the job ran (marked
 * minutes read raw), after it, and after late readings (flagged ones too) landed in rolled-up minutes.
 * The exported rollup rows equal per-minute statistics computed here in JS from the readings.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { DuckDBInstance } from '@duckdb/node-api'
import { tempDir } from '../../helpers/ports.js'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { AGGREGATES, type SeriesQuery, type SeriesPoint } from '../../../store/telemetry.js'
import { COUNTED_FLAGS } from '../../../core/dust.js'
import { HOUR, MINUTE } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'
import { seriesSource } from '../../../store/duckdb/rollup-sql.js'
import { openStateStore } from '../../../store/duckdb/state.js'
import { parseConfig } from '../../../core/config.js'
import { DAY, beijingDateToMs } from '../../../core/time.js'
import type { Kind } from '../../../core/kinds.js'
import { fetchDailyInput } from '../../../api/reports/fetch.js'
import { computeDailyReport } from '../../../api/reports/daily.js'

const T0 = Date.parse('2025-03-01T00:00:00Z') // a Beijing hour boundary (08:00)
const SITE = 'gm01'

/** Deterministic PRNG (mulberry32): the same readings on every run. */
function rng (seed: number): () => number {
  let a = seed
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FLAGS = ['N', 'N', 'N', 'N', 'N', 'T', 'M', 'D', 'C', undefined] as const

/** Dust readings of `devices` over [from, from + spanMs), 10–80 s apart, distinct ts per device; some lack pm10. */
function dustReadings (rand: () => number, devices: readonly string[], from: number, spanMs: number): Reading[] {
  const out: Reading[] = []
  for (const device of devices) {
    for (let ts = from + Math.floor(rand() * 10_000); ts < from + spanMs; ts += 10_000 + Math.floor(rand() * 70_000)) {
      const values: Reading['values'] = { tsp: Math.round(rand() * 2000) / 1000 }
      if (rand() < 0.8) values.pm10 = Math.round(rand() * 500) / 1000
      const flag = FLAGS[Math.floor(rand() * FLAGS.length)]
      if (flag !== undefined) values.flag = flag
      out.push({ site: SITE, device, kind: 'dust', ts, values })
    }
  }
  return out
}

function otherReadings (rand: () => number, from: number, spanMs: number): Reading[] {
  const out: Reading[] = []
  for (let ts = from; ts < from + spanMs; ts += 3_000 + Math.floor(rand() * 2_000)) {
    out.push({ site: SITE, device: 'TAG1', kind: 'locator', ts, values: { entity: 'person', entityId: 'P1', lat: 30 + rand() / 100, lon: 120 + rand() / 100, speedKmh: rand() * 20 } })
  }
  for (let ts = from; ts < from + spanMs; ts += 5 * MINUTE) out.push({ site: SITE, device: 'W1', kind: 'water', ts, values: { totalM3: 1000 + (ts - from) / 60_000, flowM3h: rand() * 50 } })
  for (let ts = from + 7_000; ts < from + spanMs; ts += 11 * MINUTE) out.push({ site: SITE, device: 'TS1', kind: 'ore', ts, values: { tonnes: 40 + rand() * 30, truckId: 'T9' } })
  return out
}

describe('rollups equal the aggregates of the raw readings', () => {
  const dir = tempDir('mw-rollups-')
  const rolled = new DuckDBTelemetryStore({ path: join(dir.path, 'rolled.duckdb'), rollups: { intervalMs: 3_600_000 } })
  const raw = new DuckDBTelemetryStore({ path: join(dir.path, 'raw.duckdb'), rollups: false })
  const all: Reading[] = []
  const rand = rng(19)

  async function write (readings: Reading[]): Promise<void> {
    for (let i = 0; i < readings.length; i += 500) {
      const batch = readings.slice(i, i + 500)
      await Promise.all([rolled.write(batch), raw.write(batch)])
    }
    all.push(...readings)
  }

  /** The queries rollups answer: every aggregate, both flag selections, minute and hour steps, one device or all. */
  function queries (): SeriesQuery[] {
    const qs: SeriesQuery[] = []
    for (const agg of AGGREGATES) {
      for (const [stepMs, from, to] of [[MINUTE, T0, T0 + 3 * HOUR], [5 * MINUTE, T0 + 10 * MINUTE, T0 + 2 * HOUR + 5 * MINUTE], [HOUR, T0, T0 + 3 * HOUR], [3 * HOUR, T0, T0 + 3 * HOUR]] as const) {
        for (const field of ['tsp', 'pm10']) {
          qs.push({ site: SITE, kind: 'dust', field, from, to, stepMs, agg })
          qs.push({ site: SITE, kind: 'dust', field, from, to, stepMs, agg, flags: COUNTED_FLAGS })
        }
        qs.push({ site: SITE, kind: 'dust', field: 'tsp', device: 'D2', from, to, stepMs, agg, flags: COUNTED_FLAGS })
        qs.push({ site: SITE, kind: 'locator', field: 'speedKmh', from, to, stepMs, agg })
        qs.push({ site: SITE, kind: 'water', field: 'totalM3', from, to, stepMs, agg })
        qs.push({ site: SITE, kind: 'ore', field: 'tonnes', from, to, stepMs, agg })
      }
    }
    return qs
  }

  function close (a: SeriesPoint[], b: SeriesPoint[], label: string): void {
    expect(a.map((p) => [p.device, p.t]), label).toEqual(b.map((p) => [p.device, p.t]))
    a.forEach((p, i) => {
      const want = b[i]!.value
      expect(Math.abs(p.value - want), `${label} ${p.device} ${p.t}: ${p.value} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)))
    })
  }

  async function compareAll (phase: string): Promise<number> {
    let points = 0
    for (const q of queries()) {
      expect(rolled.seriesSource(q), JSON.stringify(q)).not.toBe('raw')
      const [got, want] = await Promise.all([rolled.series(q), raw.series(q)])
      close(got, want, `${phase} ${JSON.stringify(q)}`)
      points += want.length
    }
    return points
  }

  beforeAll(async () => {
    await Promise.all([rolled.init(), raw.init()])
    await write([...dustReadings(rand, ['D1', 'D2', 'D3'], T0, 3 * HOUR), ...otherReadings(rand, T0, 3 * HOUR)])
  }, 60_000)
  afterAll(async () => { await rolled.close(); await raw.close(); dir.remove() })

  it('chooses rollups only where they give the raw answer', () => {
    const q: SeriesQuery = { site: SITE, kind: 'dust', field: 'tsp', from: T0, to: T0 + HOUR, stepMs: MINUTE, agg: 'mean' }
    expect(seriesSource(q)).toBe('rollup-1m')
    expect(seriesSource({ ...q, stepMs: HOUR })).toBe('rollup-1h')
    expect(seriesSource({ ...q, stepMs: HOUR, to: T0 + HOUR + MINUTE })).toBe('rollup-1m') // the range ends inside an hour
    expect(seriesSource({ ...q, stepMs: 30_000 })).toBe('raw') // buckets narrower than a minute
    expect(seriesSource({ ...q, from: T0 + 1 })).toBe('raw') // the range starts inside a minute
    expect(seriesSource({ ...q, flags: ['N'] })).toBe('raw') // another selection of flags than the counted ones
    expect(seriesSource({ ...q, flags: [...COUNTED_FLAGS].reverse() })).toBe('rollup-1m')
    expect(seriesSource({ ...q, kind: 'locator', field: 'lat', entityId: 'P1' })).toBe('raw') // rollups are per device
    expect(seriesSource({ ...q, field: 'tspAvg' })).toBe('raw') // HJ 212 interval statistics are not rolled up
    expect(seriesSource({ ...q, field: 'temp' })).toBe('rollup-1m')
    expect(seriesSource({ ...q, field: 'temp', flags: COUNTED_FLAGS })).toBe('raw') // counted statistics are kept for concentrations and noise only
    expect(seriesSource({ ...q, field: 'noise', flags: COUNTED_FLAGS })).toBe('rollup-1m')
    expect(new DuckDBTelemetryStore({ path: ':memory:', rollups: false }).seriesSource(q)).toBe('raw')
  })

  it('before the job ran (every minute marked: read raw), after it, and after late readings', async () => {
    expect(await compareAll('unrolled')).toBeGreaterThan(1000)
    expect(await rolled.rollUp()).toBeGreaterThan(180)
    const marks = async () => Number((await (rolled as unknown as { read: (q: { sql: string, params: object }) => Promise<Array<{ n: bigint }>> }).read({ sql: 'SELECT count(*) AS n FROM rollup_dirty', params: {} }))[0]!.n)
    expect(await marks()).toBe(0)
    await compareAll('rolled')

    // late readings into rolled-up minutes and hours: counted and flagged, a device new to them
    const late = [
      ...dustReadings(rand, ['D1', 'D4'], T0 + 20 * MINUTE, 15 * MINUTE).map((r) => ({ ...r, ts: r.ts + 1 })), // +1 ms: no ts equal to an earlier reading's
      { site: SITE, device: 'D2', kind: 'dust' as const, ts: T0 + HOUR + 30_500, values: { tsp: 9.5, pm10: 0.001, flag: 'T' } },
      { site: SITE, device: 'D2', kind: 'dust' as const, ts: T0 + HOUR + 31_500, values: { tsp: 0.0001, flag: 'D' } }
    ]
    await write(late)
    expect(await marks()).toBeGreaterThan(0)
    await compareAll('late, unrolled')
    await rolled.rollUp()
    expect(await marks()).toBe(0)
    await compareAll('late, rolled')
  }, 120_000)

  it('exports rollup rows equal to per-minute and per-hour statistics of the readings', async () => {
    await rolled.rollUp()
    const file = join(dir.path, 'r1h.csv')
    const n = await rolled.exportReadings({ site: SITE, kind: 'dust', from: T0, to: T0 + 3 * HOUR, format: 'csv', what: 'rollup-1h' }, file)
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(n + 1)
    const header = lines[0]!.split(',')
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v])))
    // the oracle, in JS: per device and hour, over the dust readings written
    const hour = new Map<string, { n: number, sum: number, cn: number, csum: number, max: number, minutes: Set<number>, cminutes: Set<number> }>()
    for (const r of all) {
      if (r.kind !== 'dust' || typeof r.values.tsp !== 'number') continue
      const k = `${r.device} ${new Date(Math.floor(r.ts / HOUR) * HOUR).toISOString()}`
      const h = hour.get(k) ?? { n: 0, sum: 0, cn: 0, csum: 0, max: -Infinity, minutes: new Set(), cminutes: new Set() }
      hour.set(k, h)
      h.n++; h.sum += r.values.tsp; h.max = Math.max(h.max, r.values.tsp); h.minutes.add(Math.floor(r.ts / MINUTE))
      // a stored reading without a flag is not selected by flags (ingest gives every dust reading one)
      if ((COUNTED_FLAGS as readonly unknown[]).includes(r.values.flag)) { h.cn++; h.csum += r.values.tsp; h.cminutes.add(Math.floor(r.ts / MINUTE)) }
    }
    expect(rows.length).toBe(hour.size)
    for (const row of rows) {
      const h = hour.get(`${row.device} ${row.t}`)!
      expect(h, `${row.device} ${row.t}`).toBeDefined()
      expect(Number(row.tsp_n)).toBe(h.n)
      expect(Number(row.tsp_sum)).toBeCloseTo(h.sum, 9)
      expect(Number(row.tsp_max)).toBe(h.max)
      expect(Number(row.tsp_cn)).toBe(h.cn)
      expect(Number(row.tsp_csum || 0)).toBeCloseTo(h.csum, 9)
      expect(Number(row.tsp_minutes)).toBe(h.minutes.size)
      expect(Number(row.tsp_cminutes)).toBe(h.cminutes.size) // GB 3095-2012 §8 hourly validity counts these
    }

    const pq = join(dir.path, 'r1m.parquet')
    const m = await rolled.exportReadings({ site: SITE, kind: 'dust', from: T0, to: T0 + 3 * HOUR, format: 'parquet', what: 'rollup-1m' }, pq)
    const db = await DuckDBInstance.create(':memory:')
    const c = await db.connect()
    const back = (await c.runAndReadAll(`SELECT count(*) AS rows, sum(tsp_n) AS n FROM read_parquet('${pq}')`)).getRowObjectsJS()[0]!
    c.closeSync(); db.closeSync()
    expect(Number(back.rows)).toBe(m)
    expect(Number(back.n)).toBe(all.filter((r) => r.kind === 'dust').length)
  })

  it('refuses an unknown export level with a specific message', async () => {
    await expect(rolled.exportReadings({ site: SITE, kind: 'dust', from: T0, to: T0 + HOUR, format: 'csv', what: 'rollup-5m' as 'rollup-1m' }, join(dir.path, 'x.csv')))
      .rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringMatching(/what must be one of readings, rollup-1m, rollup-1h/) })
  })
})

describe('the daily report reads rollups and gives the report of the raw readings', () => {
  it('on the hand-computed report fixture (test/fixtures/report), flagged dust readings included', async () => {
    const DIR = 'test/fixtures/report'
    const config = parseConfig(readFileSync(`${DIR}/config.yaml`, 'utf8'), `${DIR}/config.yaml`, {}).config
    const data = JSON.parse(readFileSync(`${DIR}/readings.json`, 'utf8')) as { readings: { device: string, kind: Kind, at: string, values: Record<string, number | string> }[] }
    const readings: Reading[] = data.readings.map((r, i) => ({ site: 'fx-site', device: r.device, kind: r.kind, ts: Date.parse(r.at), seq: i, values: r.values }))
    const site = config.sites.find((x) => x.id === 'fx-site')!
    const state = await openStateStore({ path: ':memory:', rejectsMaxRows: 1_000 })
    const rolled = new DuckDBTelemetryStore({ path: ':memory:', rollups: { intervalMs: 3_600_000 } })
    const raw = new DuckDBTelemetryStore({ path: ':memory:', rollups: false })
    try {
      await rolled.write(readings)
      await raw.write(readings)
      expect(await rolled.rollUp()).toBeGreaterThan(0)
      const day = beijingDateToMs('2025-03-01')
      const report = async (telemetry: DuckDBTelemetryStore) => computeDailyReport(await fetchDailyInput({ telemetry, alertStore: state.alerts }, site, '2025-03-01', day, day + DAY + HOUR))
      const [a, b] = [await report(rolled), await report(raw)]
      expect(a.dust.length).toBeGreaterThan(0)
      expect(a).toEqual(approx(b))
    } finally {
      await rolled.close(); await raw.close(); await state.close()
    }
  })
})

/** Non-integer numbers compared to 9 decimals (a mean of sums adds in another order); everything else exactly. */
function approx (v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : expect.closeTo(v, 9)
  if (Array.isArray(v)) return v.map(approx)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, approx(x)]))
  return v
}
