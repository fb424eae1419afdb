/**
 * InfluxDB 1.x write path, end to end, against the same server's raw line-protocol rate:
 *   raw       POST of pre-built line protocol, 5,000 lines per request (the ceiling)
 *   store     InfluxTelemetryStore.write, 5,000 readings per batch (Point encoding + HTTP)
 *   spooled   SpooledStore(InfluxTelemetryStore).write, same batches (InfluxDB up: pass-through)
 *   live      SpooledStore, 500-reading batches (what ingest hands over at a few thousand readings/s)
 *   replay    readings spooled while influxd was stopped, drained after its restart
 * and the spool's append cost with fsync 'always' vs 'interval', plus bare fdatasync latency.
 * Every phase is checked with count() so a fast but lossy run cannot pass.
 */
import { join } from 'node:path'
import { openSync, writeSync, fdatasyncSync, closeSync } from 'node:fs'
import os from 'node:os'
import type { BenchResult } from './run.js'
import { startInfluxDB } from '../test/helpers/influxdb.js'
import { tempDir } from '../test/helpers/ports.js'
import { InfluxTelemetryStore, readingToLine } from '../store/influx/index.js'
import { SpooledStore, DiskSpool } from '../store/spool/index.js'
import { spoolSchema } from '../core/config.js'
import type { Reading } from '../core/readings.js'

const T0 = Date.parse('2025-03-01T00:00:00Z')
const N = 200_000 // readings per phase
const BATCH = 5_000
const LIVE_BATCH = 500
const ROUNDS = 4

function readings (site: string, n: number): Reading[] {
  const out: Reading[] = new Array(n)
  for (let i = 0; i < n; i++) {
    // 200 devices; each device's readings one second apart; realistic dust values
    out[i] = { site, device: `DUST-${String(i % 200).padStart(3, '0')}`, kind: 'dust', ts: T0 + Math.floor(i / 200) * 1000, seq: i, values: { tsp: 0.4 + (i % 97) / 200, pm10: 0.12 + (i % 13) / 100, pm25: 0.05, temp: 14.5, rh: 61, windSpeed: 2.3, windDir: 180 + (i % 90), noise: 58.5, flag: 'N' } }
  }
  return out
}

function chunks<T> (a: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < a.length; i += size) out.push(a.slice(i, i + size))
  return out
}

async function timed (fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t) / 1e9
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Median fdatasync latency of a 4 KiB append in `dir`, ms. */
function fdatasyncMs (dir: string, rounds = 200): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'w')
  const buf = Buffer.alloc(4096, 1)
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    writeSync(fd, buf)
    const t = process.hrtime.bigint()
    fdatasyncSync(fd)
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  closeSync(fd)
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

/** Appends per second into a DiskSpool, `batch` readings each, awaiting each append's durability. */
async function spoolAppendRate (dir: string, fsync: 'always' | 'interval', batch: Reading[], rounds: number): Promise<number> {
  const s = DiskSpool.open({ dir, segmentBytes: 16 * 1024 ** 2, fsync, fsyncIntervalMs: 100 })
  const rec = DiskSpool.encode(batch)
  // 8 writers in flight, as concurrent ingest batches would be: group commit shares each fsync.
  let left = rounds
  const secs = await timed(async () => {
    await Promise.all(Array.from({ length: 8 }, async () => { while (left-- > 0) await s.append(rec, batch.length) }))
  })
  await s.close()
  return rounds / secs
}

