/**
 * Ingest into the real DuckDB stores (telemetry file + state file): every kind stored in
 * canonical units, rejects durable in the state store, store failure → the message's promise
 * rejects and later batches succeed, duplicate detection seeded from the file after a restart.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { join } from 'node:path'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import { openStateStore, type StateStore } from '../../store/duckdb/state.js'
import { tempDir } from '../helpers/ports.js'
import { makeIngest, msg, T0, FaultyStore } from '../unit/ingest/helpers.js'

let dir: ReturnType<typeof tempDir>
let telemetry: DuckDBTelemetryStore
let state: StateStore

async function open () {
  telemetry = new DuckDBTelemetryStore({ path: join(dir.path, 'telemetry.duckdb') })
  await telemetry.init()
  state = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows: 1000 })
}

beforeEach(async () => { dir = tempDir('ingest-duckdb-'); await open() })
afterEach(async () => {
  await telemetry.close().catch(() => {})
  await state.close().catch(() => {})
  dir.remove()
})

describe('ingest → DuckDB', () => {
  it('stores every kind in canonical units and records rejects durably', async () => {
    const { ingest } = makeIngest({ store: telemetry, rejects: state.rejects })
    await ingest.start()
    const outs = await Promise.all([
      ingest.handle(msg('mines/site-a/dust/DUST-UG', [{ ts: T0, seq: 1, tsp: 312.5, pm10: 168.2, pm25: 61.7, temp: 12.3 }, { ts: T0 + 60_000, seq: 2, pm10: 'x' }])),
      ingest.handle(msg('mines/site-a/dust/DUST-NG', { ts: '2025-03-01T10:30:00+08:00', pm10: 150_000 })),
      ingest.handle(msg('mines/site-a/water/WM-1', { ts: T0, totalM3: 1234.5, flowM3h: 42 })),
      ingest.handle(msg('mines/site-a/locator/UWB-1', [
        { ts: T0, entity: 'person', entityId: 'P-1', lat: 30.95, lon: 119.91, accuracyM: 0.3 },
        { ts: T0, entity: 'person', entityId: 'P-2', lat: 30.951, lon: 119.911 }
      ])),
      ingest.handle(msg('mines/site-a/ore/TS-1', { ts: T0, tonnes: 58.2, truckId: 'TRK-3' })),
      ingest.handle(msg('mines/site-a/status/DTU-1', { ts: T0, batteryPct: 87, fw: '2.4.1', uptimeS: 86400 })),
      ingest.handle(msg('mines/site-a/status/NOPE', { ts: T0 }))
    ])
    expect(outs.map((o) => o.stored)).toEqual([1, 1, 1, 2, 1, 1, 0])
    expect(await telemetry.count({ site: 'site-a' })).toBe(7)
    const [dust] = await telemetry.latest({ site: 'site-a', device: 'DUST-UG' })
    expect(dust?.values).toMatchObject({ tsp: 0.3125, pm10: 0.1682, pm25: 0.0617, temp: 12.3, flag: 'N' })
    expect(dust?.seq).toBe(1)
    const [ng] = await telemetry.latest({ site: 'site-a', device: 'DUST-NG' })
    expect(ng).toMatchObject({ ts: T0, values: { pm10: 0.15 } })
    const people = await telemetry.latest({ site: 'site-a', kind: 'locator' })
    expect(people.map((r) => r.values.entityId).sort()).toEqual(['P-1', 'P-2'])
    const rejects = await state.rejects.list({ limit: 10 })
    expect(rejects.map((r) => r.reason).sort()).toEqual(['invalid_reading', 'unknown_device'])
    expect(rejects.find((r) => r.reason === 'invalid_reading')).toMatchObject({ site: 'site-a', device: 'DUST-UG', count: 1 })
    await ingest.close()
  })

  it('a failed write rejects its messages; the next batches are stored', async () => {
    const store = new FaultyStore(telemetry)
    const { ingest } = makeIngest({ store, rejects: state.rejects })
    await ingest.start()
    store.failNext = 1
    const failed = await Promise.allSettled([
      ingest.handle(msg('mines/site-a/dust/DUST-MG', { ts: T0, seq: 1, pm10: 0.2 })),
      ingest.handle(msg('mines/site-a/water/WM-1', { ts: T0, totalM3: 1 }))
    ])
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected'])
    expect(await telemetry.count({})).toBe(0)
    // the devices redeliver (no PUBACK): now stored, not taken for duplicates
    const again = await Promise.all([
      ingest.handle(msg('mines/site-a/dust/DUST-MG', { ts: T0, seq: 1, pm10: 0.2 })),
      ingest.handle(msg('mines/site-a/water/WM-1', { ts: T0, totalM3: 1 })),
      ingest.handle(msg('mines/site-a/water/WM-1', { ts: T0 + 1000, totalM3: 2 }))
    ])
    expect(again.map((o) => o.stored)).toEqual([1, 1, 1])
    expect(await telemetry.count({})).toBe(3)
    await ingest.close()
  })

  it('after a restart, redelivered readings of the last 10 minutes are dropped as duplicates', async () => {
    const m = msg('mines/site-a/dust/DUST-MG', [{ ts: T0 - 120_000, seq: 1, pm10: 0.2 }, { ts: T0 - 60_000, seq: 2, pm10: 0.3 }])
    const first = makeIngest({ store: telemetry, rejects: state.rejects })
    await first.ingest.start()
    expect((await first.ingest.handle(m)).stored).toBe(2)
    await first.ingest.close()
    await telemetry.close()
    await state.close()

    await open()
    const second = makeIngest({ store: telemetry, rejects: state.rejects })
    await second.ingest.start()
    expect(await second.ingest.handle(m)).toEqual({ stored: 0, duplicates: 2, rejected: 0 })
    expect(await telemetry.count({ device: 'DUST-MG' })).toBe(2)
    await second.ingest.close()
  })
})
