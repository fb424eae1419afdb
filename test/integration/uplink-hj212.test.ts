/**
 * Site → province over HJ 212-2017 with two real `minewatch up` processes (docs/uplink.md, "HJ 212
 * uplink"): the site forwards its dust readings as CN 2011 frames to the province's HJ 212 gateway,
 * each awaiting its 9014. Steady load; the province stopped (SIGKILL) while the site keeps loading,
 * then restarted: the backlog replays; the site SIGKILLed with a backlog and restarted: nothing
 * lost. At the end the province holds exactly the site's readings (same devices and times, none
 * twice, same particulate values). Then the province asks for history (2051, 2061): the site
 * answers with its minute means, minima and maxima from its store, and no hour without a valid mean.
 * A water meter on a second target (its real-time frames, then the province's 2061 history
 * request): the province stores the site's hourly flow minima, maxima and means, and hourly
 * volumes (w00000-Cou, through a backwards glitch and a totaliser reset) that add up, day by day,
 * to the site's day facts. A second water meter's minute data goes up live once each minute is
 * over (the target's watermark, queue and 9014s, as for dust).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'
import { startMinewatchProcess, type MinewatchProcess } from '../helpers/minewatch-process.js'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import type { Reading } from '../../core/readings.js'
import { beijingDate, beijingDayStart, DAY, HOUR } from '../../core/time.js'

const SITE = 'zj-huzhou-quarry'
const DUST = ['ZJ-DUST01', 'ZJ-DUST02'] // both report in ug/m3 at the site; the uplink sends mg/m3
const MN: Record<string, string> = { 'ZJ-DUST01': '33050020250001UPLK0001', 'ZJ-DUST02': '33050020250001UPLK0002' }
const PW = 'hj-uplink-pw-1'
const PER_PHASE = 100 // readings per device per phase
const ADMIN = 'demo-admin-token-0001'
const PARTICULATES = ['tsp', 'pm10', 'pm25']
const WATER = 'ZJ-WM01' // fresh_intake: its volume is the day facts' freshM3
const WATER_MN = '33050020250001UPLKW001'
const LIVE_WATER = 'ZJ-WM02' // its minute data goes up live
const LIVE_WATER_MN = '33050020250001UPLKW002'

const demo = readFileSync('config/demo.yaml', 'utf8')
/** The province registers the site's two monitors as HJ 212 devices (values in mg/m3, as the uplink sends them). */
function provinceYaml (): string {
  let y = demo
  for (const d of DUST) {
    const at = y.indexOf(`      - id: ${d}\n`)
    const end = y.indexOf(`        password: demo-${d}-pw\n`, at)
    const block = y.slice(at, end).replace('unit: ug/m3', 'unit: mg/m3')
    y = y.slice(0, at) + block + `        hj212: { mn: ${MN[d]}, pw: "${PW}" }\n` + y.slice(end + `        password: demo-${d}-pw\n`.length)
  }
  for (const [d, mn] of [[WATER, WATER_MN], [LIVE_WATER, LIVE_WATER_MN]]) {
    const w = `        password: demo-${d}-pw\n`
    y = y.replace(w, `${w}        hj212: { mn: ${mn}, pw: "${PW}" }\n`)
  }
  return y
}
const siteYaml = (hj212Port: number) => `${demo}
uplink:
  hj212:
    - name: province-hj212
      host: 127.0.0.1
      port: ${hj212Port}
      site: ${SITE}
      devices:
${DUST.map((d) => `        - { id: ${d}, mn: ${MN[d]}, pwEnv: MW_TEST_HJ212_PW }`).join('\n')}
      data: { minute: false, hour: false, day: false }
      reconnectMs: 200
      windowFrames: 50
    - name: province-water
      host: 127.0.0.1
      port: ${hj212Port}
      site: ${SITE}
      devices:
        - { id: ${WATER}, mn: ${WATER_MN}, pwEnv: MW_TEST_HJ212_PW }
        - { id: ${LIVE_WATER}, mn: ${LIVE_WATER_MN}, pwEnv: MW_TEST_HJ212_PW }
      data: { minute: true, hour: false, day: false }
      intervalGraceS: 0
      reconnectMs: 200
`

const base = Date.now() - 60 * 60_000 + 123 // an hour ago, off the second: DataTime carries the milliseconds
let seq = 0

