/**
 * End-to-end ingest into the embedded DuckDB store: devices publish QoS 1 over MQTT to
 * `minewatch up` (a child process, auth and ACL on) for 60 s; afterwards minewatch stops
 * cleanly and every reading is counted in the DuckDB file. Two phases: single-reading
 * messages (target ≥ 30,000 readings/s and ≥ 0.4 × Mosquitto's QoS 1 rate under the same
 * load in the same run) and 100-reading arrays (target ≥ 300,000/s); peak RSS of the
 * minewatch process (target ≤ 300 MB). Interleaved rounds: bench/rounds.ts.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateLoadConfig, loadDevices } from '../simulators/loadconfig.js'
import { runLoad, type LoadDevice, type LoadResult } from '../simulators/load.js'
import { parseConfig } from '../core/config.js'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { startMinewatchProcess } from './minewatch-process.js'
import { startMosquitto } from '../test/helpers/mosquitto.js'
import { benchRounds, describeMachine, interleave, ratios, spread, verdictRow, VERDICT_HEADER, watchMachine } from './rounds.js'
import type { BenchResult } from './run.js'

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 20_000) // 20 s per run

export interface Phase { name: string, devices: number, readingsPerMessage: number, ratePerSecond: number, inflight: number, target: number, mosquittoRatioTarget?: number }

export const PHASES: Phase[] = [
  // issue 15: single-reading QoS 1 messages, durable before PUBACK, ≥ 0.4 × Mosquitto's rate in the same run
  { name: 'single-reading messages', devices: 200, readingsPerMessage: 1, ratePerSecond: 60_000, inflight: 32, target: 30_000, mosquittoRatioTarget: 0.4 },
  // issue 15: 100-reading arrays ≥ 300,000 readings/s on this machine class
  { name: '100-reading arrays', devices: 100, readingsPerMessage: 100, ratePerSecond: 4_000, inflight: 8, target: 300_000 }
]

export interface Run { load: LoadResult, stored: number, peakRss: number, seconds: number }

export function phaseDevices (p: Phase): { text: string, devices: LoadDevice[] } {
  const text = generateLoadConfig({ sites: 10, devices: p.devices, kinds: ['dust', 'water', 'ore', 'status'], messagesPerSecond: 100_000 })
  return { text, devices: loadDevices(parseConfig(text, 'load.yaml').config) }
}

export function load (p: Phase, brokerUrl: string, devices: LoadDevice[], label: string): Promise<LoadResult> {
  return runLoad({
    brokerUrl, devices, ratePerSecond: p.ratePerSecond, readingsPerMessage: p.readingsPerMessage,
    qos: 1, durationMs: DURATION_MS, rampMs: 2000, inflightPerConnection: p.inflight, drainMs: 30_000,
    onProgress: (pr) => { if (Math.round(pr.elapsedMs / 1000) % 10 === 0) process.stdout.write(`  ${label} ${p.name}: ${Math.round(pr.elapsedMs / 1000)} s, ${Math.round(pr.rate * p.readingsPerMessage)} readings/s, acked ${pr.acked}, errors ${pr.errors}\n`) }
  })
}

/**
 * One run of `minewatch up` under phase p's load. `tree`: another build to run instead of this
 * one (its root, its own load config text and devices, and a label), see ingest-vs-ref.bench.ts.
 */
