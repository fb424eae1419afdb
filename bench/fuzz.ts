/**
 * npm run fuzz: network fuzzing of `minewatch up` (issue 13). A child process runs the build
 * (dist/: `npm run build` first; from source, tsx's source maps make every Error's stack cost
 * milliseconds) with the demo sites, rate limits raised so cases reach the code behind them.
 * Three targets run at once for FUZZ_SECONDS (default 600), at most FUZZ_RATE cases/s each
 * (default 15: the fuzz is about inputs; load is bench/attack.bench.ts), from their own loopback addresses (bench/fuzz/cases.ts):
 * MQTT packets before and after CONNECT, payload JSON of authenticated devices, API requests.
 *
 * Counted: crashes (the child exits, or writes an uncaught exception or a fatal log line to
 * stderr; it is restarted and fuzzing goes on), findings (a case without its safe outcome: no
 * PUBACK, a 5xx, no answer), and event-loop stalls over STALL_MS, read inside minewatch from
 * `minewatch_nodejs_eventloop_lag_max_seconds` on /metrics (prom-client's
 * monitorEventLoopDelay, reset at every scrape) once a second, next to /healthz latency probed
 * from outside. An idle minewatch runs beside it and is read the same way at the same moments:
 * a stall that the idle one shows too is the shared machine, not the input. Cases behind a crash
 * or a finding are appended to test/fixtures/fuzz/<target>.json, which
 * test/adversarial/fuzz-corpus.test.ts replays in CI. At the end a legitimate device must still
 * publish (PUBACK, stored) and /healthz answer. The result goes into docs/security.md between
 * `<!-- fuzz -->` markers, with the command and the load average before and after.
 *
 * FUZZ_SEED=n reproduces the generated sequence (timing still differs); FUZZ_TARGETS=mqtt,api
 * runs only some targets. The HJ 212 codec has its own fuzzer beside this one: `npm run fuzz:hj212`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { Rng } from '../simulators/prng.js'
import { startMinewatchProcess, type MinewatchProcess } from './minewatch-process.js'
import {
  TARGETS, FUZZ_DIR, PAYLOAD_DEVICES, PayloadDevice, apiRoutes, fuzzAddress, generateApi, generateMqtt, generatePayload,
  loadCorpus, sendApi, sendMqtt, type ApiCase, type FuzzCase, type MqttCase, type Outcome, type PayloadCase, type Target
} from './fuzz/cases.js'

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 600)
const SEED = Number(process.env.FUZZ_SEED ?? 13)
const ONLY = (process.env.FUZZ_TARGETS ?? TARGETS.join(',')).split(',') as Target[]
const STALL_MS = 200 // the issue's bar: no event-loop stall over 200 ms
const MAX_PACKET_BYTES = 256 * 1024 + 1024 // config.broker.maxPacketBytes default
const CONCURRENCY: Record<Target, number> = { mqtt: 4, payload: PAYLOAD_DEVICES.length, api: 4 }
/** Cases started per second and target at most: the fuzz is about inputs, not load (that is bench/attack.bench.ts). */
const RATE = Number(process.env.FUZZ_RATE ?? 15)

function configText (): string {
  return readFileSync('config/demo.yaml', 'utf8')
    .replace(/^api:$/m, 'api:\n  host: 127.0.0.1\n  rateLimitPerMin: 1000000') +
    '\nbroker:\n  host: 127.0.0.1\n  rate: { messagesPerSecond: 100000, burst: 100000 }\n'
}

const CRASH_RE = /Uncaught|UnhandledPromiseRejection|unhandledRejection|"level":60|FATAL ERROR|Segmentation fault/

interface TargetStats { cases: number, findings: number, slowest: { ms: number, name: string }, recent: FuzzCase[], found: Array<FuzzCase & { finding: string }> }

function quantile (xs: number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function lagMaxMs (httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
  const m = /^minewatch_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)
  return m ? Number(m[1]) * 1000 : NaN
}

async function healthzMs (httpPort: number): Promise<number> {
  const t0 = performance.now()
  const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false)
  return ok ? performance.now() - t0 : Infinity
}