async function json<T> (p: MinewatchProcess, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

interface TargetStatus { name: string, protocol: string, url: string, connected: boolean, backlogItems: number, ackedItems: number, lastAckAt: number | null, wireBytes: number }
/** Waits 250 ms: a poll of the API sleeps first (the API limits a token to 600 requests a minute). */
const pace = () => new Promise((resolve) => setTimeout(resolve, 250))
/** Polled at most every 200 ms per call (the API limits a token to 600 requests a minute). */
const uplinkStatus = async (p: MinewatchProcess, name = 'province-hj212') => (await new Promise((resolve) => setTimeout(resolve, 200)), await json<{ targets: TargetStatus[] }>(p, '/api/v1/ops/uplink')).targets.find((t) => t.name === name)!

/** Publishes PER_PHASE dust readings per device at the site (QoS 1) and resolves once every PUBACK came. */
async function load (site: MinewatchProcess): Promise<number> {
  let n = 0
  for (const device of DUST) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: device, password: `demo-${device}-pw`, protocolVersion: 4, reconnectPeriod: 0 })
    for (let m = 0; m < PER_PHASE / 10; m++) {
      const readings = Array.from({ length: 10 }, () => { const s = seq++; return { ts: base + s * 1000, seq: s, tsp: 200 + (s % 7) * 10, pm10: 61.7 + s % 5, pm25: 30.25 } })
      await c.publishAsync(`mines/${SITE}/dust/${device}`, JSON.stringify(readings), { qos: 1 })
      n += readings.length
    }
    await c.endAsync()
  }
  return n
}