export async function runMinewatch (p: Phase, tree?: { root: string, text: string, devices: LoadDevice[], label: string }): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-bench-'))
  try {
    const { text, devices } = tree ?? phaseDevices(p)
    const configFile = join(dir, 'load.yaml')
    writeFileSync(configFile, text)
    const mw = await startMinewatchProcess(configFile, join(dir, 'data'), {}, [], tree ? { dist: true, root: tree.root } : {})
    const result = await load(p, `mqtt://127.0.0.1:${mw.mqttPort}`, devices, tree?.label ?? 'minewatch')
    const peakRss = mw.peakRss()
    const code = await mw.stop()
    if (code !== 0) throw new Error(`minewatch exited with ${code}`)
    const store = new DuckDBTelemetryStore({ path: join(dir, 'data', 'telemetry.duckdb') })
    await store.init()
    const stored = await store.count({})
    await store.close()
    return { load: result, stored, peakRss, seconds: DURATION_MS / 1000 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same load against Mosquitto (QoS 1, persistence off): a broker that validates and stores nothing. */
async function runMosquitto (p: Phase): Promise<number> {
  const mosq = await startMosquitto()
  try {
    const result = await load(p, mosq.url, phaseDevices(p).devices, 'mosquitto')
    return result.readingsAcked / (DURATION_MS / 1000)
  } finally {
    await mosq.stop()
  }
}

export default async function (): Promise<BenchResult> {
  const machine = watchMachine()
  const rounds = benchRounds()
  const sections: string[] = []
  const verdicts: string[] = []
  let peak = 0
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  for (const p of PHASES) {
    const mwRuns: Run[] = []
    const results = await interleave<number>(rounds, [
      { name: 'minewatch', run: async () => { const r = await runMinewatch(p); mwRuns.push(r); return r.load.readingsAcked / r.seconds } },
      { name: 'mosquitto', run: async () => await runMosquitto(p) }
    ], (round, name, rate) => process.stdout.write(`  round ${round} ${name} ${p.name}: ${fmt(rate)} readings/s\n`))
    const mw = results.get('minewatch')!
    const mq = results.get('mosquitto')!
    const rows = mwRuns.map((r, i) => {
      peak = Math.max(peak, r.peakRss)
      const all = r.stored === r.load.readingsAcked ? 'yes' : `**no**: ${r.stored} stored, ${r.load.readingsAcked} acknowledged`
      return `| ${i + 1} | ${fmt(mw[i]!)} | ${fmt(mq[i]!)} | ${(mw[i]! / mq[i]!).toFixed(2)} | ${r.load.latencyMs.p50} / ${r.load.latencyMs.p99} | ${r.load.errors} | ${all} | ${(r.peakRss / 2 ** 20).toFixed(0)} MB |`
    })
    sections.push(`### ${p.name} (${p.devices} devices, offered ${fmt(p.ratePerSecond * p.readingsPerMessage)} readings/s)

| round | minewatch readings/s acknowledged | Mosquitto readings/s (same load) | ratio | minewatch PUBACK p50 / p99 (ms) | errors | every acknowledged reading stored | peak RSS |
|---|---:|---:|---:|---|---:|---|---:|
${rows.join('\n')}`)
    verdicts.push(verdictRow(`${p.name}: readings/s`, spread(mw), p.target))
    if (p.mosquittoRatioTarget !== undefined) verdicts.push(verdictRow(`${p.name}: minewatch / Mosquitto`, ratios(mw, mq), p.mosquittoRatioTarget))
    else verdicts.push(`| ${p.name}: minewatch / Mosquitto | ${ratios(mw, mq).median.toFixed(2)} | ${ratios(mw, mq).min.toFixed(2)}–${ratios(mw, mq).max.toFixed(2)} | (no target) | — |`)
  }
  return {
    title: 'End-to-end ingest into DuckDB, as a ratio to Mosquitto',
    markdown: `QoS 1 over MQTT to \`minewatch up\` (child process; auth, ACL, validation, dedup, group commit, DuckDB WAL commit before each PUBACK),
load from the simulators' load mode (\`simulators/load.ts\`, MQTT.js, in the bench process) on the same 2-core machine,
${DURATION_MS / 1000} s per run, ${rounds} interleaved rounds of minewatch and Mosquitto (QoS 1, persistence off) under the same load;
after each minewatch run it is stopped with SIGTERM and the DuckDB file is counted. Machine: ${describeMachine(machine())}.

${VERDICT_HEADER}
${verdicts.join('\n')}
${verdictRow('peak RSS of minewatch', spread([peak / 2 ** 20]), 300, 'at-most', 'MB')}

${sections.join('\n\n')}`
  }
}
