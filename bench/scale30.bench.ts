/**
 * Issue 19 point 7: query cost at 30 days of one medium site (domain.md §7) in the embedded store.
 *
 * Data: the demo site zj-huzhou-quarry's devices at medium-site rates, generated inside DuckDB with
 * INSERT … SELECT FROM range() (vectorised; a JS loop through write() would take most of the time
 * budget), then marked and rolled up by the store's own rollup job (timed). Locator: 300 tags
 * (18 trucks, 282 people on the two UWB gateways) every 30 s — 25.9 M rows over 30 days; the
 * domain's 3 s moving rate would be 259 M rows, 10× more than this shared 2-core machine can generate
 * and roll up in a run. Dust: the site's 7 monitors every 60 s (some readings flagged M). Water: the
 * site's 4 meters plus 6 more, every 5 min. Ore: the truck scale per load (~260 a day), the two belt
 * scales every 30 s. MW_SCALE30_DAYS sets the days (default 30).
 *
 * Measured (each the median of 5, after one warm-up): the daily report of a day in the middle
 * (api/reports, through the store interface), a 24-hour 1-minute dust series, a 7-day track of one
 * truck (its raw fixes: lat and lon, 30 s buckets), and 30 days of hourly dust means (what a monthly
 * report would read; no monthly report exists yet). Each also with rollups off on the same file (raw).
 * Then ingest with the rollup job and the retention job running vs neither, in interleaved rounds.
 */
import { join } from 'node:path'
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { DuckDBInstance } from '@duckdb/node-api'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { openStateStore } from '../store/duckdb/state.js'
import { RetentionJob } from '../lifecycle/retention.js'
import { ManualClock } from '../core/clock.js'
import { parseConfig, retentionSchema } from '../core/config.js'
import { DAY, HOUR, MINUTE, beijingDate, beijingDayStart } from '../core/time.js'
import { KINDS, MEASUREMENT } from '../core/kinds.js'
import type { Site } from '../core/sites.js'
import type { SeriesQuery } from '../store/telemetry.js'
import { fetchDailyInput } from '../api/reports/fetch.js'
import { computeDailyReport } from '../api/reports/daily.js'
import type { BenchResult } from './run.js'
import { fixes, writeRate as writeRates } from './locator-writes.js'
import { VERDICT_HEADER, benchRounds, describeMachine, interleave, loadNote, median, ratios, spread, verdictRow, watchMachine } from './rounds.js'

const SITE = 'zj-huzhou-quarry'
const DAYS = Number(process.env.MW_SCALE30_DAYS ?? 30)
const END = beijingDayStart(Date.UTC(2026, 10, 30)) // the data ends at a Beijing midnight
const START = END - DAYS * DAY
const LOCATOR_S = 30
const PEOPLE_PER_GATEWAY = 141
const REPEAT = 5

