/**
 * Load mode against minewatch: 10,000 devices across 10 sites, each its own MQTT connection
 * (ramped over 20 s), publishing QoS 1 single readings at 2,000 messages/s in total for 60 s,
 * into `minewatch up` (child process, DuckDB). Reports what the simulators' load mode reports:
 * connections held, achieved rate, acknowledged count, PUBACK latency percentiles.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execSync } from 'node:child_process'
import { generateLoadConfig, loadDevices } from '../simulators/loadconfig.js'
import { runLoad } from '../simulators/load.js'
import { parseConfig } from '../core/config.js'
import { startMinewatchProcess } from './minewatch-process.js'
import type { BenchResult } from './run.js'

const DEVICES = Number(process.env.BENCH_LOAD_DEVICES ?? 10_000)
const RATE = 2_000 // messages/s, all devices together
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 60_000)

export default async function (): Promise<BenchResult> {
  const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/bash' }).toString().trim())
  if (fdLimit < DEVICES + 500) throw new Error(`ulimit -n is ${fdLimit}: ${DEVICES} connections need at least ${DEVICES + 500} (run \`ulimit -n 65536\` first)`)
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-load-bench-'))
  try {
    const text = generateLoadConfig({ sites: 10, devices: DEVICES, messagesPerSecond: 100 })
    const configFile = join(dir, 'load.yaml')
    writeFileSync(configFile, text)
    const devices = loadDevices(parseConfig(text, configFile).config)
    const mw = await startMinewatchProcess(configFile, join(dir, 'data'))
    let maxConnected = 0
    const r = await runLoad({
      brokerUrl: `mqtt://127.0.0.1:${mw.mqttPort}`, devices, ratePerSecond: RATE, readingsPerMessage: 1, qos: 1,
      durationMs: DURATION_MS, rampMs: 20_000, inflightPerConnection: 2, drainMs: 30_000,
      onProgress: (p) => { maxConnected = Math.max(maxConnected, p.connected); if (Math.round(p.elapsedMs / 1000) % 10 === 0) process.stdout.write(`  ${Math.round(p.elapsedMs / 1000)} s: ${p.connected} connected, ${Math.round(p.rate)} msg/s, acked ${p.acked}, errors ${p.errors}\n`) }
    })
    const peak = mw.peakRss()
    const code = await mw.stop()
    if (code !== 0) throw new Error(`minewatch exited with ${code}`)
    return {
      title: 'Load mode: 10,000 connected devices (issue 6)',
      markdown: `\`simulators/load.ts\` with ${DEVICES.toLocaleString('en-US')} devices across 10 sites, one MQTT connection each (ramped over 20 s),
QoS 1 single readings at a target of ${RATE.toLocaleString('en-US')} messages/s for ${DURATION_MS / 1000} s, against \`minewatch up\` (child process,
auth and ACL on, DuckDB). Load generator and minewatch share the 2-core machine; \`ulimit -n\` was ${fdLimit}.

| devices connected at the end | most connected | messages sent | acknowledged | errors | achieved rate | PUBACK latency p50 / p99 / max | minewatch peak RSS |
|---|---|---|---|---|---|---|---|
| ${r.connected.toLocaleString('en-US')} | ${maxConnected.toLocaleString('en-US')} | ${r.sent.toLocaleString('en-US')} | ${r.acked.toLocaleString('en-US')} | ${r.errors} | ${Math.round(r.achievedRate).toLocaleString('en-US')} msg/s | ${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max} ms | ${(peak / 2 ** 20).toFixed(0)} MB |`
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
