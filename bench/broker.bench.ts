/**
 * Broker throughput: minewatch's embedded broker (aedes with login, ACL, rate limiter,
 * packet-size scanner, intake resolving at once) against Mosquitto, same load for both:
 * 20 publisher connections, QoS 1, 200-byte JSON payloads, each keeping a bounded window
 * of PUBLISHes in flight, for 10 s after a 2 s warm-up, in interleaved rounds (bench/rounds.ts).
 *
 * The load runs in a child process that writes pre-built MQTT 3.1.1 packets straight to TCP
 * sockets and counts PUBACKs, so the generator is not the bottleneck and the broker
 * under test has its process (or, for Mosquitto, its core) to itself.
 */
import { spawn } from 'node:child_process'
import { connect as tcpConnect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import mqttPacket from 'mqtt-packet'
import type { BenchResult } from './run.js'
import { parseConfig } from '../core/config.js'
import { Registry } from '../core/registry.js'
import { createMetrics } from '../core/metrics.js'
import { silentLogger } from '../core/log.js'
import { hashSecret } from '../core/secrets.js'
import { createBroker } from '../broker/index.js'
import { startMosquitto } from '../test/helpers/mosquitto.js'
import { benchRounds, describeMachine, interleave, ratios, spread, verdictRow, VERDICT_HEADER, watchMachine } from './rounds.js'

const CONNECTIONS = 20
const WINDOW = 64 // PUBLISHes in flight per connection
const PAYLOAD_BYTES = 200
const WARMUP_MS = 2_000 // 2 s, not counted
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000) // 10 s per run

interface LoadSpec { port: number, devices: { username: string, password: string, topic: string }[], window: number, warmupMs: number, measureMs: number }
interface LoadResult { acked: number, seconds: number }

/** A 200-byte JSON reading, like a dust monitor's. */
function payload (device: string): Buffer {
  const base = JSON.stringify({ ts: '2025-03-01T10:30:00.000Z', device, tsp: 0.3125, pm10: 0.1682, pm25: 0.0617, temp: 12.3, rh: 56, pa: 101.32, ws: 3.4, wd: 225, noise: 63.2, pad: '' })
  return Buffer.from(base.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, PAYLOAD_BYTES - base.length))}"`))
}

/** Child side: one raw TCP publisher per device; resolves with the PUBACKs counted in the measuring window. */
async function runLoad (spec: LoadSpec): Promise<LoadResult> {
  let counting = false
  let acked = 0
  const sockets: Socket[] = []
  await Promise.all(spec.devices.map((d, i) => new Promise<void>((resolve, reject) => {
    const template = mqttPacket.generate({ cmd: 'publish', topic: d.topic, payload: payload(d.username), qos: 1, messageId: 1, retain: false, dup: false })
    const idAt = template.length - PAYLOAD_BYTES - 2 // packet identifier sits just before the payload (§3.3.2.2)
    let nextId = 1
    const publishes = (n: number): Buffer => {
      const out = Buffer.allocUnsafe(template.length * n)
      for (let k = 0; k < n; k++) {
        template.copy(out, k * template.length)
        out.writeUInt16BE(nextId, k * template.length + idAt)
        nextId = nextId === 65535 ? 1 : nextId + 1
      }
      return out
    }
    const s = tcpConnect(spec.port, '127.0.0.1')
    s.setNoDelay(true)
    sockets.push(s)
    let connected = false
    let spare = 0 // bytes of a PUBACK split across reads
    s.on('data', (chunk) => {
      let bytes = chunk.length
      if (!connected) {
        if (chunk[0] !== 0x20 || chunk[3] !== 0) { reject(new Error(`CONNACK refused for ${d.username}: ${chunk.subarray(0, 4).toString('hex')}`)); return }
        connected = true
        bytes -= 4
        resolve()
        s.write(publishes(spec.window))
      }
      // after CONNACK the broker sends only PUBACKs: 4 bytes each (§3.4)
      spare += bytes
      const n = Math.floor(spare / 4)
      spare -= n * 4
      if (n > 0) {
        if (counting) acked += n
        s.write(publishes(n))
      }
    })
    s.on('error', reject)
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `bench-${i}`, keepalive: 0, username: d.username, password: Buffer.from(d.password) }))
  })))
  await new Promise((r) => setTimeout(r, spec.warmupMs))
  counting = true
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, spec.measureMs))
  counting = false
  const seconds = (performance.now() - t0) / 1000
  for (const s of sockets) s.destroy()
  return { acked, seconds }
}