/** A legitimate device publishes one reading QoS 1: PUBACK, then it is the site's latest. */
async function legitimateDeviceWorks (mw: MinewatchProcess): Promise<string | undefined> {
  const ts = Date.now()
  try {
    const d = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: 'ZJ-DUST05', password: 'demo-ZJ-DUST05-pw', clientId: 'ZJ-DUST05', reconnectPeriod: 0, connectTimeout: 10_000 })
    await d.publishAsync('mines/zj-huzhou-quarry/dust/ZJ-DUST05', JSON.stringify({ ts, seq: 1, tsp: 0.21, pm10: 0.1 }), { qos: 1 })
    await d.endAsync()
  } catch (err) { return `legitimate device: ${(err as Error).message}` }
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/sites/zj-huzhou-quarry/latest`, { headers: { authorization: 'Bearer demo-admin-token-0001' } })
    if (r.ok && (await r.text()).includes(`"ZJ-DUST05"`) && (await healthzMs(mw.httpPort)) < Infinity) return undefined
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return 'the legitimate reading did not appear in /sites/zj-huzhou-quarry/latest'
}

export async function runFuzz (): Promise<{ markdown: string, ok: boolean }> {
  const loadBefore = loadavg()
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-fuzz-'))
  const config = join(dir, 'fuzz.yaml')
  writeFileSync(config, configText())
  const env = { MINEWATCH_LOG_LEVEL: 'error' }
  let mw = await startMinewatchProcess(config, join(dir, 'data'), env, [], { dist: true })
  const idle = await startMinewatchProcess(config, join(dir, 'idle'), env, [], { dist: true })
  process.once('exit', () => { mw.child.kill('SIGKILL'); idle.child.kill('SIGKILL') }) // never leave them behind
  const stats = Object.fromEntries(TARGETS.map((t) => [t, { cases: 0, findings: 0, slowest: { ms: 0, name: '' }, recent: [], found: [] }])) as unknown as Record<Target, TargetStats>
  const corpus = { mqtt: loadCorpus<MqttCase>('mqtt'), payload: loadCorpus<PayloadCase>('payload'), api: loadCorpus<ApiCase>('api') }
  const routes = await apiRoutes(mw.httpPort)
  const crashes: string[] = []
  const errorLines: string[] = []
  const stalls: Array<{ at: number, lagMs: number, idleLagMs: number, healthMs: number, idleHealthMs: number, inFlight: string[] }> = []
  const health: number[] = []
  const idleHealth: number[] = []
  let maxLag = 0
  let maxIdleLag = 0
  let restarting: Promise<void> | undefined
  await Promise.all([lagMaxMs(mw.httpPort), lagMaxMs(idle.httpPort)]) // a first scrape resets the lag histograms: start-up is not fuzzing
  const until = Date.now() + SECONDS * 1000

  const record = (target: Target, c: FuzzCase, o: Outcome): void => {
    const s = stats[target]
    s.cases++
    if (o.ms > s.slowest.ms) s.slowest = { ms: o.ms, name: c.name }
    s.recent.push(c)
    if (s.recent.length > 8) s.recent.shift()
    if (o.finding) {
      s.findings++
      if (s.found.filter((f) => f.finding === o.finding).length < 3) s.found.push({ ...c, finding: o.finding })
      if (s.findings <= 5) process.stderr.write(`fuzz ${target} finding: ${o.finding} ← ${JSON.stringify(c).slice(0, 300)}\n`)
    }
  }

  const checkCrash = async (): Promise<void> => {
    const text = mw.stderr()
    const crashed = mw.child.exitCode !== null || mw.child.signalCode !== null || CRASH_RE.test(text)
    for (const line of text.split('\n')) if (/"level":50/.test(line) && errorLines.length < 20 && !errorLines.includes(line)) errorLines.push(line.slice(0, 400))
    if (!crashed || restarting) return
    const why = mw.child.exitCode !== null ? `exit ${mw.child.exitCode}` : mw.child.signalCode ?? (CRASH_RE.exec(text)?.[0] ?? 'crash')
    crashes.push(`${new Date().toISOString()} ${why}: ${text.slice(-600)}`)
    for (const t of TARGETS) for (const c of stats[t].recent) if (!stats[t].found.some((f) => f.name === c.name)) stats[t].found.push({ ...c, finding: `in flight at a crash (${why})` })
    restarting = (async () => {
      if (mw.child.exitCode === null) await mw.stop()
      mw = await startMinewatchProcess(config, join(dir, 'data'), env, [], { dist: true })
      restarting = undefined
    })()
  }

  const loop = async (target: Target, worker: number): Promise<void> => {
    const rng = Rng.of(SEED, target, worker)
    const device = target === 'payload' ? PAYLOAD_DEVICES[worker % PAYLOAD_DEVICES.length]! : undefined
    const pd = device ? new PayloadDevice(mw.mqttPort, device.device) : undefined
    let port = mw.mqttPort
    let payloadDevice = pd
    const spacingMs = (1000 * CONCURRENCY[target]) / RATE
    for (let n = 0, next = Date.now(); Date.now() < until; n++) {
      const wait = next - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      next = Math.max(next + spacingMs, Date.now() - spacingMs)
      if (restarting) { await restarting; payloadDevice?.end(); payloadDevice = device ? new PayloadDevice(mw.mqttPort, device.device) : undefined; port = mw.mqttPort }
      const id = worker * 1_000_000 + n
      if (target === 'mqtt') {
        const c = generateMqtt(rng, corpus.mqtt, id)
        record(target, c, await sendMqtt(port, c, fuzzAddress(id, 10 + worker), 250))
      } else if (target === 'payload') {
        const seeds = corpus.payload.filter((s) => s.device === device!.device)
        const c = generatePayload(rng, seeds.length > 0 ? seeds : corpus.payload.map((s) => ({ ...s, ...device! })), id)
        record(target, c, await payloadDevice!.send(c, MAX_PACKET_BYTES))
      } else {
        const c = generateApi(rng, routes, corpus.api, id)
        record(target, c, await sendApi(mw.httpPort, c, fuzzAddress(id, 50 + worker)))
      }
    }
    payloadDevice?.end()
  }

  const monitor = (async () => {
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await checkCrash()
      if (restarting) continue
      const [lag, idleLag, h, ih] = await Promise.all([lagMaxMs(mw.httpPort).catch(() => NaN), lagMaxMs(idle.httpPort).catch(() => NaN), healthzMs(mw.httpPort), healthzMs(idle.httpPort)])
      health.push(h); idleHealth.push(ih)
      if (lag > maxLag) maxLag = lag
      if (idleLag > maxIdleLag) maxIdleLag = idleLag
      if (lag > STALL_MS) stalls.push({ at: Date.now(), lagMs: lag, idleLagMs: idleLag, healthMs: h, idleHealthMs: ih, inFlight: ONLY.map((t) => stats[t].recent.at(-1)?.name ?? '') })
    }
  })()

  await Promise.all([...ONLY.flatMap((t) => Array.from({ length: CONCURRENCY[t] }, (_, w) => loop(t, w))), monitor])
  await checkCrash()
  const endCheck = await legitimateDeviceWorks(mw)
  const finalHealth = await healthzMs(mw.httpPort)
  await Promise.all([mw.stop(), idle.stop()])
  rmSync(dir, { recursive: true, force: true })
  const loadAfter = loadavg()

  // save what was found, so the corpus replay (CI) keeps it fixed
  for (const t of TARGETS) {
    if (stats[t].found.length === 0) continue
    const file = `${FUZZ_DIR}/${t}.json`
    const existing = JSON.parse(readFileSync(file, 'utf8')) as FuzzCase[]
    const stamp = new Date().toISOString().slice(0, 10)
    const added = stats[t].found.map((f) => ({ ...f, name: `found-${stamp}-${f.name}` })).filter((f) => !existing.some((e) => e.name === f.name))
    writeFileSync(file, JSON.stringify([...existing, ...added], null, 1) + '\n')
    process.stderr.write(`fuzz: ${added.length} ${t} case(s) added to ${file}\n`)
  }

  const real = stalls.filter((s) => !(s.idleLagMs > STALL_MS / 2 || s.idleHealthMs > STALL_MS))
  const findings = ONLY.reduce((n, t) => n + stats[t].findings, 0)
  const ok = crashes.length === 0 && findings === 0 && real.length === 0 && endCheck === undefined && finalHealth < Infinity
  const total = ONLY.reduce((n, t) => n + stats[t].cases, 0)
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—')
  const markdown = `Command: \`npm run build && FUZZ_SECONDS=${SECONDS} FUZZ_RATE=${RATE} npm run fuzz\` (seed ${SEED}) · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · Node ${process.version} · load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after

| target | cases | findings | slowest answer |
|---|---|---|---|
${ONLY.map((t) => `| ${t} (${CONCURRENCY[t]} at once) | ${stats[t].cases.toLocaleString('en')} | ${stats[t].findings} | ${stats[t].slowest.ms.toFixed(0)} ms (${stats[t].slowest.name}) |`).join('\n')}

| figure | value |
|---|---|
| cases in all | ${total.toLocaleString('en')} in ${SECONDS} s |
| crashes (child exit, uncaught exception, fatal log) | ${crashes.length}${crashes.length ? ` — ${crashes[0]!.slice(0, 300)}` : ''} |
| error log lines | ${errorLines.length}${errorLines.length ? ` — e.g. ${errorLines[0]!.slice(0, 200)}` : ''} |
| event-loop lag max (inside, per 1 s scrape) | fuzzed ${fmt(maxLag)} ms · idle reference ${fmt(maxIdleLag)} ms |
| stalls over ${STALL_MS} ms | ${stalls.length} (${real.length} with the idle reference quiet at the same moment${real.length ? `: ${real.slice(0, 3).map((s) => `${fmt(s.lagMs)} ms with ${s.inFlight.join(', ')}`).join('; ')}` : ''}) |
| /healthz from outside, p50 / p99 / max | fuzzed ${fmt(quantile(health, 0.5))} / ${fmt(quantile(health, 0.99))} / ${fmt(Math.max(...health))} ms · idle ${fmt(quantile(idleHealth, 0.5))} / ${fmt(quantile(idleHealth, 0.99))} / ${fmt(Math.max(...idleHealth))} ms |
| at the end | ${endCheck ?? 'a legitimate device published QoS 1 (PUBACK, stored); /healthz answered'} |
| verdict | ${ok ? 'pass: 0 crashes, 0 findings, 0 stalls of its own' : 'FAIL'} |`
  return { markdown, ok }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { markdown, ok } = await runFuzz()
  process.stdout.write(markdown + '\n')
  const docFile = 'docs/security.md'
  const doc = readFileSync(docFile, 'utf8')
  const re = /<!-- fuzz -->[\s\S]*?<!-- \/fuzz -->/
  if (re.test(doc) && process.env.FUZZ_RECORD !== '0') writeFileSync(docFile, doc.replace(re, `<!-- fuzz -->\n${markdown}\n<!-- /fuzz -->`))
  process.exitCode = ok ? 0 : 1
}