describe('uplink: site minewatch → provincial minewatch over HJ 212', () => {
  const siteDir = tempDir('minewatch-uplink-hj-site-')
  const provDir = tempDir('minewatch-uplink-hj-prov-')
  let prov: MinewatchProcess
  let site: MinewatchProcess
  let provPorts: { mqtt: number, http: number, hj212: number }
  let published = 0
  const startProvince = async () => (prov = await startMinewatchProcess({ config: join(provDir.path, 'province.yaml'), dataDir: join(provDir.path, 'data'), mqttPort: provPorts.mqtt, httpPort: provPorts.http, hj212Port: provPorts.hj212 }))
  const startSite = async () => (site = await startMinewatchProcess({ config: join(siteDir.path, 'site.yaml'), dataDir: join(siteDir.path, 'data'), env: { MW_TEST_HJ212_PW: PW }, logLevel: process.env.KEEP_UPLINK_DIRS ? 'info' : undefined }))
  const stop = async (p: MinewatchProcess, signal: NodeJS.Signals = 'SIGTERM') => { p.child.kill(signal); await p.exited }

  beforeAll(async () => {
    provPorts = { mqtt: await freePort(), http: await freePort(), hj212: await freePort() }
    writeFileSync(join(provDir.path, 'province.yaml'), provinceYaml())
    writeFileSync(join(siteDir.path, 'site.yaml'), siteYaml(provPorts.hj212))
    await Promise.all([startProvince(), startSite()])
  }, 120_000)

  afterAll(async () => {
    for (const p of [site, prov]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    if (process.env.KEEP_UPLINK_DIRS) { console.log(siteDir.path, provDir.path, site?.stderr(), prov?.stderr()); return }
    siteDir.remove()
    provDir.remove()
  })

  it('forwards steady load as 2011 frames, each acknowledged 9014', async () => {
    await waitFor(async () => (await uplinkStatus(site)).connected, 20_000, 'the site to connect to the gateway')
    published += await load(site)
    await waitFor(async () => { const s = await uplinkStatus(site); return s.backlogItems === 0 && s.ackedItems >= published }, 30_000, 'the site to forward its readings')
    const s = await uplinkStatus(site)
    expect(s).toMatchObject({ protocol: 'hj212', url: `hj212://127.0.0.1:${provPorts.hj212}`, ackedItems: published })
    expect(s.lastAckAt).not.toBeNull()
    // the province sees the devices connected on its gateway
    const hj = await json<{ devices: Array<{ device: string, connected: boolean }> }>(prov, `/api/v1/sites/${SITE}/hj212`)
    for (const d of DUST) expect(hj.devices.find((i) => i.device === d)?.connected).toBe(true)
  }, 60_000)

  it('queues while the province is down and replays after it restarts', async () => {
    await stop(prov, 'SIGKILL') // the gateway answered 9014 only once each reading was durable: a kill loses nothing acknowledged
    published += await load(site)
    await waitFor(async () => (await uplinkStatus(site)).backlogItems >= DUST.length * PER_PHASE, 20_000, 'the backlog to build up')
    expect((await uplinkStatus(site)).connected).toBe(false)
    await startProvince()
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0, 60_000, 'the backlog to drain')
  }, 120_000)

  it('loses nothing when the site is SIGKILLed with a backlog', async () => {
    await stop(prov, 'SIGKILL')
    published += await load(site)
    expect((await uplinkStatus(site)).backlogItems).toBeGreaterThanOrEqual(DUST.length * PER_PHASE)
    await stop(site, 'SIGKILL')
    await Promise.all([startSite(), startProvince()])
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0, 60_000, 'the backlog to drain after the restart')
  }, 120_000)

  it('the province holds exactly the site\'s readings', async () => {
    await Promise.all([stop(site), stop(prov)])
    const readingsOf = async (dir: string) => {
      const store = new DuckDBTelemetryStore({ path: join(dir, 'data', 'telemetry.duckdb') })
      await store.init()
      try {
        const keys = (await store.recentKeys(base - 1)).filter((k) => DUST.includes(k.device)).map((k) => `${k.device}/${k.ts}`).sort()
        const latest = new Map<string, Reading>((await store.latest({ site: SITE })).map((r) => [r.device, r]))
        return { keys, latest }
      } finally { await store.close() }
    }
    const [atSite, atProv] = [await readingsOf(siteDir.path), await readingsOf(provDir.path)]
    expect(atSite.keys.length).toBe(published)
    expect(new Set(atProv.keys).size).toBe(atProv.keys.length) // none twice
    expect(atProv.keys).toEqual(atSite.keys) // exactly the site's readings
    for (const d of DUST) {
      const pick = (r: Reading | undefined) => Object.fromEntries(PARTICULATES.map((f) => [f, r?.values[f]]))
      expect(pick(atProv.latest.get(d))).toEqual(pick(atSite.latest.get(d)))
      expect(atProv.latest.get(d)?.ts).toBe(atSite.latest.get(d)?.ts)
    }

    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'uplink', 'status', '--json', '--data-dir', join(siteDir.path, 'data')])
    const status = JSON.parse(cli.stdout) as { targets: TargetStatus[] }
    expect(status.targets.find((t) => t.name === 'province-hj212')).toMatchObject({ protocol: 'hj212', backlogItems: 0 })
  }, 60_000)

  it('answers the province\'s history requests from its store: minute means, minima and maxima, and no hour without 45 minutes of data', async () => {
    await Promise.all([startProvince(), startSite()])
    await waitFor(async () => (await uplinkStatus(site)).connected, 20_000, 'the site to reconnect')
    const device = 'ZJ-DUST02'
    // the gateway knows which device a connection is once a frame arrives on it (HJ 212 has no login or heartbeat)
    await load(site)
    await waitFor(async () => (await json<{ devices: Array<{ device: string, connected: boolean }> }>(prov, `/api/v1/sites/${SITE}/hj212`)).devices.find((d) => d.device === device)?.connected === true, 20_000, 'the gateway to know the device')
    const from = Math.floor(base / 60_000) * 60_000
    const to = base + seq * 1000
    const backfill = (data: string) => json<{ cn: string, exeRtn: string }>(prov, `/api/v1/sites/${SITE}/hj212/${device}/commands`, {
      method: 'POST', body: JSON.stringify({ command: 'backfill', data, from: new Date(from).toISOString(), to: new Date(to).toISOString() })
    })
    expect(await backfill('minute')).toMatchObject({ cn: '2051', exeRtn: '1' })
    // the site's readings span about 15 minutes: no hour holds the 45 minutes a valid hourly mean needs (GB 3095-2012 §8)
    expect(await backfill('hour')).toMatchObject({ cn: '2061', exeRtn: '100' })

    type Series = { points: Array<{ t: number, value: number }> }
    const q = `site=${SITE}&kind=dust&device=${device}&from=${new Date(from).toISOString()}&to=${new Date(to + 60_000).toISOString()}&step=1m`
    const atSite = (await json<Series>(site, `/api/v1/series?${q}&field=pm10`)).points
    const atProv = (await json<Series>(prov, `/api/v1/series?${q}&field=pm10Avg`)).points
    expect(atSite.length).toBeGreaterThan(5)
    expect(atProv.map((p) => p.t)).toEqual(atSite.map((p) => p.t))
    // pm10 is stored in mg/m3 at both ends; the province stores the site's minute mean as sent
    for (let i = 0; i < atSite.length; i++) expect(atProv[i]!.value).toBeCloseTo(atSite[i]!.value, 9)
    // and its -Min / -Max: the extremes of the minute's readings at the site
    const ext: Record<string, Series['points']> = {}
    for (const [agg, field] of [['min', 'pm10Min'], ['max', 'pm10Max']] as const) {
      const siteExt = ext[agg] = (await json<Series>(site, `/api/v1/series?${q}&field=pm10&agg=${agg}`)).points
      const provExt = (await json<Series>(prov, `/api/v1/series?${q}&field=${field}`)).points
      expect(provExt.map((p) => p.t)).toEqual(siteExt.map((p) => p.t))
      for (let i = 0; i < siteExt.length; i++) expect(provExt[i]!.value).toBeCloseTo(siteExt[i]!.value, 9)
    }
    expect(ext.min!.some((p, i) => p.value < ext.max![i]!.value)).toBe(true) // minutes whose readings differ: Min and Max are not the mean
  }, 120_000)

  it('answers a water meter\'s hourly history: flow min/avg/max and volumes that add up to the site\'s day facts', async () => {
    // 40 readings a minute apart: +3 m³ a minute, a backwards glitch (−4, not counted), a reset to 2 (counted from 0)
    const t0 = Math.floor((Date.now() - 45 * 60_000) / 1000) * 1000
    const totals: number[] = []
    for (let i = 0; i < 40; i++) totals.push(i === 12 ? totals[11]! - 4 : i < 25 ? 5000 + 3 * i : 2 + 3 * (i - 25))
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: WATER, password: `demo-${WATER}-pw`, protocolVersion: 4, reconnectPeriod: 0 })
    await c.publishAsync(`mines/${SITE}/water/${WATER}`, JSON.stringify(totals.map((totalM3, i) => ({ ts: t0 + i * 60_000, seq: i, totalM3, flowM3h: 3.6 * (5 + (i % 4)) }))), { qos: 1 })
    await c.endAsync()
    const expectedM3 = 33 + 39 + 44 // up to the glitch, from the kept baseline to the reset, from the reset
    // the real-time frames first (the gateway knows the device once a frame arrives on its connection)
    await waitFor(async () => { const s = await uplinkStatus(site, 'province-water'); return s.backlogItems === 0 && s.ackedItems >= totals.length }, 30_000, 'the water readings to be forwarded')
    const from = Math.floor(t0 / HOUR) * HOUR
    const to = t0 + totals.length * 60_000
    const backfill = await json<{ cn: string, exeRtn: string }>(prov, `/api/v1/sites/${SITE}/hj212/${WATER}/commands`, {
      method: 'POST', body: JSON.stringify({ command: 'backfill', data: 'hour', from: new Date(from).toISOString(), to: new Date(to).toISOString() })
    })
    expect(backfill).toMatchObject({ cn: '2061', exeRtn: '1' })

    type Series = { points: Array<{ t: number, value: number }> }
    const q = `site=${SITE}&kind=water&device=${WATER}&from=${new Date(from).toISOString()}&to=${new Date(from + 2 * HOUR).toISOString()}&step=1h`
    const series = (p: MinewatchProcess, field: string, agg: string) => json<Series>(p, `/api/v1/series?${q}&field=${field}&agg=${agg}`).then((s) => s.points)
    const volumes = await series(prov, 'volumeM3', 'sum') // only the hourly frames carry volumeM3
    expect(volumes.length).toBe(Math.floor((to - 60_000) / HOUR) - Math.floor(t0 / HOUR) + 1) // one frame per hour with readings
    expect(volumes.reduce((a, p) => a + p.value, 0)).toBeCloseTo(expectedM3, 9)
    // -Min / -Max: the hour's extremes of the site's flow; -Avg: the province's flowM3h holds the
    // real-time values and the hour's mean, so its count is one more and its mean unchanged
    for (const [field, agg] of [['flowM3hMin', 'min'], ['flowM3hMax', 'max']] as const) {
      const [atSite, atProv] = [await series(site, 'flowM3h', agg), await series(prov, field, 'mean')]
      expect(atProv.map((p) => p.t)).toEqual(atSite.map((p) => p.t))
      for (let i = 0; i < atSite.length; i++) expect(atProv[i]!.value).toBeCloseTo(atSite[i]!.value, 9)
    }
    const [siteCount, provCount, siteMean, provMean] = [await series(site, 'flowM3h', 'count'), await series(prov, 'flowM3h', 'count'), await series(site, 'flowM3h', 'mean'), await series(prov, 'flowM3h', 'mean')]
    expect(provCount.map((p) => p.value)).toEqual(siteCount.map((p) => p.value + 1))
    for (let i = 0; i < siteMean.length; i++) expect(provMean[i]!.value).toBeCloseTo(siteMean[i]!.value, 9)

    // the hours of each Beijing day add up to that day's freshM3 in the site's day facts (refreshed every 30 s)
    const byDay = new Map<number, number>()
    for (const p of volumes) byDay.set(beijingDayStart(p.t), (byDay.get(beijingDayStart(p.t)) ?? 0) + p.value)
    const [first, last] = [beijingDate(Math.min(...byDay.keys())), beijingDate(Math.max(...byDay.keys()))]
    const facts = async () => (await json<{ items: Array<{ date: string, day: number, freshM3: number }> }>(site, `/api/v1/reports/day-facts?site=${SITE}&from=${first}&to=${last}`)).items
    await waitFor(async () => { await pace(); const f = await facts(); return [...byDay].every(([day, m3]) => Math.abs((f.find((i) => i.day === day)?.freshM3 ?? -1) - m3) < 1e-9) }, 60_000, 'the site\'s day facts to equal the province\'s hourly volumes per day')
    expect((await facts()).reduce((a, f) => a + f.freshM3, 0)).toBeCloseTo(expectedM3, 9)
    expect(byDay.size).toBeLessThanOrEqual(2)
    expect(Math.max(...byDay.keys()) - Math.min(...byDay.keys())).toBeLessThanOrEqual(DAY)
  }, 120_000)

  it('sends a water meter\'s minute data live once the minute is over: volume and flow extremes as at the site', async () => {
    await waitFor(() => Promise.resolve(Date.now() % 60_000 >= 2000 && Date.now() % 60_000 < 50_000), 60_000, 'a time with two readings\' room in the minute')
    const now = Math.floor(Date.now() / 1000) * 1000
    const minute = Math.floor(now / 60_000) * 60_000
    // three minutes ago (behind the minute watermark: never sent as minute data, but the totaliser's baseline), then two in this minute
    const readings = [{ ts: minute - 3 * 60_000, seq: 0, totalM3: 100, flowM3h: 18 }, { ts: now - 1000, seq: 1, totalM3: 104, flowM3h: 36 }, { ts: now, seq: 2, totalM3: 107, flowM3h: 27 }]
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: LIVE_WATER, password: `demo-${LIVE_WATER}-pw`, protocolVersion: 4, reconnectPeriod: 0 })
    await c.publishAsync(`mines/${SITE}/water/${LIVE_WATER}`, JSON.stringify(readings), { qos: 1 })
    await c.endAsync()
    type Series = { points: Array<{ t: number, value: number }> }
    const q = `site=${SITE}&kind=water&device=${LIVE_WATER}&from=${new Date(minute - 5 * 60_000).toISOString()}&to=${new Date(minute + 5 * 60_000).toISOString()}&step=1m`
    const series = (p: MinewatchProcess, field: string, agg: string) => json<Series>(p, `/api/v1/series?${q}&field=${field}&agg=${agg}`).then((s) => s.points)
    // the minute is queued at the first 15 s tick after it ends (intervalGraceS 0), then acknowledged
    await waitFor(async () => (await pace(), await series(prov, 'volumeM3', 'sum')).length > 0, 120_000, 'the live minute frame to reach the province')
    // only this minute: the one three minutes ago was behind the watermark; its value is the baseline (107 − 100, minute-last values)
    expect((await series(prov, 'volumeM3', 'sum')).map((p) => [p.t, p.value])).toEqual([[minute, expect.closeTo(7, 9)]])
    expect((await series(prov, 'flowM3hMin', 'mean')).map((p) => [p.t, p.value])).toEqual([[minute, expect.closeTo(27, 9)]])
    expect((await series(prov, 'flowM3hMax', 'mean')).map((p) => [p.t, p.value])).toEqual([[minute, expect.closeTo(36, 9)]])
    expect((await uplinkStatus(site, 'province-water')).backlogItems).toBe(0)
  }, 180_000)
})
