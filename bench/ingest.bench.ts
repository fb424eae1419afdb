/**
 * End-to-end ingest into the embedded DuckDB store: devices publish QoS 1 over MQTT to
 * `minewatch up` (a child process, auth and ACL on) for 60 s; afterwards minewatch stops
 * cleanly and every reading is counted in the DuckDB file. Two phases: single-reading
 * messages (target ≥ 30,000 readings/s) and 100-reading arrays (target ≥ 200,000/s);
 * peak RSS of the minewatch process (target ≤ 300 MB).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateLoadConfig, loadDevices } from '../simulators/loadconfig.js'
import { runLoad, type LoadResult } from '../simulators/load.js'
import { parseConfig } from '../core/config.js'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { startMinewatchProcess, percent } from './minewatch-process.js'
import type { BenchResult } from './run.js'

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 60_000) // 60 s per phase

interface Phase { name: string, devices: number, readingsPerMessage: number, ratePerSecond: number, inflight: number, target: number }

const PHASES: Phase[] = [
  { name: 'single-reading messages', devices: 200, readingsPerMessage: 1, ratePerSecond: 60_000, inflight: 32, target: 30_000 },
  { name: '100-reading arrays', devices: 100, readingsPerMessage: 100, ratePerSecond: 4_000, inflight: 8, target: 200_000 }
]

async function runPhase (p: Phase): Promise<{ load: LoadResult, stored: number, peakRss: number, seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-bench-'))
  try {
    const text = generateLoadConfig({ sites: 10, devices: p.devices, kinds: ['dust', 'water', 'ore', 'status'], messagesPerSecond: 100_000 })
    const configFile = join(dir, 'load.yaml')
    writeFileSync(configFile, text)
    const devices = loadDevices(parseConfig(text, configFile).config)
    const mw = await startMinewatchProcess(configFile, join(dir, 'data'))
    const load = await runLoad({
      brokerUrl: `mqtt://127.0.0.1:${mw.mqttPort}`, devices, ratePerSecond: p.ratePerSecond, readingsPerMessage: p.readingsPerMessage,
      qos: 1, durationMs: DURATION_MS, rampMs: 2000, inflightPerConnection: p.inflight, drainMs: 30_000,
      onProgress: (pr) => { if (Math.round(pr.elapsedMs / 1000) % 10 === 0) process.stdout.write(`  ${p.name}: ${Math.round(pr.elapsedMs / 1000)} s, ${Math.round(pr.rate * p.readingsPerMessage)} readings/s, acked ${pr.acked}, errors ${pr.errors}\n`) }
    })
    const peakRss = mw.peakRss()
    const code = await mw.stop()
    if (code !== 0) throw new Error(`minewatch exited with ${code}`)
    const store = new DuckDBTelemetryStore({ path: join(dir, 'data', 'telemetry.duckdb') })
    await store.init()
    const stored = await store.count({})
    await store.close()
    return { load, stored, peakRss, seconds: DURATION_MS / 1000 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export default async function (): Promise<BenchResult> {
  const rows: string[] = []
  let peak = 0
  for (const p of PHASES) {
    const r = await runPhase(p)
    peak = Math.max(peak, r.peakRss)
    const rate = r.load.readingsAcked / r.seconds
    const all = r.stored === r.load.readingsAcked ? 'yes' : `no: ${r.stored} stored, ${r.load.readingsAcked} acknowledged`
    rows.push(`| ${p.name} | ${p.devices} | ${Math.round(rate).toLocaleString('en-US')} | ${p.target.toLocaleString('en-US')} | ${rate >= p.target ? 'met' : `not met (${percent(rate, p.target)})`} | ${r.load.latencyMs.p50} / ${r.load.latencyMs.p99} | ${r.load.errors} | ${all} | ${(r.peakRss / 2 ** 20).toFixed(0)} MB |`)
  }
  return {
    title: 'End-to-end ingest into DuckDB (issue 2)',
    markdown: `QoS 1 over MQTT to \`minewatch up\` (child process; auth, ACL, validation, dedup, group commit, DuckDB WAL commit before each PUBACK),
load from the simulators' load mode (\`simulators/load.ts\`, MQTT.js, in the bench process) on the same 2-core machine,
${DURATION_MS / 1000} s per phase; afterwards minewatch is stopped with SIGTERM and the DuckDB file is counted.

| phase | devices | readings/s acknowledged | target | verdict | PUBACK latency p50 / p99 (ms) | errors | every acknowledged reading in the store | peak RSS of minewatch |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Peak RSS target ≤ 300 MB: ${peak <= 300 * 2 ** 20 ? 'met' : 'not met'} (${(peak / 2 ** 20).toFixed(0)} MB).`
  }
}
