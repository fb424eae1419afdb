/**
 * Issue 19 point 4 through `minewatch up`: a data dir of the unversioned layout (version 1) is
 * migrated in place at start with nothing lost; a dir holding a file of a newer minewatch, or a
 * file minewatch does not know, is refused and left byte for byte as it was.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdirSync, readFileSync, statSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { startTestMinewatch, demoConfig, api, publishReadings } from '../helpers/minewatch.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { isMinewatchError } from '../../core/errors.js'
import { checkDataDir } from '../../lifecycle/check.js'
import { beijingDate } from '../../core/time.js'
import { ManualClock } from '../../core/clock.js'
import { KINDS } from '../../core/kinds.js'
import { ROLLUP_DIRTY_TABLE, ROLLUP_LEVELS, rollupTable } from '../../store/duckdb/rollup-schema.js'

/** What schema version 3 added to the telemetry file. */
const ROLLUP_TABLES = [...KINDS.flatMap((k) => ROLLUP_LEVELS.map((l) => rollupTable(k, l))), ROLLUP_DIRTY_TABLE]

const SITE = 'zj-huzhou-quarry'
const T0 = Date.now()
/** Stands still 4 h after the readings start: both runs of minewatch compute the report and alerts at the same instant. */
const clock = new ManualClock(T0 + 4 * 3_600_000)