export default async function bench (): Promise<BenchResult> {
  const influx = await startInfluxDB()
  const dir = tempDir('mw-bench-influx-')
  const load = os.loadavg()[0]!.toFixed(1)
  try {
    const cfg = { url: influx.url, api: 'v1' as const, db: 'bench', timeoutMs: 30_000 }
    const check = new InfluxTelemetryStore({ config: cfg })
    await check.init()
    const expectCount = async (site: string, n: number) => {
      const got = await check.count({ site })
      if (got !== n) throw new Error(`bench ${site}: InfluxDB holds ${got} readings, expected ${n}`)
    }

    // warm-up: creates the shard and the series
    await check.write(readings('warm', 20_000))

    const spooled = new SpooledStore({ inner: new InfluxTelemetryStore({ config: cfg }), dir: join(dir.path, 'spool'), config: spoolSchema.parse({}), retryInitialMs: 50, retryMaxMs: 200 })
    await spooled.init()

    // The four live phases run interleaved, ROUNDS × N/ROUNDS readings each, so that InfluxDB's
    // background work (cache snapshots, compactions) and the shared machine's load hit them alike.
    const secs = { raw: 0, store: 0, spooled: 0, live: 0 }
    const per = N / ROUNDS
    for (let round = 0; round < ROUNDS; round++) {
      // raw: pre-built line protocol, same batch size (building it is not timed)
      const rawBodies = chunks(readings(`raw-${round}`, per), BATCH).map((b) => b.map(readingToLine).join('\n'))
      secs.raw += await timed(async () => {
        for (const body of rawBodies) {
          const res = await fetch(`${influx.url}/write?db=bench&precision=ms`, { method: 'POST', body })
          if (res.status !== 204) throw new Error(`raw write: ${res.status} ${await res.text()}`)
        }
      })
      const storeBatches = chunks(readings(`store-${round}`, per), BATCH)
      secs.store += await timed(async () => { for (const b of storeBatches) await check.write(b) })
      const spooledBatches = chunks(readings(`spooled-${round}`, per), BATCH)
      secs.spooled += await timed(async () => { for (const b of spooledBatches) await spooled.write(b) })
      const liveBatches = chunks(readings(`live-${round}`, per), LIVE_BATCH)
      secs.live += await timed(async () => { for (const b of liveBatches) await spooled.write(b) })
      for (const phase of ['raw', 'store', 'spooled', 'live']) await expectCount(`${phase}-${round}`, per)
    }
    const rawSecs = secs.raw
    const storeSecs = secs.store
    const spooledSecs = secs.spooled
    const liveSecs = secs.live

    // outage: the same live-sized batches go to the spool, then replay after the restart
    await influx.pause()
    const outageBatches = chunks(readings('replay', N), LIVE_BATCH)
    const spoolSecs = await timed(async () => { for (const b of outageBatches) await spooled.write(b) })
    const spooledBytes = (await spooled.health()).spoolBytes ?? 0
    await influx.restart()
    const replaySecs = await timed(async () => {
      while ((await spooled.health()).spooledReadings !== 0) await new Promise((r) => setTimeout(r, 5))
    })
    await expectCount('replay', N)
    await spooled.close()
    await check.close()

    const fsyncMs = fdatasyncMs(dir.path)
    const sample = readings('x', LIVE_BATCH)
    const alwaysRate = await spoolAppendRate(join(dir.path, 'a'), 'always', sample, 400)
    const intervalRate = await spoolAppendRate(join(dir.path, 'i'), 'interval', sample, 400)

    const rate = (secs: number) => N / secs
    const raw = rate(rawSecs)
    const store = rate(storeSecs)
    const spool = rate(spooledSecs)
    const live = rate(liveSecs)
    const replay = rate(replaySecs)
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met')
    const markdown = `
Server: Debian's InfluxDB 1.6.7 (inmem index, WAL fsync on every write) started by the bench on this machine,
${fmt(N)} dust readings per phase (200 devices, 9 fields + seq), sequential writes, each phase verified with count().\nThe first four phases run interleaved in ${ROUNDS} rounds of ${fmt(N / ROUNDS)}; no gzip (InfluxDB on the same host).
1-minute load average of the (shared) machine at start: ${load}.

| Phase | Batch | Readings/s |
|---|---:|---:|
| raw line protocol (pre-built, POST /write) | ${fmt(BATCH)} | ${fmt(raw)} |
| InfluxTelemetryStore.write | ${fmt(BATCH)} | ${fmt(store)} |
| SpooledStore(InfluxTelemetryStore).write, InfluxDB up | ${fmt(BATCH)} | ${fmt(spool)} |
| SpooledStore, live-sized batches | ${fmt(LIVE_BATCH)} | ${fmt(live)} |
| SpooledStore, InfluxDB down (append + fsync to the spool) | ${fmt(LIVE_BATCH)} | ${fmt(rate(spoolSecs))} |
| spool replay after restart (${(spooledBytes / 2 ** 20).toFixed(1)} MiB spooled; up to 50,000 readings per write) | — | ${fmt(replay)} |

| Ratio | Value | Target |
|---|---:|---|
| **InfluxTelemetryStore / raw** | **${(store / raw).toFixed(2)}** | ≥ 0.50: ${verdict(store / raw >= 0.5)} |
| **SpooledStore / raw** | **${(spool / raw).toFixed(2)}** | ≥ 0.50: ${verdict(spool / raw >= 0.5)} |
| **replay / live (${LIVE_BATCH}-reading batches)** | **${(replay / live).toFixed(2)}** | ≥ 2: ${verdict(replay / live >= 2)} |
| replay / SpooledStore with ${fmt(BATCH)}-reading batches | ${(replay / spool).toFixed(2)} | (for reference) |

Spool fsync cost on this disk (${dir.path.startsWith('/tmp') ? 'the temp dir' : dir.path}): one 4 KiB append + fdatasync takes ${fsyncMs.toFixed(2)} ms (median of 200).
Appending ${LIVE_BATCH}-reading batches (${fmt(DiskSpool.encode(sample).length)} bytes each) with 8 writers in flight:
fsync 'always' ${fmt(alwaysRate)} batches/s (${fmt(alwaysRate * LIVE_BATCH)} readings/s; group commit shares an fsync among waiting appends),
fsync 'interval' (100 ms) ${fmt(intervalRate)} batches/s (${fmt(intervalRate * LIVE_BATCH)} readings/s, each write waits up to 100 ms).
`
    return { title: 'InfluxDB 1.x write path: InfluxTelemetryStore and SpooledStore vs raw line protocol; spool replay', markdown }
  } finally {
    await influx.stop()
    dir.remove()
  }
}
