/**
 * Contract suite for TelemetryStore (store/telemetry.ts), in the style of MQTT.js's
 * abstract_store: every implementation runs it through its own *.test.ts.
 *
 * It asserts only what the interface promises, so that a store backed by a shared
 * server (InfluxDB) passes too: each test writes under its own site id and device
 * ids, at fixed timestamps, and floats are compared with toBeCloseTo.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { randomBytes } from 'node:crypto'
import { FIELDS, KINDS, type Kind } from '../../core/kinds.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'
import type { TelemetryStore, SeriesQuery, Aggregate, DayFacts } from '../../store/telemetry.js'
import { parseConfig } from '../../core/config.js'
import { Registry } from '../../core/registry.js'
import { ManualClock } from '../../core/clock.js'
import { createMetrics } from '../../core/metrics.js'
import { silentLogger } from '../../core/log.js'
import { createIngest } from '../../ingest/index.js'
import { MemoryRejectStore, TEST_CONFIG_YAML } from '../unit/ingest/helpers.js'

export interface TelemetryStoreHandle {
  store: TelemetryStore
  /** A restart: closes `store` and opens a new one on the same data (cleanup() then closes that one). */
  reopen(): Promise<TelemetryStore>
  /** Closes what the factory opened and removes its files or data. */
  cleanup(): Promise<void>
}

/** 2025-03-01T02:30:00Z: a whole minute, so one-minute buckets start at T0. */
export const T0 = Date.parse('2025-03-01T02:30:00Z')
const S = 1000
const MIN = 60 * S

/** One reading of each kind with every field set. */
export function fullReadings (site: string, device: string, ts: number): Reading[] {
  return [
    { site, device: `${device}-dust`, kind: 'dust', ts, seq: 1, values: { tsp: 0.612, pm10: 0.168, pm25: 0.0617, temp: 12.3, rh: 56, windSpeed: 3.4, windDir: 225, noise: 63.2, flag: 'N', pm1: 0.031, pressure: 101.32, intervalS: 60, tspAvg: 0.6, tspMin: 0.41, tspMax: 0.83, pm10Avg: 0.16, pm10Min: 0.12, pm10Max: 0.23, pm25Avg: 0.058, pm25Min: 0.04, pm25Max: 0.077 } },
    { site, device: `${device}-water`, kind: 'water', ts, seq: 2, values: { totalM3: 123456.75, flowM3h: 42.5, flowM3hMin: 12.25, flowM3hMax: 80.5, volumeM3: 7.08, intervalS: 600 } },
    { site, device: `${device}-loc`, kind: 'locator', ts, seq: 3, values: { entity: 'vehicle', entityId: 'TRUCK-07', lat: 29.123456, lon: 120.654321, alt: 312.5, accuracyM: 1.5, speedKmh: 23.4, heading: 271, sos: 1 } },
    { site, device: `${device}-ore`, kind: 'ore', ts, seq: 4, values: { tonnes: 58.4, totalT: 10234.2, truckId: 'TRUCK-07' } },
    { site, device: `${device}-status`, kind: 'status', ts, seq: 5, values: { batteryPct: 87.5, rssiDbm: -71, fw: '2.3.1', uptimeS: 864_000 } },
    { site, device: `${device}-energy`, kind: 'energy', ts, seq: 6, values: { totalKwh: 482113.6, powerKw: 412.5, totalL: 35210.4, totalKg: 29576.7 } }
  ]
}

/** Asserts that `got` holds the same reading as `want` (numbers close, strings equal, no extra values). */
export function expectSameReading (got: Reading | undefined, want: Reading): void {
  expect(got, `reading ${want.kind} ${want.device}`).toBeDefined()
  const g = got!
  expect({ site: g.site, device: g.device, kind: g.kind, ts: g.ts, seq: g.seq }).toEqual({ site: want.site, device: want.device, kind: want.kind, ts: want.ts, seq: want.seq })
  expect(Object.keys(g.values).sort()).toEqual(Object.keys(want.values).sort())
  for (const [k, v] of Object.entries(want.values)) {
    if (typeof v === 'number') expect(g.values[k], `${want.kind}.${k}`).toBeCloseTo(v, 6)
    else expect(g.values[k], `${want.kind}.${k}`).toBe(v)
  }
}

