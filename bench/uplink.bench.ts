/**
 * Uplink (docs/uplink.md): a site minewatch forwarding to a provincial minewatch, both started
 * in this process (`startMinewatch`, DuckDB, real MQTT between them on 127.0.0.1).
 *   1. bytes per dust reading on the wire: the device's JSON, the batch JSON, the compressed batch (target ≤ 40 B);
 *   2. live forwarding throughput: devices publish at the site as fast as its ingest takes them, the
 *      figure is readings acknowledged upstream per second (end to end: site store, queue, MQTT, province store);
 *   3. replay after a backlog: the province stopped, a backlog queued at the site, the province started
 *      again; the figure is the drain rate. Target: replay ≥ 3× the site's live rate (its devices'
 *      configured rate) and, stricter, compared with the measured live forwarding rate.
 * The 30-minute backlog is scaled: 30 minutes of 100 dust monitors reporting every 10 s (18,000 readings).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../core/config.js'
import { silentLogger } from '../core/log.js'
import { startMinewatch, type Minewatch } from '../bin/up.js'
import { batchJson, encodeBatch } from '../uplink/codec.js'
import type { Reading } from '../core/readings.js'
import type { BenchResult } from './run.js'
import { loadNote } from './rounds.js'

const SITE = 'zj-huzhou-quarry'
const DEVICES = ['ZJ-DUST01', 'ZJ-DUST02', 'ZJ-DUST03', 'ZJ-DUST04', 'ZJ-DUST05', 'ZJ-DUST06']
const LIVE_READINGS = Number(process.env.BENCH_UPLINK_LIVE ?? 30_000)
const BACKLOG_READINGS = Number(process.env.BENCH_UPLINK_BACKLOG ?? 18_000) // 30 min × 100 monitors / 10 s
const PER_MESSAGE = 100
const PW = 'bench-uplink-password'

const demo = readFileSync('config/demo.yaml', 'utf8')

export async function until (check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let seq = 0
const base = Date.now() - 6 * 3600_000
export function dustRows (n: number): Array<Record<string, number | string>> {
  return Array.from({ length: n }, () => {
    const s = seq++
    return { ts: base + s * 100, seq: s, tsp: Number((0.18 + ((s * 7919) % 97) / 1000).toFixed(3)), pm10: Number((0.06 + ((s * 104729) % 53) / 1000).toFixed(3)), pm25: Number((0.03 + ((s * 1299709) % 31) / 1000).toFixed(3)), temp: 12.5, rh: 64, windSpeed: 2.1 }
  })
}

/** Publishes `total` readings at the site over its devices (QoS 1, a few messages in flight each). */
export async function publish (site: Minewatch, total: number): Promise<void> {
  const clients = await Promise.all(DEVICES.map((id) => mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: id, password: `demo-${id}-pw`, protocolVersion: 4, reconnectPeriod: 0 })))
  const perDevice = Math.ceil(total / DEVICES.length / PER_MESSAGE)
  await Promise.all(clients.map(async (c, d) => {
    const inflight: Promise<unknown>[] = []
    for (let m = 0; m < perDevice; m++) {
      inflight.push(c.publishAsync(`mines/${SITE}/dust/${DEVICES[d]}`, JSON.stringify(dustRows(PER_MESSAGE)), { qos: 1 }))
      if (inflight.length >= 4) await inflight.shift()
    }
    await Promise.all(inflight)
  }))
  await Promise.all(clients.map((c) => c.endAsync()))
}

