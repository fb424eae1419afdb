/** lifecycle/retention.ts against a real DuckDB file: batches, cutoffs per kind, what it never touches. */
import { describe, it, expect, afterAll } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../../helpers/ports.js'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { RetentionJob, rollupDays } from '../../../lifecycle/retention.js'
import { ManualClock } from '../../../core/clock.js'
import { createMetrics } from '../../../core/metrics.js'
import { retentionSchema } from '../../../core/config.js'
import type { Reading } from '../../../core/readings.js'
import type { Kind } from '../../../core/kinds.js'
import { HOUR, MINUTE } from '../../../core/time.js'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)
const dir = tempDir('mw-retention-unit-')
afterAll(() => dir.remove())

const fix = (ts: number): Reading => ({ site: 's', device: 'uwb', kind: 'locator', ts, values: { entity: 'person', entityId: 'P-1', lat: 30, lon: 120 } })
const dust = (ts: number): Reading => ({ site: 's', device: 'd1', kind: 'dust', ts, values: { tsp: 0.3, flag: 'N' } })

describe('RetentionJob', () => {
  it('deletes each kind past its retention in batches of batchRows, and nothing else', async () => {
    const store = new DuckDBTelemetryStore({ path: join(dir.path, 'telemetry.duckdb') })
    const old = Array.from({ length: 1_000 }, (_, i) => fix(T0 + i * 1_000))
    const young = Array.from({ length: 10 }, (_, i) => fix(T0 + 10 * DAY + i))
    await store.write([...old, ...young, ...Array.from({ length: 50 }, (_, i) => dust(T0 + i * 60_000))])
    await store.writeAlertEvents([{ seq: 1, alertId: 'a1', site: 's', kind: 'dust_exceedance', from: null, to: 'firing', severity: 'alarm', at: T0, reason: 'above', value: 2, limit: 1, by: null, message: 'm' }])
    await store.writeDayFacts([{ site: 's', day: T0, to: T0 + DAY, recycledM3: 1, freshM3: 2, dischargeM3: 0, rate: 0.3, oreOutputT: 5, dustDayExceedances: 1 }])

    const calls: Array<{ kind: Kind, n: number }> = []
    const target = {
      deleteReadingsBefore: async (kind: Kind, before: number, max: number) => { const n = await store.deleteReadingsBefore(kind, before, max); calls.push({ kind, n }); return n },
      usedBytes: () => store.usedBytes()
    }
    const metrics = createMetrics()
    const clock = new ManualClock(T0 + 5 * DAY)
    const config = retentionSchema.parse({ locator: 3, batchRows: 300, pauseMs: 0 })
    const job = new RetentionJob({ store: target, config, clock, metrics })

    // readings are written while the run deletes: both go through
    const [run] = await Promise.all([job.runOnce(), store.write(Array.from({ length: 100 }, (_, i) => fix(T0 + 11 * DAY + i)))])
    expect(run?.deleted).toEqual({ dust: 0, water: 0, locator: 1_000, ore: 0, status: 0, energy: 0 })
    expect(calls.filter((c) => c.kind === 'locator').map((c) => c.n)).toEqual([300, 300, 300, 100])
    expect(await store.count({ kind: 'locator' })).toBe(110)
    expect(await store.count({ kind: 'dust' })).toBe(50) // 5 years by default
    expect(await store.dayFacts({ site: 's', from: 0, to: T0 + 30 * DAY })).toHaveLength(1)
    expect((await metrics.retentionRows.get()).values.find((v) => v.labels.kind === 'locator')?.value).toBe(1_000)

    clock.set(T0 + 5 * 366 * DAY + 2 * DAY) // past the dust retention too
    const second = await job.runOnce()
    expect(second?.deleted.dust).toBe(50)
    expect(second?.deleted.locator).toBe(110)
    expect(await store.count({})).toBe(0)
    expect(await store.dayFacts({ site: 's', from: 0, to: T0 + 30 * DAY })).toHaveLength(1) // day facts are not readings
    await job.stop()
    await store.close()
  })

  it('keeps rollups past the raw readings, each level for its own retention', async () => {
    const store = new DuckDBTelemetryStore({ path: join(dir.path, 'rollups.duckdb'), rollups: { intervalMs: 3_600_000 } })
    await store.write(Array.from({ length: 1_200 }, (_, i) => ({ ...fix(T0 + i * 3_000), values: { entity: 'person', entityId: 'P1', lat: 30, lon: 120, speedKmh: i % 20 } })))
    await store.rollUp()
    const q = { site: 's', kind: 'locator' as const, field: 'speedKmh', from: T0, to: T0 + HOUR, agg: 'count' as const }
    const counts = async () => ({
      minute: (await store.series({ ...q, stepMs: MINUTE })).reduce((n, p) => n + p.value, 0),
      hour: (await store.series({ ...q, stepMs: HOUR })).reduce((n, p) => n + p.value, 0)
    })
    const clock = new ManualClock(T0 + 3 * DAY + 2 * HOUR)
    const job = new RetentionJob({ store, config: retentionSchema.parse({ locator: 3, rollup1m: 4, rollup1h: 6, pauseMs: 0 }), clock })
    const first = await job.runOnce()
    expect(first?.deleted.locator).toBe(1_200)
    expect(await store.count({ kind: 'locator' })).toBe(0)
    expect(await counts()).toEqual({ minute: 1_200, hour: 1_200 }) // rollups outlive the raw readings

    clock.set(T0 + 4 * DAY + HOUR)
    expect((await job.runOnce())?.rollupsDeleted['1m'].locator).toBe(60)
    expect(await counts()).toEqual({ minute: 0, hour: 1_200 })
    clock.set(T0 + 6 * DAY + HOUR)
    expect((await job.runOnce())?.rollupsDeleted['1h'].locator).toBe(1)
    expect(await counts()).toEqual({ minute: 0, hour: 0 })
    await job.stop()
    await store.close()
  })

  it('keeps a kind\'s rollups at least as long as its raw readings, and refuses rollup1h < rollup1m', () => {
    const config = retentionSchema.parse({})
    expect(rollupDays(config, '1m', 'dust')).toBe(5 * 366) // raw dust is kept 5 years
    expect(rollupDays(config, '1m', 'locator')).toBe(2 * 366)
    expect(rollupDays(config, '1h', 'locator')).toBe(10 * 366)
    expect(() => retentionSchema.parse({ rollup1m: 30, rollup1h: 10 })).toThrow(/rollup1h must be at least rollup1m/)
  })

  it('refuses a bad kind or batch size with MW_BAD_REQUEST', async () => {
    const store = new DuckDBTelemetryStore({ path: ':memory:' })
    await expect(store.deleteReadingsBefore('alert_events' as Kind, 0, 10)).rejects.toThrow(/unknown kind/)
    await expect(store.deleteReadingsBefore('dust', 0, 0)).rejects.toThrow(/maxRows/)
    await store.close()
  })
})
