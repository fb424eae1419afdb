/**
 * Issue 19 point 1: does the retention job hold up ingest? The DuckDB telemetry store is written
 * directly (bulk, not through MQTT: this measures the store's share), one awaited write of 2,000
 * locator readings at a time as ingest does, in interleaved rounds:
 *   without: writes alone;
 *   with:    the same writes while the job deletes 400,000 locator fixes past their retention
 *            (defaults: batches of 20,000 rows, 50 ms apart), stocked before the round, untimed.
 * The figure is each round's ratio of the two write rates; target ≥ 0.9 (issue 19 point 7).
 */
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { RetentionJob } from '../lifecycle/retention.js'
import { ManualClock } from '../core/clock.js'
import { retentionSchema } from '../core/config.js'
import type { BenchResult } from './run.js'
import { fixes, writeRate as writeRates } from './locator-writes.js'
import { VERDICT_HEADER, benchRounds, describeMachine, interleave, loadNote, ratios, spread, verdictRow, watchMachine } from './rounds.js'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 11, 1)
const BATCH = 2_000
const WRITES = 60 // 120,000 readings a round
const OLD_ROWS = 400_000

const writeRate = (store: DuckDBTelemetryStore, from: number) => writeRates(store, from, WRITES, BATCH)

export default async function (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-retention-'))
  const store = new DuckDBTelemetryStore({ path: join(dir, 'telemetry.duckdb'), duckdb: { memory_limit: '160MB', threads: '2' } })
  const clock = new ManualClock(NOW)
  const job = new RetentionJob({ store, config: retentionSchema.parse({}), clock })
  const done = watchMachine()
  let deletedDuring = 0
  let jobMs = 0
  let t = NOW - DAY
  try {
    await store.write(fixes(BATCH, t)) // warm up
    const results = await interleave(benchRounds(3), [
      { name: 'without', run: async () => writeRate(store, (t += DAY / 100)) },
      {
        name: 'with',
        run: async () => {
          for (let i = 0; i < OLD_ROWS; i += 50_000) await store.write(fixes(50_000, NOW - 200 * DAY + i * 10)) // past 90 days
          const j0 = performance.now()
          const run = job.runOnce().then((r) => { jobMs += performance.now() - j0; deletedDuring += r?.deleted.locator ?? 0 })
          const rate = await writeRate(store, (t += DAY / 100))
          await run
          return rate
        }
      }
    ])
    const m = done()
    const withRates = results.get('with')!
    const without = results.get('without')!
    const ratio = ratios(withRates, without)
    const rounds = withRates.length
    return {
      title: 'Ingest during the retention job (DuckDB store, bulk writes)',
      markdown: `${loadNote(m.loadBefore, m.loadAfter)}; ${describeMachine(m)}. The machine is shared by five engineers: absolute rates read low, the ratio measured in the same run is what counts.

Writes: one awaited \`write()\` of ${BATCH.toLocaleString('en')} locator readings at a time, ${(WRITES * BATCH).toLocaleString('en')} a round, straight into the store (not through MQTT). With: the retention job (default batchRows 20,000, pauseMs 50) deletes ${OLD_ROWS.toLocaleString('en')} fixes older than 90 days during the round; it deleted ${Math.round(deletedDuring / rounds).toLocaleString('en')} per round in ${Math.round(jobMs / rounds)} ms on average.

| variant | median readings/s | range |
|---|---:|---:|
| without the job | ${Math.round(spread(without).median).toLocaleString('en')} | ${Math.round(Math.min(...without)).toLocaleString('en')}–${Math.round(Math.max(...without)).toLocaleString('en')} |
| with the job | ${Math.round(spread(withRates).median).toLocaleString('en')} | ${Math.round(Math.min(...withRates)).toLocaleString('en')}–${Math.round(Math.max(...withRates)).toLocaleString('en')} |

${VERDICT_HEADER}
${verdictRow('ingest rate with / without the retention job', ratio, 0.9)}
`
    }
  } finally {
    await job.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