function dust (site: string, device: string, ts: number, values: Reading['values'], seq?: number): Reading {
  return seq === undefined ? { site, device, kind: 'dust', ts, values } : { site, device, kind: 'dust', ts, seq, values }
}

function loc (site: string, device: string, ts: number, entityId: string, lat: number, lon: number): Reading {
  return { site, device, kind: 'locator', ts, values: { entity: entityId.startsWith('P') ? 'person' : 'vehicle', entityId, lat, lon } }
}

export function telemetryStoreContract (name: string, factory: () => Promise<TelemetryStoreHandle>): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let h: TelemetryStoreHandle
    let store: TelemetryStore
    const run = randomBytes(3).toString('hex')
    let n = 0
    /** A site id no other test (or earlier run against a shared server) uses. */
    const newSite = (): string => `ct-${run}-${++n}`

    beforeAll(async () => {
      h = await factory()
      store = h.store
      await store.init()
      await store.init() // idempotent
    })
    afterAll(async () => { await h?.cleanup() })

    it('has a name and reports health', async () => {
      expect(typeof store.name).toBe('string')
      expect(store.name.length).toBeGreaterThan(0)
      expect((await store.health()).ok).toBe(true)
    })

    it('round-trips every kind with all fields through latest(), from one mixed batch', async () => {
      const site = newSite()
      const want = fullReadings(site, 'full', T0)
      await store.write(want)
      const got = await store.latest({ site })
      expect(got).toHaveLength(KINDS.length)
      for (const w of want) expectSameReading(got.find((g) => g.kind === w.kind && g.device === w.device), w)
      // every field of core/kinds.ts took part
      for (const k of KINDS) expect(Object.keys(want.find((w) => w.kind === k)!.values).sort()).toEqual(FIELDS[k].map((f) => f.name).sort())
    })

    it('leaves missing fields and seq out of latest() rather than returning nulls', async () => {
      const site = newSite()
      const r = dust(site, 'sparse', T0, { pm10: 0.1, flag: 'N' })
      await store.write([r])
      const [got] = await store.latest({ site })
      expectSameReading(got, r)
      expect(got!.seq).toBeUndefined()
    })

    it('latest() returns the newest reading per device, with kind and device filters', async () => {
      const site = newSite()
      await store.write([dust(site, 'a', T0 + 2 * S, { tsp: 0.3, flag: 'N' }, 3), dust(site, 'b', T0, { tsp: 0.9, flag: 'N' }, 1)])
      await store.write([dust(site, 'a', T0, { tsp: 0.1, flag: 'N' }, 1)])
      await store.write([dust(site, 'a', T0 + 1 * S, { tsp: 0.2, flag: 'N' }, 2)]) // older than the first batch's
      await store.write([{ site, device: 's', kind: 'status', ts: T0, values: { batteryPct: 50 } }])
      const all = await store.latest({ site })
      expect(all).toHaveLength(3)
      expectSameReading(all.find((r) => r.device === 'a'), dust(site, 'a', T0 + 2 * S, { tsp: 0.3, flag: 'N' }, 3))
      expectSameReading(all.find((r) => r.device === 'b'), dust(site, 'b', T0, { tsp: 0.9, flag: 'N' }, 1))
      const onlyDust = await store.latest({ site, kind: 'dust' })
      expect(onlyDust.map((r) => r.device).sort()).toEqual(['a', 'b'])
      const onlyB = await store.latest({ site, device: 'b' })
      expect(onlyB.map((r) => r.ts)).toEqual([T0])
      expect(await store.latest({ site, kind: 'water' })).toEqual([])
      expect(await store.latest({ site: newSite() })).toEqual([])
    })

    it('latest() returns the newest position per locator device and entity', async () => {
      const site = newSite()
      await store.write([
        loc(site, 'uwb1', T0, 'P001', 29.1, 120.1),
        loc(site, 'uwb1', T0 + 5 * S, 'P001', 29.2, 120.2),
        loc(site, 'uwb1', T0 + 3 * S, 'P002', 29.3, 120.3),
        loc(site, 'uwb1', T0 + 1 * S, 'P002', 29.4, 120.4),
        loc(site, 'gnss', T0 + 2 * S, 'TRUCK-1', 29.5, 120.5)
      ])
      const got = await store.latest({ site, kind: 'locator' })
      expect(got).toHaveLength(3)
      const by = (e: string) => got.find((r) => r.values.entityId === e)
      expectSameReading(by('P001'), loc(site, 'uwb1', T0 + 5 * S, 'P001', 29.2, 120.2))
      expectSameReading(by('P002'), loc(site, 'uwb1', T0 + 3 * S, 'P002', 29.3, 120.3))
      expectSameReading(by('TRUCK-1'), loc(site, 'gnss', T0 + 2 * S, 'TRUCK-1', 29.5, 120.5))
    })

    describe('series()', () => {
      let site: string
      // d1: bucket T0 → tsp 1, 3, 2 (and one reading without tsp); bucket T0+1m → 4; T0+2m empty; T0+3m → 6.
      // d2: bucket T0 → 10; bucket T0+3m → 20. Plus readings just outside [from, to).
      const from = T0
      const to = T0 + 4 * MIN
      const q = (agg: Aggregate, extra: Partial<SeriesQuery> = {}): SeriesQuery => ({ site, kind: 'dust', field: 'tsp', from, to, stepMs: MIN, agg, ...extra })

      beforeAll(async () => {
        site = newSite()
        await store.write([
          dust(site, 'd1', T0 - 1, { tsp: 100, flag: 'N' }),
          dust(site, 'd1', T0, { tsp: 1, flag: 'N' }),
          dust(site, 'd1', T0 + 20 * S, { tsp: 3, flag: 'N' }),
          dust(site, 'd2', T0 + 30 * S, { tsp: 10, flag: 'N' })
        ])
        await store.write([
          dust(site, 'd1', T0 + 40 * S, { tsp: 2, flag: 'N' }),
          dust(site, 'd1', T0 + 50 * S, { pm10: 0.5, flag: 'N' }),
          dust(site, 'd1', T0 + 65 * S, { tsp: 4, flag: 'N' }),
          dust(site, 'd1', T0 + 3 * MIN + 1, { tsp: 6, flag: 'N' }),
          dust(site, 'd2', T0 + 3 * MIN + 10 * S, { tsp: 20, flag: 'N' }),
          dust(site, 'd2', to, { tsp: 1000, flag: 'N' })
        ])
      })

      const expected: Record<Aggregate, [string, number, number][]> = {
        mean: [['d1', 0, 2], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]],
        min: [['d1', 0, 1], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]],
        max: [['d1', 0, 3], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]],
        sum: [['d1', 0, 6], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]],
        count: [['d1', 0, 3], ['d1', 1, 1], ['d1', 3, 1], ['d2', 0, 1], ['d2', 3, 1]],
        first: [['d1', 0, 1], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]],
        last: [['d1', 0, 2], ['d1', 1, 4], ['d1', 3, 6], ['d2', 0, 10], ['d2', 3, 20]]
      }

      for (const agg of Object.keys(expected) as Aggregate[]) {
        it(`${agg}: one point per device per non-empty bucket, sorted by device then t`, async () => {
          const got = await store.series(q(agg))
          expect(got.map((p) => [p.device, p.t])).toEqual(expected[agg].map(([d, m]) => [d, T0 + m * MIN]))
          got.forEach((p, i) => expect(p.value, `${agg} ${p.device} ${p.t}`).toBeCloseTo(expected[agg][i]![2], 9))
        })
      }

      it('filters by device', async () => {
        const got = await store.series(q('max', { device: 'd2' }))
        expect(got).toEqual([{ device: 'd2', t: T0, value: 10 }, { device: 'd2', t: T0 + 3 * MIN, value: 20 }])
      })

      it('aligns buckets to multiples of stepMs since the epoch', async () => {
        const hour = 60 * MIN
        const got = await store.series(q('count', { stepMs: hour }))
        // T0 is 02:30 UTC: its one-hour bucket starts at 02:00
        expect(got).toEqual([{ device: 'd1', t: T0 - 30 * MIN, value: 5 }, { device: 'd2', t: T0 - 30 * MIN, value: 2 }])
      })

      it('treats from as inclusive and to as exclusive', async () => {
        const got = await store.series(q('sum', { from: T0 + 65 * S, to: T0 + 3 * MIN + 1 }))
        expect(got).toEqual([{ device: 'd1', t: T0 + MIN, value: 4 }])
      })

      it('returns [] when nothing matches', async () => {
        expect(await store.series(q('mean', { device: 'nope' }))).toEqual([])
        expect(await store.series(q('mean', { site: newSite() }))).toEqual([])
      })

      it('refuses an unknown field with MW_BAD_REQUEST naming it', async () => {
        await expect(store.series(q('mean', { field: 'pm100' }))).rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringContaining('pm100') })
      })

      it('refuses a non-numeric field with MW_BAD_REQUEST naming it', async () => {
        await expect(store.series(q('mean', { field: 'flag' }))).rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringContaining('flag') })
      })
    })

    it('series() aggregates locator fields per entity with entityId', async () => {
      const site = newSite()
      await store.write([
        loc(site, 'uwb', T0, 'P001', 29.0, 120.0),
        loc(site, 'uwb', T0 + 10 * S, 'P001', 29.2, 120.0),
        loc(site, 'uwb', T0 + 20 * S, 'P002', 30.0, 121.0)
      ])
      const base = { site, kind: 'locator' as Kind, field: 'lat', from: T0, to: T0 + MIN, stepMs: MIN }
      const one = await store.series({ ...base, entityId: 'P001', agg: 'mean' })
      expect(one).toHaveLength(1)
      expect(one[0]!.device).toBe('uwb')
      expect(one[0]!.t).toBe(T0)
      expect(one[0]!.value).toBeCloseTo(29.1, 9)
      const both = await store.series({ ...base, agg: 'count' })
      expect(both).toEqual([{ device: 'uwb', t: T0, value: 3 }])
    })

    it('series() with flags aggregates only dust readings carrying one of those HJ 212 flags', async () => {
      const site = newSite()
      await store.write([
        dust(site, 'd', T0, { tsp: 1, flag: 'N' }),
        dust(site, 'd', T0 + S, { tsp: 2, flag: 'T' }),
        dust(site, 'd', T0 + 2 * S, { tsp: 40, flag: 'D' }),
        dust(site, 'd', T0 + 3 * S, { tsp: 80, flag: 'C' })
      ])
      const base = { site, kind: 'dust' as Kind, field: 'tsp', from: T0, to: T0 + MIN, stepMs: MIN }
      expect(await store.series({ ...base, agg: 'max', flags: ['N', 'T'] })).toEqual([{ device: 'd', t: T0, value: 2 }])
      expect(await store.series({ ...base, agg: 'count', flags: ['D'] })).toEqual([{ device: 'd', t: T0, value: 1 }])
      expect(await store.series({ ...base, agg: 'count' })).toEqual([{ device: 'd', t: T0, value: 4 }])
    })

    it('series() aggregates integer fields', async () => {
      const site = newSite()
      await store.write([
        { site, device: 'st', kind: 'status', ts: T0, values: { uptimeS: 100 } },
        { site, device: 'st', kind: 'status', ts: T0 + S, values: { uptimeS: 250 } }
      ])
      const got = await store.series({ site, kind: 'status', field: 'uptimeS', from: T0, to: T0 + MIN, stepMs: MIN, agg: 'sum' })
      expect(got).toEqual([{ device: 'st', t: T0, value: 350 }])
    })

    it('count() filters by site, kind, device and [from, to)', async () => {
      const site = newSite()
      await store.write([
        dust(site, 'a', T0, { tsp: 1, flag: 'N' }),
        dust(site, 'a', T0 + S, { tsp: 1, flag: 'N' }),
        dust(site, 'b', T0 + 2 * S, { tsp: 1, flag: 'N' }),
        { site, device: 'w', kind: 'water', ts: T0 + 3 * S, values: { totalM3: 5 } },
        loc(site, 'l', T0 + 4 * S, 'P1', 29, 120)
      ])
      expect(await store.count({ site })).toBe(5)
      expect(await store.count({ site, kind: 'dust' })).toBe(3)
      expect(await store.count({ site, kind: 'dust', device: 'a' })).toBe(2)
      expect(await store.count({ site, device: 'w' })).toBe(1)
      expect(await store.count({ site, from: T0 + S })).toBe(4)
      expect(await store.count({ site, to: T0 + 2 * S })).toBe(2)
      expect(await store.count({ site, from: T0 + S, to: T0 + 4 * S })).toBe(3)
      expect(await store.count({ site, kind: 'ore' })).toBe(0)
      expect(await store.count({ site: newSite() })).toBe(0)
    })

    it('recentKeys() returns the keys of readings at or after sinceTs', async () => {
      const site = newSite()
      const d = `${site}-dev` // keys carry no site: device ids must be unique to this test
      await store.write([
        dust(site, `${d}-old`, T0 - S, { tsp: 1, flag: 'N' }, 7),
        dust(site, `${d}-dust`, T0, { tsp: 1, flag: 'N' }, 8),
        dust(site, `${d}-noseq`, T0 + S, { tsp: 1, flag: 'N' }),
        loc(site, `${d}-loc`, T0 + 2 * S, 'P9', 29, 120)
      ])
      const keys = await store.recentKeys(T0)
      const mine = keys.filter((k) => k.device.startsWith(d))
      expect(mine).toHaveLength(3)
      expect(mine).toEqual(expect.arrayContaining([
        { device: `${d}-dust`, ts: T0, seq: 8, entityId: null },
        { device: `${d}-noseq`, ts: T0 + S, seq: null, entityId: null },
        { device: `${d}-loc`, ts: T0 + 2 * S, seq: null, entityId: 'P9' }
      ]))
    })

    it('keysBetween() gives one device\'s keys of one kind in [from, to]', async () => {
      const site = newSite()
      const d = `${site}-kb`
      await store.write([
        dust(site, d, T0 - S, { tsp: 1, flag: 'N' }, 1),
        dust(site, d, T0, { tsp: 1, flag: 'N' }, 2),
        dust(site, d, T0 + S, { tsp: 1, flag: 'N' }),
        dust(site, d, T0 + 2 * S, { tsp: 1, flag: 'N' }, 4),
        dust(site, `${d}-other`, T0, { tsp: 1, flag: 'N' }, 2),
        loc(site, `${d}-loc`, T0, 'P1', 29, 120),
        loc(site, `${d}-loc`, T0, 'P2', 29, 120)
      ])
      const keys = await store.keysBetween({ device: d, kind: 'dust', from: T0, to: T0 + S })
      expect(keys.sort((a, b) => a.ts - b.ts)).toEqual([
        { device: d, ts: T0, seq: 2, entityId: null },
        { device: d, ts: T0 + S, seq: null, entityId: null }
      ])
      expect(await store.keysBetween({ device: d, kind: 'water', from: T0, to: T0 + S })).toEqual([])
      const locs = await store.keysBetween({ device: `${d}-loc`, kind: 'locator', from: T0, to: T0 })
      expect(locs.map((k) => k.entityId).sort()).toEqual(['P1', 'P2'])
      await expect(store.keysBetween({ device: d, kind: 'dust', from: T0, to: T0 - 1 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(store.keysBetween({ device: d, kind: 'nope' as Kind, from: T0, to: T0 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
    })

    it('dedup holds across a restart for the whole acceptance window: re-sent readings are not stored again', async () => {
      const site = newSite()
      const config = parseConfig(TEST_CONFIG_YAML.replaceAll('site-a', site).replaceAll('TS-1', `${site}-TS`), 'contract.yaml', {}).config
      const now = T0 + 7 * 24 * 60 * MIN
      const ingestOver = (s: TelemetryStore) => createIngest({
        registry: new Registry(config), store: s, rejects: new MemoryRejectStore(), config: config.ingest,
        metrics: createMetrics(), logger: silentLogger(), clock: new ManualClock(now)
      })
      const topic = `mines/${site}/ore/${site}-TS`
      // a truck scale's day, 6 days ago, plus readings 1 h and 1 min ago
      const day = Array.from({ length: 8 }, (_, i) => ({ ts: now - 6 * 24 * 60 * MIN + i * 30 * MIN, seq: 100 + i, tonnes: 50, truckId: `T${i}` }))
      const recent = [{ ts: now - 60 * MIN, seq: 200, tonnes: 50 }, { ts: now - MIN, seq: 201, tonnes: 50 }]
      const publish = (ing: ReturnType<typeof ingestOver>, p: unknown) => ing.handle({ topic, payload: Buffer.from(JSON.stringify(p)), deviceId: `${site}-TS`, receivedAt: now })
      const before = ingestOver(store)
      await before.start()
      expect(await publish(before, [...day, ...recent])).toEqual({ stored: 10, duplicates: 0, rejected: 0 })
      await before.close()

      store = await h.reopen()
      const after = ingestOver(store)
      await after.start()
      expect(await publish(after, [...day, ...recent])).toEqual({ stored: 0, duplicates: 10, rejected: 0 })
      // one at a time too, and mixed with a reading the store has not seen
      expect(await publish(after, day[3])).toEqual({ stored: 0, duplicates: 1, rejected: 0 })
      expect(await publish(after, [day[5], { ts: now - 5 * 24 * 60 * MIN, seq: 300, tonnes: 40 }])).toEqual({ stored: 1, duplicates: 1, rejected: 0 })
      await after.close()
      expect(await store.count({ site })).toBe(11)
      const sum = await store.series({ site, kind: 'ore', field: 'tonnes', from: now - 7 * 24 * 60 * MIN, to: now + MIN, stepMs: 7 * 24 * 60 * MIN + 2 * MIN, agg: 'sum' })
      expect(sum.reduce((n, p) => n + p.value, 0)).toBeCloseTo(540, 6)
    })

    it('writeAlertEvents() stores events without counting them as readings', async () => {
      const site = newSite()
      const ev = (seq: number, from: AlertTransition['from'], to: AlertTransition['to']): AlertTransition => ({
        seq, alertId: `${site}-a1`, site, kind: 'dust_exceedance', from, to, severity: 'alarm', at: T0 + seq * S,
        reason: 'TSP 1 h mean 1.21 mg/m³ > 1.0', value: 1.21, limit: 1, by: to === 'acknowledged' ? 'zhang' : null, message: '粉尘超标'
      })
      await store.writeAlertEvents([ev(1, null, 'firing'), ev(2, 'firing', 'acknowledged')])
      await store.writeAlertEvents([])
      expect(await store.count({ site })).toBe(0)
    })

    it('writeDayFacts() replaces the facts of a site-day; dayFacts() reads them back by day, also after a restart', async () => {
      const site = newSite()
      const DAY = 24 * 60 * MIN
      const day = Date.parse('2025-02-28T16:00:00Z') // 2025-03-01 00:00 Beijing
      const facts = (d: number, to: number, rate: number | null, ore: number): DayFacts => ({
        site, day: d, to, recycledM3: 2142.5, freshM3: 238.25, dischargeM3: 0, rate, oreOutputT: ore, dustDayExceedances: 2
      })
      await store.writeDayFacts([facts(day, day + 6 * 60 * MIN, null, 100), facts(day - DAY, day, 0.5, 300)])
      await store.writeDayFacts([facts(day, day + DAY, 0.9, 400)]) // the day goes on: a later write replaces it
      await store.writeDayFacts([])
      expect(await store.dayFacts({ site, from: day - DAY, to: day + DAY })).toEqual([facts(day - DAY, day, 0.5, 300), facts(day, day + DAY, 0.9, 400)])
      expect(await store.dayFacts({ site, from: day, to: day + DAY })).toEqual([facts(day, day + DAY, 0.9, 400)])
      expect(await store.dayFacts({ site: newSite(), from: day - DAY, to: day + DAY })).toEqual([])
      expect(await store.count({ site })).toBe(0) // not readings
      store = await h.reopen()
      expect(await store.dayFacts({ site, from: day - DAY, to: day + DAY })).toHaveLength(2)
      // a malformed entry refuses the whole batch, naming it
      await expect(store.writeDayFacts([facts(day + DAY, day + DAY, null, 1), { ...facts(day + DAY, day + DAY, null, 1), freshM3: -1 }]))
        .rejects.toMatchObject({ code: 'MW_STORE_REJECTED', message: expect.stringContaining('day facts [1]: freshM3') })
      await expect(store.writeDayFacts([{ ...facts(day, day + 2 * DAY, null, 1) }])).rejects.toMatchObject({ code: 'MW_STORE_REJECTED' })
      expect(await store.dayFacts({ site, from: day + DAY, to: day + 2 * DAY })).toEqual([])
    })

    it('accepts an empty batch', async () => {
      const site = newSite()
      await store.write([])
      expect(await store.count({ site })).toBe(0)
    })

    it('counts every reading of concurrent writes', async () => {
      const site = newSite()
      const writes = []
      for (let w = 0; w < 40; w++) {
        const batch: Reading[] = []
        for (let i = 0; i < 100; i++) batch.push(dust(site, `d${w % 8}`, T0 + w * 100 * S + i * S, { tsp: i, flag: 'N' }, w * 100 + i))
        writes.push(store.write(batch))
      }
      await Promise.all(writes)
      expect(await store.count({ site })).toBe(4000)
      expect(await store.count({ site, device: 'd3' })).toBe(500)
    })

    it('stores a 50,000-reading batch and counts it exactly', async () => {
      const site = newSite()
      const batch: Reading[] = []
      for (let i = 0; i < 50_000; i++) {
        const ts = T0 + Math.floor(i / 100) * S
        batch.push(i % 5 === 0
          ? loc(site, `g${i % 10}`, ts, `V${i % 100}`, 29 + (i % 100) * 1e-4, 120)
          : dust(site, `d${i % 100}`, ts, { tsp: (i % 1000) / 1000, pm10: 0.1, flag: 'N' }, i))
      }
      await store.write(batch)
      expect(await store.count({ site })).toBe(50_000)
      expect(await store.count({ site, kind: 'locator' })).toBe(10_000)
      expect(await store.count({ site, kind: 'dust', device: 'd1' })).toBe(500)
    }, 120_000)

    it('close() is idempotent and later operations reject with MW_STORE_CLOSED', async () => {
      const own = await factory()
      try {
        const site = newSite()
        await own.store.init()
        await own.store.write([dust(site, 'a', T0, { tsp: 1, flag: 'N' })])
        await own.store.close()
        await own.store.close()
        await expect(own.store.write([dust(site, 'a', T0 + S, { tsp: 1, flag: 'N' })])).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
        await expect(own.store.latest({ site })).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
        await expect(own.store.count({ site })).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
      } finally {
        await own.cleanup()
      }
    })
  })
}