async function sql (path: string, statements: string[]): Promise<Record<string, unknown>[][]> {
  const instance = await DuckDBInstance.create(path)
  const conn = await instance.connect()
  try {
    const out: Record<string, unknown>[][] = []
    for (const s of statements) out.push((await conn.runAndReadAll(s)).getRowObjectsJS())
    return out
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/** Every file under dir with its bytes and mtime. */
function snapshot (dir: string): Record<string, { sha: string, mtimeMs: number }> {
  const out: Record<string, { sha: string, mtimeMs: number }> = {}
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const p = join(e.parentPath, e.name)
    out[p] = { sha: readFileSync(p).toString('base64'), mtimeMs: statSync(p).mtimeMs }
  }
  return out
}

async function refusal (dataDir: string): Promise<unknown> {
  try {
    const mw = await startTestMinewatch({ dataDir, clock })
    await mw.close()
    return null
  } catch (err) { return err }
}

interface Seen { report: unknown, alerts: unknown, history: unknown, count: number }

describe('schema versions of the data dir', () => {
  const dir = tempDir('minewatch-schema-')
  let before: Seen
  let date: string

  async function observe (mw: Awaited<ReturnType<typeof startTestMinewatch>>): Promise<Seen> {
    const alerts = await (await api(mw, `/api/v1/alerts?site=${SITE}`)).json() as { items: Array<{ id: string }> }
    const id = alerts.items[0]?.id
    return {
      report: await (await api(mw, `/api/v1/reports/daily?site=${SITE}&date=${date}`)).json(),
      alerts,
      history: id === undefined ? null : await (await api(mw, `/api/v1/alerts/${encodeURIComponent(id)}`)).json(),
      count: await mw.telemetry.count({})
    }
  }

  beforeAll(async () => {
    const mw = await startTestMinewatch({ config: demoConfig(), dataDir: dir.path, clock })
    try {
      date = beijingDate(T0)
      // µg/m³, above the GB 16297-1996 limit, varying (a constant value would also raise "stuck" alerts)
      const tsp = Array.from({ length: 70 }, (_, i) => ({ ts: T0 + i * 60_000, seq: i, tsp: 2500 + i, pm10: 250 + i, pm25: 120 + i }))
      await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', tsp)
      await waitFor(async () => ((await (await api(mw, `/api/v1/alerts?site=${SITE}&kind=dust_exceedance`)).json()) as { items: unknown[] }).items.length > 0, 10_000, 'a dust alert')
      before = await observe(mw)
    } finally {
      await mw.close()
    }
    // The dir as the unversioned minewatch left it: its tables, no schema_meta. What later minewatch
    // versions add to the state file with idempotent DDL (the audit log, device changes, forwarded
    // reports, the alerts' noDataSince column; the energy kind's table) was not there either: a v1 file with those would be refused as unknown.
    await sql(join(dir.path, 'telemetry.duckdb'), ['DROP TABLE schema_meta', 'DROP TABLE energy', ...ROLLUP_TABLES.map((t) => `DROP TABLE ${t}`)])
    await sql(join(dir.path, 'state.duckdb'), ['DROP TABLE schema_meta', 'DROP TABLE audit_log', 'DROP TABLE device_changes', 'DROP TABLE forwarded_reports', 'ALTER TABLE alerts DROP COLUMN "noDataSince"'])
  }, 60_000)
  afterAll(() => dir.remove())

  it('migrates an unversioned (version 1) dir in place at start and loses nothing', async () => {
    expect(await checkDataDir(dir.path)).toEqual({ telemetry: 1, state: 1 })
    const mw = await startTestMinewatch({ dataDir: dir.path, clock })
    try {
      const after = await observe(mw)
      expect(after.count).toBeGreaterThanOrEqual(70)
      expect((after.alerts as { items: unknown[] }).items.length).toBeGreaterThan(0)
      expect(after).toEqual(before)
    } finally {
      await mw.close()
    }
    expect(await checkDataDir(dir.path)).toEqual({ telemetry: 3, state: 2 })
    const [meta] = await sql(join(dir.path, 'state.duckdb'), ['SELECT version, file, name FROM schema_meta ORDER BY version'])
    expect(meta).toEqual([{ version: 2, file: 'state', name: 'schema_meta: the file records its layout version' }])
    const [versions, rolled, marks] = await sql(join(dir.path, 'telemetry.duckdb'), ['SELECT version FROM schema_meta ORDER BY version', 'SELECT sum(tsp_n) AS n FROM rollup_1m_dust', 'SELECT count(*) AS n FROM rollup_dirty'])
    expect(versions!.map((r) => r.version)).toEqual([2, 3])
    expect(Number(rolled![0]!.n)).toBe(70) // the readings of the old file, rolled up after the migration marked them
    expect(Number(marks![0]!.n)).toBe(0)
  }, 30_000)

  it('migrates a version-2 dir (before rollups): the rollups are built from its readings, and reports and series are unchanged', async () => {
    const v2 = tempDir('minewatch-schema-v2-')
    try {
      let series: unknown
      const seriesOf = async (mw: Awaited<ReturnType<typeof startTestMinewatch>>) => await (await api(mw, `/api/v1/series?site=${SITE}&kind=dust&field=tsp&from=${hourStart}&to=${hourStart + 3 * 3_600_000}&step=1h`)).json()
      const hourStart = Math.floor(T0 / 3_600_000) * 3_600_000
      const mw = await startTestMinewatch({ config: demoConfig(), dataDir: v2.path, clock })
      try {
        await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', Array.from({ length: 90 }, (_, i) => ({ ts: T0 + i * 60_000, seq: i, tsp: 300 + i })))
        series = await seriesOf(mw)
      } finally {
        await mw.close()
      }
      const file = join(v2.path, 'telemetry.duckdb')
      // the file as a minewatch of schema version 2 made it: no rollup tables, one version row
      await sql(file, [...ROLLUP_TABLES.map((t) => `DROP TABLE ${t}`), 'DELETE FROM schema_meta', "INSERT INTO schema_meta VALUES (2, 'telemetry', 'created at version 2', 0, '0.1.0')", 'CHECKPOINT'])
      expect(await checkDataDir(v2.path)).toEqual({ telemetry: 2, state: 2 })
      const again = await startTestMinewatch({ dataDir: v2.path, clock })
      try {
        // answered from the raw readings of the marked minutes, or the rollups built from them: a mean
        // from minute sums may differ from the raw mean in the last bits of a double (sums in another order)
        const { points, ...rest } = series as { points: { value: number }[] }
        expect(await seriesOf(again)).toEqual({ ...rest, source: expect.any(String), points: points.map((p) => ({ ...p, value: expect.closeTo(p.value, 9) })) })
      } finally {
        await again.close()
      }
      const [meta, rolled] = await sql(file, ['SELECT version, name FROM schema_meta ORDER BY version', 'SELECT sum(tsp_n) AS n, count(*) AS minutes FROM rollup_1m_dust'])
      expect(meta!.map((r) => r.version)).toEqual([2, 3])
      expect(String(meta![1]!.name)).toMatch(/^rollups/)
      expect(rolled![0]).toEqual({ n: 90n, minutes: 90n })
    } finally {
      v2.remove()
    }
  }, 60_000)

  it('refuses a dir with a file of a newer minewatch and leaves every file as it was', async () => {
    await sql(join(dir.path, 'telemetry.duckdb'), ["INSERT INTO schema_meta VALUES (99, 'telemetry', 'from the future', 0, '99.0.0')", 'CHECKPOINT'])
    const files = snapshot(dir.path)
    const err = await refusal(dir.path)
    expect(isMinewatchError(err, 'MW_SCHEMA_TOO_NEW')).toBe(true)
    expect(String(err)).toMatch(/telemetry schema version 99/)
    expect(snapshot(dir.path)).toEqual(files)
    await sql(join(dir.path, 'telemetry.duckdb'), ['DELETE FROM schema_meta WHERE version = 99', 'CHECKPOINT'])
  }, 30_000)

  it('refuses a telemetry file that is not a minewatch file, and a newer spool, untouched', async () => {
    const other = tempDir('minewatch-schema-unknown-')
    try {
      await sql(join(other.path, 'telemetry.duckdb'), ['CREATE TABLE invoices (id INTEGER)', 'CHECKPOINT'])
      let files = snapshot(other.path)
      const err = await refusal(other.path)
      expect(isMinewatchError(err, 'MW_SCHEMA_UNKNOWN')).toBe(true)
      expect(String(err)).toMatch(/invoices/)
      expect(snapshot(other.path)).toEqual(files)

      const spool = join(dir.path, 'spool')
      mkdirSync(spool)
      writeFileSync(join(spool, 'version.json'), '{"spool":7}\n')
      files = snapshot(dir.path)
      const err2 = await refusal(dir.path)
      expect(isMinewatchError(err2, 'MW_SCHEMA_TOO_NEW')).toBe(true)
      expect(snapshot(dir.path)).toEqual(files)
    } finally {
      other.remove()
    }
  }, 30_000)
})
