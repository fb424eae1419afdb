/**
 * Issue 19 point 5 through `minewatch up`: GET /api/v1/sites/:site/export gives one site's readings
 * of a kind over Beijing days as CSV and Parquet, equal to what was published; other sites' tokens
 * get 404, bad ranges 400.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { startTestMinewatch, api, publishReadings } from '../helpers/minewatch.js'
import { tempDir } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDate } from '../../core/time.js'

const SITE = 'zj-huzhou-quarry'
const T0 = Date.now() - 3_600_000
const clock = new ManualClock(T0 + 2 * 3_600_000)
const readings = Array.from({ length: 30 }, (_, i) => ({ ts: T0 + i * 60_000, seq: i, tsp: 300 + i, pm10: 100 + i, flag: 'N' })) // µg/m³

describe('exports for inspectors', () => {
  let mw: Awaited<ReturnType<typeof startTestMinewatch>>
  const tmp = tempDir('minewatch-export-test-')
  const date = beijingDate(T0)
  const lastDate = beijingDate(T0 + 30 * 60_000)
  const path = (q: string) => `/api/v1/sites/${SITE}/export?kind=dust&from=${date}&to=${lastDate}&${q}`

  beforeAll(async () => {
    mw = await startTestMinewatch({ clock })
    await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', readings)
  }, 30_000)
  afterAll(async () => { await mw.cleanup(); tmp.remove() })

  it('exports CSV with a header, ordered by time, values in canonical units', async () => {
    const res = await api(mw, path('format=csv'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.headers.get('content-disposition')).toContain(`${SITE}_dust_${date}`)
    const lines = (await res.text()).trim().split('\n')
    const header = lines[0]!.split(',')
    expect(header.slice(0, 6)).toEqual(['site', 'device', 'ts', 'seq', 'tsp', 'pm10'])
    expect(lines).toHaveLength(31)
    const first = lines[1]!.split(',')
    expect(first[2]).toBe(new Date(T0).toISOString())
    expect(Number(first[header.indexOf('tsp')])).toBeCloseTo(0.3, 9) // stored in mg/m³
    expect(first[header.indexOf('flag')]).toBe('N')
  })

  it('exports Parquet that DuckDB reads back row for row', async () => {
    const res = await api(mw, path('format=parquet'))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet')
    const file = join(tmp.path, 'x.parquet')
    writeFileSync(file, Buffer.from(await res.arrayBuffer()))
    const db = await DuckDBInstance.create(':memory:')
    const c = await db.connect()
    const rows = (await c.runAndReadAll(`SELECT epoch_ms(ts) AS ts, seq, tsp FROM read_parquet('${file}') ORDER BY ts`)).getRowObjectsJS()
    c.closeSync(); db.closeSync()
    expect(rows.map((r) => [Number(r.ts), Number(r.seq), r.tsp])).toEqual(readings.map((r) => [r.ts, r.seq, expect.closeTo(r.tsp / 1000, 9)]))
  })

  it('keeps sites apart and refuses bad ranges with a specific message', async () => {
    expect((await api(mw, path('format=csv'), 'demo-operator-gs-token')).status).toBe(404)
    expect((await api(mw, path('format=csv'), 'demo-regulator-zj-token')).status).toBe(200)
    const bad = await api(mw, `/api/v1/sites/${SITE}/export?kind=dust&from=2026-03-02&to=2026-03-01`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toMatch(/to: must be on or after from/)
    const long = await api(mw, `/api/v1/sites/${SITE}/export?kind=dust&from=2024-01-01&to=2026-01-01`)
    expect(((await long.json()) as { message: string }).message).toMatch(/at most 366 days/)
    expect((await api(mw, `/api/v1/sites/${SITE}/export?kind=dust&from=${date}&to=${date}&what=rollup-1d`)).status).toBe(400)
  })
})

describe('minewatch export (CLI)', () => {
  it('refuses while minewatch holds the data dir, then exports from the stopped dir read-only', async () => {
    const { execFile } = await import('node:child_process')
    const { readFileSync, existsSync } = await import('node:fs')
    const run = (args: string[]) => new Promise<{ code: number, out: string, err: string }>((resolve) => {
      execFile(process.execPath, ['dist/bin/minewatch.js', 'export', ...args], (e, out, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out, err }))
    })
    const dir = tempDir('minewatch-export-cli-')
    try {
      const mw = await startTestMinewatch({ clock, dataDir: dir.path })
      await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', readings)
      const date = beijingDate(T0)
      const out = join(dir.path, 'dust.csv')
      const args = ['--data-dir', dir.path, '--site', SITE, '--kind', 'dust', '--from', date, '--to', beijingDate(T0 + 30 * 60_000), '--out', out]
      const busy = await run(args)
      expect(busy.code).toBe(1)
      expect(busy.err).toMatch(/MW_STORE_UNAVAILABLE.*export through GET \/api\/v1\/sites\/zj-huzhou-quarry\/export/)
      await mw.close()
      const ok = await run(args)
      expect(ok.err).toBe('')
      expect(ok.out).toContain('30 readings')
      const csv = readFileSync(out, 'utf8').trim().split('\n')
      expect(csv).toHaveLength(31)
      expect(csv[0]).toMatch(/^site,device,ts,seq,tsp/)
      const again = await run(args)
      expect(again.err).toMatch(/exists; choose a new file/)
      const bad = await run([...args.slice(0, -1), join(dir.path, 'x.csv'), '--kind', 'gold'])
      expect(bad.err).toMatch(/--kind must be one of/)
      expect(existsSync(join(dir.path, 'x.csv'))).toBe(false)
    } finally {
      dir.remove()
    }
  }, 60_000)
})
