/**
 * Child process for test/integration/influx-outage.test.ts (not a test itself):
 * writes numbered dust readings through SpooledStore(InfluxTelemetryStore) and prints
 * `durable <n>` after each write resolves, so the parent knows what was promised.
 *
 *   node --import tsx spool-writer.child.ts <influxUrl> <db> <spoolDir> <firstSeq> <batches> <batchSize> [drain]
 *
 * After the last batch it prints `done`; with `drain` it then waits until the spool is
 * empty, prints `drained` and exits; without, it idles until killed.
 */
import { InfluxTelemetryStore } from '../../../store/influx/index.js'
import { SpooledStore } from '../../../store/spool/index.js'
import { spoolSchema } from '../../../core/config.js'
import type { Reading } from '../../../core/readings.js'

const [url, db, dir, first, batches, size, mode] = process.argv.slice(2)
if (url === undefined || db === undefined || dir === undefined || first === undefined || batches === undefined || size === undefined) {
  process.stderr.write('usage: spool-writer.child.ts <influxUrl> <db> <spoolDir> <firstSeq> <batches> <batchSize> [drain]\n')
  process.exit(2)
}
const T0 = Date.parse('2025-03-01T00:00:00Z')
const inner = new InfluxTelemetryStore({ config: { url, api: 'v1', db, timeoutMs: 2_000 } })
const store = new SpooledStore({ inner, dir, config: spoolSchema.parse({}), retryInitialMs: 50, retryMaxMs: 200 })
await store.init()
let seq = Number(first)
for (let b = 0; b < Number(batches); b++) {
  const batch: Reading[] = []
  for (let i = 0; i < Number(size); i++, seq++) {
    batch.push({ site: 'outage', device: `d${seq % 4}`, kind: 'dust', ts: T0 + seq, seq, values: { tsp: (seq % 100) / 100, flag: 'N' } })
  }
  await store.write(batch)
  process.stdout.write(`durable ${seq}\n`)
}
process.stdout.write('done\n')
if (mode === 'drain') {
  while ((await store.health()).spooledReadings !== 0) await new Promise((r) => setTimeout(r, 20))
  await store.close()
  process.stdout.write('drained\n')
} else {
  setInterval(() => {}, 1_000) // idle until SIGKILL
}
