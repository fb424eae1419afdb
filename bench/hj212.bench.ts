/**
 * HJ 212 gateway throughput: 2,000 concurrent HJ 212 connections push real-time dust frames
 * (CN 2011, Flag=5: each asks for a 9014) to `minewatch up` (child process) into DuckDB; a
 * device counts a frame when its 9014 arrives, which the gateway sends only once the reading is
 * durable. In the same run and process, 2,000 MQTT devices send the same readings as JSON, QoS 1
 * (PUBACK after durability), for the ratio. Targets: ≥ 20,000 frames/s, ratio ≥ 0.8.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { loadConfigObject, loadDevices } from '../simulators/loadconfig.js'
import { runLoad } from '../simulators/load.js'
import { parseConfig } from '../core/config.js'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { Hj212DeviceClient } from '../simulators/hj212-device.js'
import { startMinewatchProcess, freePort, percent } from './minewatch-process.js'
import type { BenchResult } from './run.js'
import { loadNote } from './rounds.js'

const CONNECTIONS = Number(process.env.BENCH_HJ212_CONNECTIONS ?? 2000)
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 30_000) // 30 s per path
const INFLIGHT = 4 // unacknowledged frames (or QoS 1 messages) per connection, both paths
const TARGET = 20_000
const TARGET_RATIO = 0.8

interface Sites { sites: Array<{ id: string, devices: Array<Record<string, unknown>> }> }

function config (hjPort: number): string {
  const c = loadConfigObject({ sites: 10, devices: CONNECTIONS, kinds: ['dust'], messagesPerSecond: 100_000 }) as unknown as Sites & Record<string, unknown>
  let n = 0
  for (const s of c.sites) {
    const mqtt = s.devices.slice()
    for (const d of mqtt) {
      const id = `H${String(++n).padStart(5, '0')}`
      s.devices.push({ id, kind: 'dust', role: d.role, unit: 'ug/m3', intervalS: 3600, hj212: { mn: `MN${id}`, pw: `pw${id}` } })
    }
  }
  c.hj212 = { port: hjPort, maxConnections: CONNECTIONS + 100 }
  return stringify(c)
}

async function hj212Load (port: number, ids: string[]): Promise<{ acked: number, errors: number, seconds: number, p50: number, p99: number }> {
  const clients = ids.map((id) => new Hj212DeviceClient({ host: '127.0.0.1', port, mn: `MN${id}`, pw: `pw${id}`, st: '22', quirks: { dataTimeMs: true }, ackTimeoutMs: 60_000 }))
  for (let i = 0; i < clients.length; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.connect()))
  let acked = 0; let errors = 0
  const latencies: number[] = []
  // DataTime: 30 s ago + 1 ms per frame of the device (unique, and within hj212.maxClockDriftS of
  // server time, so no time calibration is triggered)
  const base = Date.now() - 30_000
  const t0 = Date.now()
  const end = t0 + DURATION_MS
  const counters = new Map<Hj212DeviceClient, number>()
  const loop = async (c: Hj212DeviceClient) => {
    while (Date.now() < end) {
      const k = (counters.get(c) ?? 0) + 1
      counters.set(c, k)
      const ts = base + k
      const v = (k % 100) / 10
      const f = c.frame('2011', [[['DataTime', c.dataTime(ts)]], [['a34001-Rtd', (80 + v).toFixed(1)], ['a34001-Flag', 'N']],
        [['a34002-Rtd', (52 + v).toFixed(1)], ['a34002-Flag', 'N']], [['a34004-Rtd', (21 + v / 2).toFixed(2)], ['a34004-Flag', 'N']]])
      const started = performance.now()
      try { await c.send(f); acked++; latencies.push(performance.now() - started) } catch { errors++ }
    }
  }
  await Promise.all(clients.flatMap((c) => Array.from({ length: INFLIGHT }, () => loop(c))))
  const seconds = (Date.now() - t0) / 1000
  await Promise.all(clients.map((c) => c.close()))
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0)
  return { acked, errors, seconds, p50: pct(0.5), p99: pct(0.99) }
}

export default async function (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-bench-hj212-'))
  const loadBefore = loadavg()
  try {
    const hjPort = await freePort()
    const text = config(hjPort)
    const file = join(dir, 'hj212.yaml')
    writeFileSync(file, text)
    const cfg = parseConfig(text, file).config
    const mqttDevices = loadDevices(cfg)
    const hjIds = cfg.sites.flatMap((s) => s.devices.filter((d) => d.hj212).map((d) => d.id))
    const mw = await startMinewatchProcess(file, join(dir, 'data'))
    process.stdout.write(`  HJ 212: ${hjIds.length} connections for ${DURATION_MS / 1000} s\n`)
    const hj = await hj212Load(hjPort, hjIds)
    process.stdout.write(`  HJ 212: ${Math.round(hj.acked / hj.seconds)} frames/s acknowledged; MQTT: ${mqttDevices.length} connections\n`)
    const mq = await runLoad({
      brokerUrl: `mqtt://127.0.0.1:${mw.mqttPort}`, devices: mqttDevices, ratePerSecond: 200_000, readingsPerMessage: 1,
      qos: 1, durationMs: DURATION_MS, rampMs: 2000, inflightPerConnection: INFLIGHT, drainMs: 30_000
    })
    const peakRss = mw.peakRss()
    const code = await mw.stop()
    if (code !== 0) throw new Error(`minewatch exited with ${code}`)
    const store = new DuckDBTelemetryStore({ path: join(dir, 'data', 'telemetry.duckdb') })
    await store.init()
    let hjStored = 0
    for (const s of cfg.sites) for (const d of s.devices) if (d.hj212) hjStored += await store.count({ site: s.id, device: d.id })
    const all = await store.count({})
    await store.close()
    const hjRate = hj.acked / hj.seconds
    const mqRate = mq.readingsAcked / (DURATION_MS / 1000)
    const ratio = hjRate / mqRate
    const loadAfter = loadavg()
    const shown = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ')
    return {
      title: 'HJ 212 gateway throughput (issue 11)',
      markdown: `${CONNECTIONS.toLocaleString('en')} HJ 212 TCP connections (\`simulators/hj212-device.ts\`, in the bench process) each keep ${INFLIGHT} real-time
frames (CN 2011, TSP/PM10/PM2.5 with flags, Flag=5) unacknowledged, for ${DURATION_MS / 1000} s, to \`minewatch up\` (child process): frame
cutting, CRC, PW check, mapping, the ingest pipeline, group commit into DuckDB, then the 9014. Then, in the same process,
${mqttDevices.length.toLocaleString('en')} MQTT devices send the same readings as JSON, QoS 1, ${INFLIGHT} in flight each, for ${DURATION_MS / 1000} s (\`simulators/load.ts\`).
Load average (1/5/15 min) ${shown(loadBefore)} before, ${shown(loadAfter)} after: ${loadNote(loadBefore[0]!, loadAfter[0]!)}; the ratio, measured in the same run, is what counts.

| path | connections | readings/s acknowledged | ack latency p50 / p99 (ms) | errors |
|---|---|---|---|---|
| HJ 212 (9014 after durability) | ${hjIds.length.toLocaleString('en')} | ${Math.round(hjRate).toLocaleString('en')} | ${hj.p50} / ${hj.p99} | ${hj.errors} |
| MQTT JSON (PUBACK after durability) | ${mqttDevices.length.toLocaleString('en')} | ${Math.round(mqRate).toLocaleString('en')} | ${mq.latencyMs.p50} / ${mq.latencyMs.p99} | ${mq.errors} |

| check | value | target | verdict |
|---|---|---|---|
| HJ 212 frames/s | ${Math.round(hjRate).toLocaleString('en')} | ≥ ${TARGET.toLocaleString('en')} | ${hjRate >= TARGET ? 'met' : `not met (${percent(hjRate, TARGET)})`} |
| ratio HJ 212 / MQTT JSON | ${ratio.toFixed(2)} | ≥ ${TARGET_RATIO} | ${ratio >= TARGET_RATIO ? 'met' : 'not met'} |
| every acknowledged HJ 212 frame stored | ${hjStored.toLocaleString('en')} stored, ${hj.acked.toLocaleString('en')} acknowledged | all | ${hjStored >= hj.acked ? 'yes' : 'NO'} |
| readings in DuckDB (both paths) | ${all.toLocaleString('en')} | | |
| peak RSS of minewatch | ${(peakRss / 2 ** 20).toFixed(0)} MB | | |`
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
