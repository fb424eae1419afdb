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
    // versions add to the state file with idempotent DDL (the audit log, device changes, the alerts'
    // noDataSince column; the energy kind's table) was not there either: a v1 file with those would be refused as unknown.
    await sql(join(dir.path, 'telemetry.duckdb'), ['DROP TABLE schema_meta', 'DROP TABLE energy'])
    await sql(join(dir.path, 'state.duckdb'), ['DROP TABLE schema_meta', 'DROP TABLE audit_log', 'DROP TABLE device_changes', 'ALTER TABLE alerts DROP COLUMN "noDataSince"'])
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
    expect(await checkDataDir(dir.path)).toEqual({ telemetry: 2, state: 2 })
    const [meta] = await sql(join(dir.path, 'state.duckdb'), ['SELECT version, file, name FROM schema_meta ORDER BY version'])
    expect(meta).toEqual([{ version: 2, file: 'state', name: 'schema_meta: the file records its layout version' }])
  }, 30_000)

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