function siteOf (): Site {
  const config = parseConfig(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml', {}).config
  return config.sites.find((s) => s.id === SITE)!
}

const q = (v: string) => `'${v.replace(/'/g, "''")}'`

/** INSERT … SELECT statements generating every reading, in time order within each day (as ingest would append them). */
function generateSql (site: Site): string[] {
  const ids = (kind: string) => site.devices.filter((d) => d.kind === kind).map((d) => d.id)
  const trucks = ids('locator').filter((id) => id.includes('TRK'))
  const gateways = ids('locator').filter((id) => !id.includes('TRK'))
  const entities = [
    ...trucks.map((d, k) => `(${q(d)}, 'vehicle', ${q(d.replace('ZJ-', ''))}, ${k})`),
    ...gateways.flatMap((d, g) => Array.from({ length: PEOPLE_PER_GATEWAY }, (_, p) => `(${q(d)}, 'person', 'P-${g}-${p}', ${trucks.length + g * PEOPLE_PER_GATEWAY + p})`))
  ]
  const dust = ids('dust').map((d, k) => `(${q(d)}, ${k})`)
  const water = [...ids('water'), ...Array.from({ length: 10 - ids('water').length }, (_, i) => `ZJ-WMX${i}`)].map((d, k) => `(${q(d)}, ${k})`)
  const belts = site.devices.filter((d) => d.kind === 'ore' && d.role === 'belt_scale').map((d, k) => `(${q(d.id)}, ${k})`)
  const truckScale = site.devices.find((d) => d.kind === 'ore' && d.role !== 'belt_scale')!.id
  const out: string[] = [
    `CREATE TEMP TABLE ents AS SELECT * FROM (VALUES ${entities.join(', ')}) v(dev, entity, eid, k)`,
    `CREATE TEMP TABLE dusts AS SELECT * FROM (VALUES ${dust.join(', ')}) v(dev, k)`,
    `CREATE TEMP TABLE meters AS SELECT * FROM (VALUES ${water.join(', ')}) v(dev, k)`,
    `CREATE TEMP TABLE belts AS SELECT * FROM (VALUES ${belts.join(', ')}) v(dev, k)`
  ]
  const ts = (i: string, periodMs: number, k: string, jitterMs: number) => `epoch_ms((${START}::BIGINT + ${i} * ${periodMs} + ${k} * ${jitterMs})) AS ts`
  for (let d = 0; d < DAYS; d++) {
    const per = (periodS: number) => [d * (86_400 / periodS), (d + 1) * (86_400 / periodS)] as const
    const [l0, l1] = per(LOCATOR_S)
    out.push(`INSERT INTO locator (site, device, ts, seq, entity, "entityId", lat, lon, alt, "accuracyM", "speedKmh", heading, sos)
      SELECT ${q(SITE)}, dev, ${ts('i', LOCATOR_S * 1000, 'k', 97)}, i, entity, eid, 30.95 + 0.01 * sin((i + k) / 50.0), 119.91 + 0.01 * cos((i + 3 * k) / 50.0),
        50 + k % 7, 2.0, ((i * 7 + k) % 40)::DOUBLE, ((i * 13 + k) % 360)::DOUBLE, 0
      FROM range(${l0}, ${l1}) r(i), ents ORDER BY ts`)
    const [d0, d1] = per(60)
    out.push(`INSERT INTO dust (site, device, ts, seq, tsp, pm10, pm25, temp, rh, "windSpeed", "windDir", noise, flag)
      SELECT ${q(SITE)}, dev, ${ts('i', 60_000, 'k', 311)}, i, 0.35 + 0.25 * sin(i / 90.0 + k), 0.15 + 0.1 * sin(i / 70.0 + k), 0.06 + 0.03 * sin(i / 60.0 + k),
        12 + 8 * sin(i / 1440.0 * 6.283), 55 + 10 * cos(i / 700.0), 2 + (i % 5), ((i * 11) % 360)::DOUBLE, 55 + 8 * sin(i / 30.0),
        CASE WHEN (i + k) % 97 = 0 THEN 'M' WHEN (i + k) % 211 = 0 THEN 'T' ELSE 'N' END
      FROM range(${d0}, ${d1}) r(i), dusts ORDER BY ts`)
    const [w0, w1] = per(300)
    out.push(`INSERT INTO water (site, device, ts, seq, "totalM3", "flowM3h")
      SELECT ${q(SITE)}, dev, ${ts('i', 300_000, 'k', 1_009)}, i, 1000.0 * k + i * (80 + 5 * k) / 12.0, (80 + 5 * k + (i % 7))::DOUBLE
      FROM range(${w0}, ${w1}) r(i), meters ORDER BY ts`)
    const [b0, b1] = per(30)
    out.push(`INSERT INTO ore (site, device, ts, seq, tonnes, "totalT")
      SELECT ${q(SITE)}, dev, ${ts('i', 30_000, 'k', 503)}, i, 4.0 + (i % 3), 4.5 * i
      FROM range(${b0}, ${b1}) r(i), belts ORDER BY ts`)
    const [t0, t1] = [d * 260, (d + 1) * 260]
    out.push(`INSERT INTO ore (site, device, ts, seq, tonnes, "truckId")
      SELECT ${q(SITE)}, ${q(truckScale)}, epoch_ms(${START}::BIGINT + i * ${Math.floor(DAY / 260)}), i, 40.0 + (i % 21), 'TRK' || lpad(((i % 18) + 1)::VARCHAR, 2, '0')
      FROM range(${t0}, ${t1}) r(i)`)
  }
  for (const k of KINDS) out.push(`INSERT INTO rollup_dirty SELECT DISTINCT '${k}', date_trunc('minute', ts) FROM ${MEASUREMENT[k]}`)
  return out
}

async function timeMs (fn: () => Promise<unknown>): Promise<number[]> {
  await fn() // warm-up
  const out: number[] = []
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out
}

interface Figures { daily: number[], dust24h: number[], track7d: number[], month1h: number[], sources: string[] }

async function measureQueries (store: DuckDBTelemetryStore, site: Site): Promise<Figures> {
  const state = await openStateStore({ path: ':memory:', rejectsMaxRows: 1_000 })
  try {
    const day = START + Math.floor(DAYS / 2) * DAY
    const date = beijingDate(day)
    const dust24: SeriesQuery = { site: SITE, kind: 'dust', field: 'tsp', from: day, to: day + DAY, stepMs: MINUTE, agg: 'mean' }
    const track = (field: string): SeriesQuery => ({ site: SITE, kind: 'locator', field, device: 'ZJ-TRK05', entityId: 'TRK05', from: END - 7 * DAY, to: END, stepMs: LOCATOR_S * 1000, agg: 'last' })
    const month: SeriesQuery = { site: SITE, kind: 'dust', field: 'pm10', from: START, to: END, stepMs: HOUR, agg: 'mean' }
    return {
      daily: await timeMs(async () => computeDailyReport(await fetchDailyInput({ telemetry: store, alertStore: state.alerts }, site, date, day, END))),
      dust24h: await timeMs(() => store.series(dust24)),
      track7d: await timeMs(() => Promise.all([store.series(track('lat')), store.series(track('lon'))])),
      month1h: await timeMs(() => store.series(month)),
      sources: [store.seriesSource(dust24), store.seriesSource(track('lat')), store.seriesSource(month)]
    }
  } finally {
    await state.close()
  }
}

// ingest with / without the background jobs (fresh files, as bench/retention.bench.ts)
const BATCH = 2_000
const WRITES = 60
const OLD_ROWS = 200_000
const writeRate = (store: DuckDBTelemetryStore, from: number) => writeRates(store, from, WRITES, BATCH)

async function ingestRounds (dir: string): Promise<{ ratio: ReturnType<typeof ratios>, with: number[], without: number[], rolled: number }> {
  const NOW = END
  const opts = { duckdb: { memory_limit: '160MB', threads: '2' } }
  const plain = new DuckDBTelemetryStore({ path: join(dir, 'plain.duckdb'), rollups: false, ...opts })
  const jobs = new DuckDBTelemetryStore({ path: join(dir, 'jobs.duckdb'), rollups: { intervalMs: 1_000 }, ...opts }) // the rollup job passes every second
  const retention = new RetentionJob({ store: jobs, config: retentionSchema.parse({}), clock: new ManualClock(NOW) })
  let t = NOW - DAY
  let rolled = 0
  try {
    await plain.write(fixes(BATCH, t)); await jobs.write(fixes(BATCH, t))
    const results = await interleave(benchRounds(3), [
      { name: 'without', run: async () => writeRate(plain, (t += DAY / 100)) },
      {
        name: 'with',
        run: async () => {
          for (let i = 0; i < OLD_ROWS; i += 50_000) await jobs.write(fixes(50_000, NOW - 200 * DAY + i * 10)) // past the 90 days of locator
          await jobs.rollUp() // the stock is rolled up before the round: the round's job passes roll up the round's own writes
          const run = retention.runOnce()
          const rate = await writeRate(jobs, (t += DAY / 100))
          await run
          return rate
        }
      }
    ])
    rolled = await jobs.rollUp()
    const w = results.get('with')!
    const wo = results.get('without')!
    return { ratio: ratios(w, wo), with: w, without: wo, rolled }
  } finally {
    await retention.stop()
    await plain.close(); await jobs.close()
  }
}

const ms = (xs: number[]) => `${Math.round(median(xs))} ms (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`

export default async function (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-scale30-'))
  const file = join(dir, 'telemetry.duckdb')
  const site = siteOf()
  const done = watchMachine()
  try {
    // the file with its tables and version, then the readings generated into it
    const first = new DuckDBTelemetryStore({ path: file, rollups: false })
    await first.init(); await first.close()
    const g0 = performance.now()
    const db = await DuckDBInstance.create(file, { memory_limit: '1GB', threads: '2' })
    const conn = await db.connect()
    for (const sql of generateSql(site)) await conn.run(sql)
    const counts = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${MEASUREMENT[k]}`)).getRowObjectsJS()[0]!.n)] as const)))
    await conn.run('CHECKPOINT')
    conn.closeSync(); db.closeSync()
    const genMs = performance.now() - g0
    const rawBytes = statSync(file).size

    const store = new DuckDBTelemetryStore({ path: file, rollups: { intervalMs: 3_600_000 }, duckdb: { memory_limit: '160MB', threads: '2' } })
    const r0 = performance.now()
    const minutes = await store.rollUp()
    const rollMs = performance.now() - r0
    await store.close() // checkpoints: both variants below read a checkpointed file
    const rolledStore = new DuckDBTelemetryStore({ path: file, rollups: { intervalMs: 3_600_000 }, duckdb: { memory_limit: '160MB', threads: '2' } })
    const rolled = await measureQueries(rolledStore, site)
    await rolledStore.close()
    const bytes = statSync(file).size
    const rawStore = new DuckDBTelemetryStore({ path: file, rollups: false, duckdb: { memory_limit: '160MB', threads: '2' } })
    const raw = await measureQueries(rawStore, site)
    await rawStore.close()

    const ingest = await ingestRounds(dir)
    const m = done()
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    const row = (what: string, a: number[], b: number[], target: number, src: string) =>
      `| ${what} | ${src} | ${ms(a)} | ${ms(b)} | ≤ ${target} ms | ${median(a) <= target ? 'met' : '**NOT met**'} |`
    return {
      title: `30 days of a medium site in the embedded store (${DAYS} days generated)`,
      markdown: `${loadNote(m.loadBefore, m.loadAfter)}; ${describeMachine(m)}. Other engineers' work shared the machine: absolute figures read high; the raw column and the ingest ratio were measured in the same run.

Data (bench/scale30.bench.ts): ${total.toLocaleString('en')} readings over ${DAYS} days — locator ${counts.locator!.toLocaleString('en')} (300 tags every ${LOCATOR_S} s: **10× fewer than the domain's 3 s moving rate**, which would be ${(counts.locator! * 10).toLocaleString('en')}), dust ${counts.dust!.toLocaleString('en')} (7 monitors, 60 s), water ${counts.water!.toLocaleString('en')} (10 meters, 5 min), ore ${counts.ore!.toLocaleString('en')} (2 belt scales every 30 s, a truck scale ~260 loads a day). Generated inside DuckDB (INSERT … SELECT FROM range, in time order per day) in ${Math.round(genMs / 1000)} s, not through \`write()\`; then rolled up by the store's own rollup job from the marks: ${minutes.toLocaleString('en')} kind-minutes in ${Math.round(rollMs / 1000)} s.

File: ${(rawBytes / 2 ** 20).toFixed(0)} MiB raw readings; ${(bytes / 2 ** 20).toFixed(0)} MiB with the rollups (${(bytes / total).toFixed(1)} bytes per reading all in).

Queries (median of ${REPEAT} after a warm-up, range in brackets), with rollups and on the same file with rollups off:

| query | source with rollups | with rollups | raw | target | verdict |
|---|---|---:|---:|---:|---|
${row('daily report (api/reports, a day in the middle)', rolled.daily, raw.daily, 200, 'rollup-1m / rollup-1h')}
${row('24 h dust series, 1-minute means', rolled.dust24h, raw.dust24h, 200, rolled.sources[0]!)}
${row('7-day track of one truck (lat and lon, 30 s)', rolled.track7d, raw.track7d, 300, rolled.sources[1]!)}
${row('30 days of hourly PM10 means (what a monthly report reads)', rolled.month1h, raw.month1h, 2000, rolled.sources[2]!)}

No monthly report exists in api/reports yet: the last row is the query it would make for its dust section, not the report.

Ingest with the rollup job (a pass every second) and the retention job (deleting ${OLD_ROWS.toLocaleString('en')} fixes past 90 days) running vs neither (rollups off), one awaited \`write()\` of ${BATCH.toLocaleString('en')} locator readings at a time, ${(WRITES * BATCH).toLocaleString('en')} a round, interleaved rounds:

| variant | median readings/s | range |
|---|---:|---:|
| neither | ${Math.round(spread(ingest.without).median).toLocaleString('en')} | ${Math.round(Math.min(...ingest.without)).toLocaleString('en')}–${Math.round(Math.max(...ingest.without)).toLocaleString('en')} |
| rollups + retention | ${Math.round(spread(ingest.with).median).toLocaleString('en')} | ${Math.round(Math.min(...ingest.with)).toLocaleString('en')}–${Math.round(Math.max(...ingest.with)).toLocaleString('en')} |

${VERDICT_HEADER}
${verdictRow('ingest rate with / without rollups and retention', ingest.ratio, 0.9)}
`
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