export default async function uplinkBench (): Promise<BenchResult> {
  const loadBefore = loadavg()[0]!
  const root = mkdtempSync(join(tmpdir(), 'minewatch-uplink-bench-'))
  process.env.MW_BENCH_UPLINK_PW = PW
  const provConfig = parseConfig(demo.replace('accounts:\n', `accounts:\n  - username: site-zj\n    role: site-uplink\n    sites: [ ${SITE} ]\n    password: ${PW}\n`), 'province.yaml')
  const start = (config: ReturnType<typeof parseConfig>, dir: string, mqttPort = 0) => startMinewatch({ config, dataDir: join(root, dir), mqttPort, httpPort: 0, host: '127.0.0.1', logger: silentLogger() })
  let prov = await start(provConfig, 'province')
  const provPort = prov.mqttPort
  const siteConfig = parseConfig(`${demo}\nuplink:\n  targets:\n    - { name: province, url: 'mqtt://127.0.0.1:${provPort}', site: ${SITE}, username: site-zj, passwordEnv: MW_BENCH_UPLINK_PW, reconnectMs: 100 }\n`, 'site.yaml')
  const site = await start(siteConfig, 'site')
  const status = () => site.uplink.status().targets[0]!
  try {
    // 1. bytes per reading
    const sample: Reading[] = dustRows(2000).map((r, i) => {
      const { ts, seq: s, ...values } = r
      return { site: SITE, device: DEVICES[i % DEVICES.length]!, kind: 'dust', ts: ts as number, seq: s as number, values: { ...values as Record<string, number>, flag: 'N' } }
    })
    const items = sample.map((r) => ({ r }))
    const deviceJson = sample.reduce((n, r) => n + Buffer.byteLength(JSON.stringify({ ts: r.ts, seq: r.seq, ...r.values })), 0) / sample.length
    const rawBatch = Buffer.byteLength(batchJson(SITE, items)) / sample.length
    const wire = encodeBatch(SITE, items).length / sample.length

    // 2. live forwarding
    await until(() => status().connected, 20_000, 'the uplink to connect')
    const acked0 = status().ackedItems
    const t0 = performance.now()
    await publish(site, LIVE_READINGS)
    const ingestS = (performance.now() - t0) / 1000
    await until(() => status().ackedItems - acked0 >= LIVE_READINGS && status().backlogItems === 0, 300_000, 'live readings to be forwarded')
    const liveS = (performance.now() - t0) / 1000
    const liveRate = LIVE_READINGS / liveS
    const ingestRate = LIVE_READINGS / ingestS

    // 3. backlog and replay
    await prov.close()
    await publish(site, BACKLOG_READINGS)
    await until(() => status().backlogItems >= BACKLOG_READINGS, 60_000, 'the backlog')
    const backlog = status().backlogItems
    const wireBefore = status().wireBytes
    const ackedBefore = status().ackedItems
    prov = await start(provConfig, 'province', provPort)
    const t1 = performance.now()
    await until(() => status().backlogItems === 0, 600_000, 'the backlog to drain')
    const replayS = (performance.now() - t1) / 1000
    const replayRate = backlog / replayS
    const replayWire = (status().wireBytes - wireBefore) / Math.max(1, status().ackedItems - ackedBefore)
    const demoRate = siteConfig.config.sites.find((s) => s.id === SITE)!.devices.reduce((n, d) => n + (d.intervalS ? 1 / d.intervalS : 0), 0)
    const scaledRate = 100 / 10 // the backlog's site: 100 monitors every 10 s
    const loadAfter = loadavg()[0]!
    const ok = (b: boolean) => (b ? 'met' : 'NOT met')
    const markdown = `
| figure | value | target |
|---|---|---|
| bytes per dust reading: device JSON (as published) | ${deviceJson.toFixed(1)} B | |
| bytes per dust reading: uplink batch JSON, uncompressed | ${rawBatch.toFixed(1)} B | |
| bytes per dust reading: uplink batch compressed (2,000 per batch) | ${wire.toFixed(1)} B | ≤ 40 B: ${ok(wire <= 40)} |
| bytes per reading on the wire during the replay (batches as sent) | ${replayWire.toFixed(1)} B | |
| site ingest, ${LIVE_READINGS} readings published as fast as PUBACKs come | ${Math.round(ingestRate)} readings/s | |
| live forwarding, end to end (acknowledged by the province) | ${Math.round(liveRate)} readings/s | |
| replay of a ${backlog}-reading backlog (30 min of 100 monitors every 10 s) | ${Math.round(replayRate)} readings/s in ${replayS.toFixed(1)} s | ≥ 3× live: ${ok(replayRate >= 3 * scaledRate)} (${Math.round(replayRate / scaledRate)}× that site's ${scaledRate}/s; ${Math.round(replayRate / demoRate)}× the demo site's ${demoRate.toFixed(2)}/s) |
| replay ÷ live forwarding measured in this run | ${(replayRate / liveRate).toFixed(2)} | |

Site and province run in one process on this machine (they share its 2 cores), DuckDB stores,
fsync \`always\` on the queue. ${loadNote(loadBefore, loadAfter)}. The live forwarding figure is
bounded by the site's own ingest of the published load (the uplink drains as fast as it fills);
the replay figure is the uplink alone (one batch of 2,000 in flight, each acknowledged after the
province's store has it). The readings are synthetic (values from a few modular sequences, temperature and humidity
constant), so they compress better than a real monitor's noisy values would: the compressed figure is a
best case, the uncompressed batch JSON the bound.
`
    return { title: 'Uplink: wire bytes, forwarding and replay', markdown }
  } finally {
    await site.close()
    await prov.close()
    rmSync(root, { recursive: true, force: true })
  }
}