/** Parent side: runs the load in a child process against `port`. */
async function loadFrom (spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, MW_BROKER_BENCH_LOAD: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`load generator exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult
}

function benchConfig (devices: { username: string, password: string }[]) {
  const list = devices.map((d) => `      - { id: ${d.username}, kind: dust, unit: ug/m3, intervalS: 60, secretHash: '${hashSecret(d.password)}' }`).join('\n')
  return parseConfig(`
sites:
  - id: bench
    name: bench
    province: 浙江省
    licence: BENCH
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [120, 30], [120.01, 30], [120.01, 30.01], [120, 30] ] ] }
    devices:
${list}
broker:
  # each bench connection stands for a whole site's worth of traffic: the limiter still runs, it just never holds
  rate: { messagesPerSecond: 1000000, burst: 1000000 }
`, 'bench-broker.yaml').config
}

async function runMinewatch (spec: (port: number) => LoadSpec, devices: { username: string, password: string }[]): Promise<number> {
  const config = benchConfig(devices)
  let intakes = 0
  const broker = createBroker({
    registry: new Registry(config),
    config: config.broker,
    accounts: config.accounts,
    intake: async () => { intakes++ },
    metrics: createMetrics(),
    logger: silentLogger()
  })
  let r: LoadResult
  try {
    const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
    r = await loadFrom(spec(port))
  } finally {
    await broker.close()
  }
  if (intakes < r.acked) throw new Error(`intake saw ${intakes} messages but ${r.acked} were acknowledged`)
  return r.acked / r.seconds
}

async function runMosquitto (spec: (port: number) => LoadSpec): Promise<number> {
  const mosq = await startMosquitto()
  try {
    const r = await loadFrom(spec(mosq.port))
    return r.acked / r.seconds
  } finally {
    await mosq.stop()
  }
}

export default async function bench (): Promise<BenchResult> {
  const machine = watchMachine()
  const rounds = benchRounds()
  const devices = Array.from({ length: CONNECTIONS }, (_, i) => ({ username: `BENCH-D${String(i).padStart(2, '0')}`, password: `bench-secret-${i}` }))
  const spec = (port: number): LoadSpec => ({
    port,
    devices: devices.map((d) => ({ ...d, topic: `mines/bench/dust/${d.username}` })),
    window: WINDOW,
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS
  })
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  const runs = await interleave(rounds, [
    { name: 'minewatch', run: async () => await runMinewatch(spec, devices) },
    { name: 'mosquitto', run: async () => await runMosquitto(spec) }
  ], (round, name, rate) => process.stdout.write(`  round ${round} ${name}: ${fmt(rate)} msg/s\n`))
  const mw = runs.get('minewatch')!
  const mq = runs.get('mosquitto')!
  const ratio = ratios(mw, mq)
  const rateCell = (xs: number[]): string => `${fmt(spread(xs).median)} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`
  return {
    title: 'MQTT broker: minewatch (aedes) vs Mosquitto, QoS 1',
    markdown: `
Load: ${CONNECTIONS} publisher connections, QoS 1, ${PAYLOAD_BYTES}-byte JSON payloads, ${WINDOW} PUBLISHes in flight per connection,
${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up per run; raw-socket generator in a child process, counting PUBACKs.
${rounds} interleaved rounds (minewatch, Mosquitto, minewatch, …); the ratio is taken per round.
minewatch: login (scrypt secretHash), ACL, per-device rate limiter (limit set out of reach), packet-size scanner, intake resolving at once.
Mosquitto (Debian package, its defaults: Nagle on, which is its faster setting here): anonymous, no ACL, persistence off.
No subscribers on either. Machine: ${describeMachine(machine())}.

| Broker | PUBACKed msgs/s, median (range) |
|---|---:|
| minewatch | ${rateCell(mw)} |
| Mosquitto | ${rateCell(mq)} |

${VERDICT_HEADER}
${verdictRow('minewatch / Mosquitto, QoS 1', ratio, 0.9)}
`
  }
}

if (process.env.MW_BROKER_BENCH_LOAD) {
  const result = await runLoad(JSON.parse(process.env.MW_BROKER_BENCH_LOAD) as LoadSpec)
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(0)
}
