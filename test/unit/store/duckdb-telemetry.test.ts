/** DuckDB-specific behaviour of DuckDBTelemetryStore beyond the shared contract (test/contract/duckdb.test.ts). */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { tempDir } from '../../helpers/ports.js'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { FIELDS, KINDS } from '../../../core/kinds.js'
import type { Reading } from '../../../core/readings.js'
import type { AlertTransition } from '../../../core/alerts.js'

const T0 = Date.parse('2025-03-01T02:30:00Z')
const dust = (device: string, ts: number, values: Reading['values'] = { tsp: 0.5, flag: 'N' }): Reading => ({ site: 'gm01', device, kind: 'dust', ts, values })

describe('DuckDBTelemetryStore', () => {
  let dir: ReturnType<typeof tempDir>
  let store: DuckDBTelemetryStore

  beforeAll(async () => {
    dir = tempDir('mw-duckdb-unit-')
    store = new DuckDBTelemetryStore({ path: join(dir.path, 'telemetry.duckdb') })
    await store.init()
  })
  afterAll(async () => { await store.close(); dir.remove() })

  describe('refuses malformed batches whole, with MW_STORE_REJECTED naming the reading and the problem', () => {
    const cases: [string, Reading, RegExp][] = [
      ['unknown kind', { ...dust('x', T0), kind: 'noise' as Reading['kind'] }, /reading \[1\].*unknown kind "noise"/],
      ['unknown field', dust('x', T0, { tsp: 1, pm100: 2 }), /reading \[1\] \(dust from gm01\/x\): "pm100" is not a dust field/],
      ['string in a float field', dust('x', T0, { tsp: '0.5' }), /tsp must be a finite number, got string/],
      ['NaN', dust('x', T0, { tsp: NaN }), /tsp must be a finite number, got NaN/],
      ['number in a string field', dust('x', T0, { tsp: 1, flag: 1 as unknown as string }), /flag must be a string/],
      ['fractional int field', { site: 'gm01', device: 'x', kind: 'status', ts: T0, values: { uptimeS: 1.5 } }, /uptimeS must be an integer/],
      ['fractional ts', dust('x', T0 + 0.5), /ts must be a non-negative integer of epoch ms/],
      ['negative seq', { ...dust('x', T0), seq: -1 }, /seq must be a non-negative safe integer/],
      ['empty device', dust('', T0), /device must be a non-empty string/],
      ['locator without entityId', { site: 'gm01', device: 'x', kind: 'locator', ts: T0, values: { entity: 'person', lat: 1, lon: 2 } }, /needs an entityId/]
    ]
    for (const [name, bad, message] of cases) {
      it(name, async () => {
        const before = await store.count({ site: 'gm01' })
        await expect(store.write([dust('ok', T0), bad])).rejects.toMatchObject({ code: 'MW_STORE_REJECTED', message: expect.stringMatching(message) })
        expect(await store.count({ site: 'gm01' })).toBe(before)
      })
    }
  })

  it('a rejected batch does not disturb concurrent writes', async () => {
    const good = Array.from({ length: 20 }, (_, i) => store.write([dust(`iso${i}`, T0 + i)]))
    const bad = store.write([dust('iso-bad', T0, { nope: 1 })]).then(() => null, (err: unknown) => err)
    await Promise.all(good)
    expect(await bad).toMatchObject({ code: 'MW_STORE_REJECTED' })
    for (let i = 0; i < 20; i++) expect(await store.count({ site: 'gm01', device: `iso${i}` })).toBe(1)
    expect(await store.count({ site: 'gm01', device: 'iso-bad' })).toBe(0)
  })

  it('validates series queries with specific messages', async () => {
    const q = { site: 'gm01', kind: 'dust' as const, field: 'tsp', from: T0, to: T0 + 60_000, stepMs: 60_000, agg: 'mean' as const }
    const bad = async (over: object, msg: RegExp) => await expect(store.series({ ...q, ...over })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringMatching(msg) })
    await bad({ stepMs: 0 }, /stepMs must be a positive integer/)
    await bad({ to: T0 - 1 }, /to .* is before from/)
    await bad({ agg: 'median' }, /unknown aggregate "median"/)
    await bad({ entityId: 'P1' }, /entityId applies to locator readings only/)
    await bad({ kind: 'water', field: 'totalM3', flags: ['N'] }, /flags apply to dust readings only/)
    await bad({ kind: 'ore', field: 'truckId' }, /field "truckId" of kind ore is not numeric/)
    await bad({ kind: 'fire' }, /unknown kind "fire"/)
    await expect(store.latest({ site: 'gm01', kind: 'fire' as 'dust' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
    await expect(store.count({ kind: 'fire' as 'dust' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
  })

  it('answers reads while a large write is being committed', async () => {
    const big: Reading[] = Array.from({ length: 30_000 }, (_, i) => dust(`big${i % 10}`, T0 + i))
    const writing = store.write(big)
    const n = await store.count({ site: 'gm01', device: 'big0' }) // either before or after the commit, never partial
    expect([0, 3000]).toContain(n)
    await writing
    expect(await store.count({ site: 'gm01', device: 'big0' })).toBe(3000)
  })

  it('refuses malformed alert events', async () => {
    const ev: AlertTransition = { seq: 1, alertId: 'a', site: 'gm01', kind: 'dust_exceedance', from: null, to: 'firing', severity: 'alarm', at: T0, reason: 'r', value: 1, limit: 1, by: null, message: 'm' }
    await expect(store.writeAlertEvents([{ ...ev, to: 'open' as 'firing' }])).rejects.toMatchObject({ code: 'MW_STORE_REJECTED', message: expect.stringContaining('unknown state "open"') })
    await expect(store.writeAlertEvents([{ ...ev, at: -5 }])).rejects.toMatchObject({ code: 'MW_STORE_REJECTED' })
  })

  it('latest() follows writes committed after the site was first read, keeping the newest (ts, then seq)', async () => {
    const site = 'gm-latest'
    const r = (device: string, ts: number, tsp: number, seq?: number): Reading => ({ site, device, kind: 'dust', ts, values: { tsp, flag: 'N' }, ...(seq === undefined ? {} : { seq }) })
    await store.write([r('a', T0, 1, 1)])
    expect((await store.latest({ site })).map((x) => x.values.tsp)).toEqual([1])
    await store.write([r('a', T0 + 2000, 3, 3), r('b', T0, 9)])
    await store.write([r('a', T0 + 1000, 2, 2)]) // older: must not replace
    await store.write([r('a', T0 + 2000, 4, 4)]) // same ts, higher seq: replaces
    const got = await store.latest({ site })
    expect(got.map((x) => [x.device, x.ts, x.values.tsp]).sort()).toEqual([['a', T0 + 2000, 4], ['b', T0, 9]])
    got[0]!.values.tsp = 999 // callers get copies
    expect((await store.latest({ site, device: got[0]!.device }))[0]!.values.tsp).not.toBe(999)
  })

  it('rolls back a failed commit whole, rejects with MW_STORE_UNAVAILABLE, and keeps writing afterwards', async () => {
    const own = new DuckDBTelemetryStore({ path: ':memory:', writers: 1 })
    await own.init()
    // Reach into the one writer connection to make its next COMMIT fail (a full disk, say).
    const open = await (own as unknown as { opening: Promise<{ writers: { conn: { run: (sql: string) => Promise<unknown> } }[] }> }).opening
    const conn = open.writers[0]!.conn
    const run = conn.run.bind(conn)
    let failNext = true
    conn.run = async (sql: string) => {
      if (sql === 'COMMIT' && failNext) { failNext = false; await run('SELECT 1'); throw new Error('IO Error: No space left on device') }
      return await run(sql)
    }
    await expect(own.write([dust('f1', T0), { site: 'gm01', device: 'f2', kind: 'locator', ts: T0, values: { entity: 'person', entityId: 'P1', lat: 1, lon: 2 } }]))
      .rejects.toMatchObject({ code: 'MW_STORE_UNAVAILABLE', message: expect.stringContaining('No space left') })
    expect(await own.count({})).toBe(0)
    await own.write([dust('f3', T0)])
    expect(await own.count({})).toBe(1)
    expect((await own.latest({ site: 'gm01' })).map((r) => r.device)).toEqual(['f3'])
    await own.close()
  })

  it('latest() shows what count() already shows: it waits for a commit whose rows a reader can see before the writer has merged them', async () => {
    const own = new DuckDBTelemetryStore({ path: ':memory:', writers: 1 })
    await own.init()
    await own.write([dust('late', T0)])
    expect((await own.latest({ site: 'gm01' }))[0]!.ts).toBe(T0) // the site's cache is seeded
    // Hold the writer's COMMIT promise after the commit is done: the rows are visible to readers,
    // the writer's JS has not run on (a busy event loop, a slow native callback).
    const open = await (own as unknown as { opening: Promise<{ writers: { conn: { run: (sql: string) => Promise<unknown> } }[] }> }).opening
    const conn = open.writers[0]!.conn
    const run = conn.run.bind(conn)
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let hold = true
    conn.run = async (sql: string) => {
      const r = await run(sql)
      if (sql === 'COMMIT' && hold) { hold = false; await gate }
      return r
    }
    const written = own.write([dust('late', T0 + 1000)])
    while ((await own.count({ device: 'late' })) < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    const latest = own.latest({ site: 'gm01', device: 'late' })
    setTimeout(release, 50)
    expect((await latest)[0]!.ts).toBe(T0 + 1000)
    await written
    await own.close()
  })

  it('works in memory', async () => {
    const mem = new DuckDBTelemetryStore({ path: ':memory:' })
    await mem.write([dust('a', T0)])
    expect(await mem.count({})).toBe(1)
    await mem.close()
  })

  it('reports MW_STORE_UNAVAILABLE when the file cannot be opened', async () => {
    const bad = new DuckDBTelemetryStore({ path: join(dir.path, 'no', 'such', 'dir', 't.duckdb') })
    await expect(bad.init()).rejects.toMatchObject({ code: 'MW_STORE_UNAVAILABLE' })
    await bad.close()
  })
})

describe('DuckDB telemetry file layout (docs/storage.md)', () => {
  it('has one table per kind with typed columns from core/kinds.ts, and alert_events', async () => {
    const dir = tempDir('mw-duckdb-layout-')
    try {
      const path = join(dir.path, 'telemetry.duckdb')
      const store = new DuckDBTelemetryStore({ path })
      await store.writeAlertEvents([{ seq: 7, alertId: 'a1', site: 'gm01', kind: 'boundary_breach', from: null, to: 'firing', severity: 'alarm', at: T0, reason: '越界', value: null, limit: null, by: null, message: '车辆越界' }])
      await store.close()
      const db = await DuckDBInstance.create(path)
      const conn = await db.connect()
      for (const k of KINDS) {
        const cols = (await conn.runAndReadAll(`DESCRIBE "${k}"`)).getRowObjectsJS().map((r) => [r.column_name, r.column_type])
        const want = [['site', 'VARCHAR'], ['device', 'VARCHAR'], ['ts', 'TIMESTAMP'], ['seq', 'BIGINT'],
          ...FIELDS[k].map((f) => [f.name, f.type === 'float' ? 'DOUBLE' : f.type === 'int' ? 'BIGINT' : 'VARCHAR'])]
        expect(cols).toEqual(want)
      }
      const ev = (await conn.runAndReadAll('SELECT epoch_ms(ts) AS ts, seq, "alertId", "from", "to", message FROM alert_events')).getRowObjectsJS()
      expect(ev).toEqual([{ ts: BigInt(T0), seq: 7n, alertId: 'a1', from: null, to: 'firing', message: '车辆越界' }])
      conn.closeSync()
      db.closeSync()
    } finally {
      dir.remove()
    }
  })

  it('upgrades a file written before the HJ 212 fields: the missing columns are added at the end, in order, and readings keep every field', async () => {
    const dir = tempDir('mw-duckdb-upgrade-')
    try {
      const path = join(dir.path, 'telemetry.duckdb')
      // the dust and water tables as minewatch 0.1.0 made them
      const old = await DuckDBInstance.create(path)
      const c = await old.connect()
      await c.run('CREATE TABLE dust (site VARCHAR NOT NULL, device VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, seq BIGINT, "tsp" DOUBLE, "pm10" DOUBLE, "pm25" DOUBLE, "temp" DOUBLE, "rh" DOUBLE, "windSpeed" DOUBLE, "windDir" DOUBLE, "noise" DOUBLE, "flag" VARCHAR)')
      await c.run('CREATE TABLE water (site VARCHAR NOT NULL, device VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, seq BIGINT, "totalM3" DOUBLE, "flowM3h" DOUBLE)')
      await c.run(`INSERT INTO dust (site, device, ts, seq, tsp, flag) VALUES ('gm01', 'old', make_timestamp(${T0 * 1000}), 1, 0.4, 'N')`)
      c.closeSync(); old.closeSync()

      const upgraded = new DuckDBTelemetryStore({ path })
      await upgraded.init()
      const interval = dust('hj', T0 + 60_000, { tsp: 0.5, pm10Avg: 0.16, pm10Max: 0.2, intervalS: 60, flag: 'N' })
      await upgraded.write([interval, { site: 'gm01', device: 'wm', kind: 'water', ts: T0, values: { totalM3: 10, volumeM3: 2.5, intervalS: 600 } }])
      const latest = await upgraded.latest({ site: 'gm01' })
      expect(latest.find((r) => r.device === 'hj')!.values).toEqual(interval.values)
      expect(latest.find((r) => r.device === 'old')!.values).toEqual({ tsp: 0.4, flag: 'N' })
      expect(latest.find((r) => r.device === 'wm')!.values).toEqual({ totalM3: 10, volumeM3: 2.5, intervalS: 600 })
      await upgraded.close()

      const db = await DuckDBInstance.create(path)
      const conn = await db.connect()
      for (const k of ['dust', 'water'] as const) {
        const cols = (await conn.runAndReadAll(`DESCRIBE "${k}"`)).getRowObjectsJS().map((r) => r.column_name)
        expect(cols).toEqual(['site', 'device', 'ts', 'seq', ...FIELDS[k].map((f) => f.name)])
      }
      conn.closeSync(); db.closeSync()
    } finally {
      dir.remove()
    }
  })
})
