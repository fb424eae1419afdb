/**
 * Event-loop health under attack (issue 13): `minewatch up` as a child process with a
 * production-shaped config (every secret a scrypt hash), a legitimate device publishing QoS 1
 * and a monitor polling /healthz, first alone (reference) and then while 1,000 bad MQTT logins/s
 * and 100 bad API tokens/s arrive from many loopback addresses. Target: PUBACK p99 and /healthz
 * p99 under 100 ms during the attack. The attackers run in processes of their own
 * (bench/attack-generator.ts), so they share no event loop with minewatch or with the probes;
 * the rates they actually reached are reported (on a shared 2-core machine they may fall short).
 */
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { BenchResult } from './run.js'
import { hashedText } from '../test/adversarial/helpers.js'
import { startMinewatchProcess } from './minewatch-process.js'
import { loadNote } from './rounds.js'

const PHASE_MS = 15_000 // 15 s per phase
const LOGINS_PER_S = 1000
const TOKENS_PER_S = 100
const PROBE_EVERY_MS = 50
const LOGIN_PROCESSES = 2 // bad logins come from this many generator processes

function hashedConfigText (): string {
  return hashedText().replace(/^api:$/m, 'api:\n  host: 127.0.0.1') + '\nbroker:\n  host: 127.0.0.1\n'
}

function pct (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

async function healthz (port: number): Promise<number> {
  const t0 = performance.now()
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => { res.resume(); res.on('end', () => resolve()) })
    req.on('error', () => resolve())
    req.end()
  })
  return performance.now() - t0
}

/** Runs one attacker process (bench/attack-generator.ts); resolves with how many attempts it sent. */
function attack (kind: 'logins' | 'tokens', port: number, perS: number, ms: number, block: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/attack-generator.ts', kind, String(port), String(perS), String(ms), String(block)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => { out += String(d) })
  return new Promise((resolve) => child.once('exit', () => resolve((JSON.parse(out.trim() || '{"sent":0}') as { sent: number }).sent)))
}

async function phase (mqttPort: number, httpPort: number, underAttack: boolean): Promise<{ puback: number[], health: number[], logins: number, tokens: number, loadavg: number }> {
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'ZJ-DUST05', password: 'demo-ZJ-DUST05-pw', clientId: `ZJ-DUST05-bench-${underAttack ? 'a' : 'r'}`, reconnectPeriod: 0, protocolVersion: 4 })
  const until = Date.now() + PHASE_MS
  const attacks = underAttack
    ? Promise.all([
      // the attackers run in processes of their own: never on minewatch's event loop, nor on the probes'
      ...Array.from({ length: LOGIN_PROCESSES }, (_, k) => attack('logins', mqttPort, LOGINS_PER_S / LOGIN_PROCESSES, PHASE_MS, 1 + 50 * k)),
      attack('tokens', httpPort, TOKENS_PER_S, PHASE_MS, 200)
    ]).then((n) => [n.slice(0, -1).reduce((a, b) => a + b, 0), n.at(-1)!])
    : Promise.resolve([0, 0])
  const puback: number[] = []
  const health: number[] = []
  let seq = 0
  while (Date.now() < until) {
    const t0 = performance.now()
    await device.publishAsync('mines/zj-huzhou-quarry/dust/ZJ-DUST05', JSON.stringify({ ts: Date.now(), seq: seq++, tsp: 0.3 }), { qos: 1 })
    puback.push(performance.now() - t0)
    health.push(await healthz(httpPort))
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS))
  }
  const [logins, tokens] = await attacks
  await device.endAsync()
  return { puback, health, logins: logins!, tokens: tokens!, loadavg: loadavg()[0]! }
}

export default async function (): Promise<BenchResult> {
  const loadBefore = loadavg()[0]!
  const dir = mkdtempSync(join(tmpdir(), 'bench-attack-'))
  const configFile = join(dir, 'config.yaml')
  writeFileSync(configFile, hashedConfigText())
  const mw = await startMinewatchProcess(configFile, join(dir, 'data'), {}, [], { dist: true }) // the build, as installed (npm run build first)
  try {
    const ref = await phase(mw.mqttPort, mw.httpPort, false)
    const atk = await phase(mw.mqttPort, mw.httpPort, true)
    const row = (name: string, r: typeof ref) =>
      `| ${name} | ${(r.logins / (PHASE_MS / 1000)).toFixed(0)} /s | ${(r.tokens / (PHASE_MS / 1000)).toFixed(0)} /s | ${pct(r.puback, 50).toFixed(1)} | ${pct(r.puback, 99).toFixed(1)} | ${pct(r.health, 50).toFixed(1)} | ${pct(r.health, 99).toFixed(1)} | ${r.loadavg.toFixed(2)} |`
    const ok = pct(atk.puback, 99) < 100 && pct(atk.health, 99) < 100
    const loadAfter = loadavg()[0]!
    return {
      title: 'Event-loop health under attack',
      markdown: [
        `A legitimate device publishes QoS 1 and a monitor polls /healthz every ${PROBE_EVERY_MS} ms for ${PHASE_MS / 1000} s, alone and then while bad MQTT logins and bad API tokens arrive from many loopback addresses (hashed secrets: every check is a scrypt). Target: p99 < 100 ms under attack.`,
        '',
        '| phase | bad logins sent | bad tokens sent | PUBACK p50 ms | PUBACK p99 ms | /healthz p50 ms | /healthz p99 ms | load avg (1 min) |',
        '|---|---|---|---|---|---|---|---|',
        row('reference (no attack)', ref),
        row('under attack', atk),
        '',
        `Verdict: ${ok ? 'within target' : 'OVER target'} (${loadNote(loadBefore, loadAfter)}).`
      ].join('\n')
    }
  } finally {
    await mw.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
