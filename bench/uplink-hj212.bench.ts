/**
 * HJ 212 uplink (docs/uplink.md, "HJ 212 uplink"): a site minewatch forwarding two dust monitors
 * as CN 2011 frames to a provincial minewatch's HJ 212 gateway, both in this process
 * (`startMinewatch`, DuckDB, real TCP on 127.0.0.1).
 *   1. bytes per dust reading on the wire: the frame up and its 9014 down (frames as sent, from status);
 *   2. live forwarding: readings published at the site as fast as its ingest takes them, the figure
 *      is frames acknowledged 9014 per second;
 *   3. replay: the province stopped, a backlog queued, the province started again; the drain rate,
 *      as a ratio to the live rate measured in the same run.
 */
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../core/config.js'
import { silentLogger } from '../core/log.js'
import { startMinewatch } from '../bin/up.js'
import type { BenchResult } from './run.js'
import { loadNote } from './rounds.js'
import { publish, until } from './uplink.bench.js'

const SITE = 'zj-huzhou-quarry'
const DEVICES = ['ZJ-DUST01', 'ZJ-DUST02', 'ZJ-DUST03', 'ZJ-DUST04', 'ZJ-DUST05', 'ZJ-DUST06'] // the devices uplink.bench.ts publishes for
const LIVE_READINGS = Number(process.env.BENCH_UPLINK_HJ212_LIVE ?? 6000)
const BACKLOG_READINGS = Number(process.env.BENCH_UPLINK_HJ212_BACKLOG ?? 6000)
const PW = 'bench-hj212-pw'
const ACK_BYTES = 97 // a 9014 for a 22-character MN and a 6-character PW (docs/uplink.md)

const demo = readFileSync('config/demo.yaml', 'utf8')
const mn = (d: string) => `33050020250001B${d.slice(-5).replace('-', '')}`.padEnd(22, '0')

function provinceYaml (): string {
  let y = demo
  for (const d of DEVICES) {
    const at = y.indexOf(`      - id: ${d}\n`)
    const end = y.indexOf(`        password: demo-${d}-pw\n`, at)
    y = y.slice(0, at) + y.slice(at, end).replace(/unit: \S+/, 'unit: mg/m3') + `        hj212: { mn: ${mn(d)}, pw: "${PW}" }\n` + y.slice(end + `        password: demo-${d}-pw\n`.length)
  }
  return y
}

export default async function uplinkHj212Bench (): Promise<BenchResult> {
  const loadBefore = loadavg()[0]!
  const root = mkdtempSync(join(tmpdir(), 'minewatch-uplink-hj212-bench-'))
  process.env.MW_BENCH_HJ212_PW = PW
  const provConfig = parseConfig(provinceYaml(), 'province.yaml')
  const startProv = (hj212Port = 0) => startMinewatch({ config: provConfig, dataDir: join(root, 'province'), mqttPort: 0, httpPort: 0, hj212Port, host: '127.0.0.1', logger: silentLogger() })
  let prov = await startProv()
  const port = prov.hj212Port!
  const siteConfig = parseConfig(`${demo}\nuplink:\n  hj212:\n    - name: province\n      host: 127.0.0.1\n      port: ${port}\n      site: ${SITE}\n      data: { minute: false, hour: false, day: false }\n      reconnectMs: 100\n      devices:\n${DEVICES.map((d) => `        - { id: ${d}, mn: ${mn(d)}, pwEnv: MW_BENCH_HJ212_PW }`).join('\n')}\n`, 'site.yaml')
  const site = await startMinewatch({ config: siteConfig, dataDir: join(root, 'site'), mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: silentLogger() })
  const status = () => site.uplink.status().targets[0]!
  try {
    await until(() => status().connected, 20_000, 'the uplink to connect')
    const acked0 = status().ackedItems
    const wire0 = status().wireBytes
    const t0 = performance.now()
    await publish(site, LIVE_READINGS)
    await until(() => status().ackedItems - acked0 >= LIVE_READINGS && status().backlogItems === 0, 600_000, 'live readings to be forwarded')
    const liveS = (performance.now() - t0) / 1000
    const liveRate = LIVE_READINGS / liveS
    const bytesUp = (status().wireBytes - wire0) / (status().ackedItems - acked0)

    await prov.close()
    await publish(site, BACKLOG_READINGS)
    await until(() => status().backlogItems >= BACKLOG_READINGS, 60_000, 'the backlog')
    const backlog = status().backlogItems
    prov = await startProv(port)
    const t1 = performance.now()
    await until(() => status().backlogItems === 0, 900_000, 'the backlog to drain')
    const replayS = (performance.now() - t1) / 1000
    const replayRate = backlog / replayS
    const loadAfter = loadavg()[0]!
    const markdown = `
| figure | value |
|---|---|
| bytes per dust reading up (CN 2011 frame, 6 factors: tsp, pm10, pm25, temp, rh, windSpeed) | ${bytesUp.toFixed(1)} B |
| bytes per dust reading down (its 9014) | ${ACK_BYTES} B |
| live forwarding, ${LIVE_READINGS} readings published as fast as PUBACKs come, end to end (9014 from the province) | ${Math.round(liveRate)} readings/s |
| replay of a ${backlog}-frame backlog | ${Math.round(replayRate)} readings/s in ${replayS.toFixed(1)} s |
| replay ÷ live forwarding measured in this run | ${(replayRate / liveRate).toFixed(2)} |

Site and province in one process on this machine (they share its 2 cores), DuckDB stores, fsync
\`always\` on the queues, ${DEVICES.length} devices (one connection each), windows of 100 frames.
${loadNote(loadBefore, loadAfter)}. HJ 212 has no compression: the MQTT uplink's figures
(bench:uplink) are the comparison.
`
    return { title: 'Uplink over HJ 212: wire bytes, forwarding and replay', markdown }
  } finally {
    await site.close()
    await prov.close()
    rmSync(root, { recursive: true, force: true })
  }
}
