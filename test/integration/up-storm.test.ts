/**
 * Issue 16 point 5 (storm control) through `minewatch up`: readings over MQTT, alerts over the HTTP
 * API, deliveries to a local webhook receiver, on a manual clock (the engine's ticks read it).
 * - inhibition: devices behind a gateway (`parent`) and the gateway go silent; one offline alert
 *   (the gateway's) is delivered, the children's are stored as inhibited, including one that fell
 *   silent long before its gateway was noticed; when the gateway is back and a child is not, that
 *   child is delivered then;
 * - grouping: a wind event on 3 dust monitors of a site gives one grouped notification listing
 *   them, each alert stored with its own transitions; a group held across a restart is sent once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { oneSiteYaml } from '../helpers/site-yaml.js'
import { parseConfig } from '../../core/config.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY, HOUR, MINUTE, SECOND } from '../../core/time.js'

const SITE = 's1'
const ADMIN = 'storm-admin-token-0001'
const SECRET = 'webhook-secret-for-tests'
const DAY0 = beijingDayStart(Date.now()) - DAY
const at = (hh: number, mm = 0, ss = 0) => DAY0 + hh * HOUR + mm * MINUTE + ss * SECOND

interface AlertRow { id: string, kind: string, subject: string, device: string, state: string }
interface TransitionRow { from: string | null, to: string, reason: string, message: string }
interface Event { event: string, text: string, alert: AlertRow, transition: TransitionRow, group?: { key: string, size: number, alerts: AlertRow[] } }

const device = (id: string, rest: string) => `      - { id: ${id}, ${rest}, password: demo-${id}-pw }`

function configOf (devices: string[], alerts: string) {
  return parseConfig(oneSiteYaml(`    devices:\n${devices.join('\n')}`, `${alerts}
api:
  tokens:
    - { name: admin, role: admin, token: ${ADMIN} }
`), 'up-storm.yaml')
}

function events (r: Receiver): Event[] {
  return r.deliveries.map((d) => JSON.parse(d.body) as Event)
}

type Mw = Awaited<ReturnType<typeof startTestMinewatch>>

async function alertsOf (mw: Mw, kind: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&site=${SITE}&kind=${kind}`, ADMIN)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function historyOf (mw: Mw, id: string): Promise<TransitionRow[]> {
  const res = await api(mw, `/api/v1/alerts/${id}`, ADMIN)
  expect(res.status).toBe(200)
  return ((await res.json()) as { history: TransitionRow[] }).history
}

async function tickAt (mw: Mw, clock: ManualClock, t: number): Promise<void> {
  clock.set(t)
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

describe('issue 16 point 5: inhibition behind a gateway', () => {
  const clock = new ManualClock(at(10))
  let mw: Mw
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await startReceiver()
    mw = await startTestMinewatch({
      clock,
      config: configOf([
        device('GW1', 'kind: status, name: 采场网关, intervalS: 60'),
        device('C1', 'kind: dust, role: extraction, unit: mg/m3, intervalS: 60, parent: GW1'),
        device('C2', 'kind: dust, role: extraction, unit: mg/m3, intervalS: 60, parent: GW1'),
        device('C3', 'kind: dust, role: extraction, unit: mg/m3, intervalS: 10, parent: GW1')
      ], `alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${receiver.url}", secret: ${SECRET}, allowHttp: true, kinds: [device_offline] }
`)
    })
  })
  afterAll(async () => {
    await mw?.cleanup()
    await receiver?.close()
  })

  it('N devices behind a gateway go silent: the gateway\'s offline alert is delivered, the children\'s are stored as inhibited', async () => {
    // everyone reports up to 10:00:00, then the gateway dies and takes its devices with it
    const minutes = (n: number, f: (t: number) => object) => Array.from({ length: n }, (_, i) => f(at(9, 50 + i + 1)))
    await publishReadings(mw, SITE, 'status', 'GW1', minutes(10, (ts) => ({ ts, uptimeS: ts / 1000 })))
    for (const id of ['C1', 'C2']) await publishReadings(mw, SITE, 'dust', id, minutes(10, (ts) => ({ ts, tsp: 0.2, flag: 'N' })))
    await publishReadings(mw, SITE, 'dust', 'C3', Array.from({ length: 60 }, (_, i) => ({ ts: at(9, 50, 10 * (i + 1)), tsp: 0.2, flag: 'N' })))
    await mw.alerts.idle()

    // 10:00:31: C3 (every 10 s) is past its 30 s limit long before its gateway (every 60 s, 180 s) can be
    await tickAt(mw, clock, at(10, 0, 31))
    const c3 = (await alertsOf(mw, 'device_offline')).find((a) => a.subject === 'C3')!
    expect(c3.state).toBe('firing')
    expect((await historyOf(mw, c3.id)).map((t) => t.reason)).toEqual(['grouped:behind/GW1:no_reading_within_limit'])
    await tickAt(mw, clock, at(10, 2))
    expect(receiver.deliveries).toEqual([]) // C3 waits for its gateway's offline check

    // 10:03:01: the gateway and C1, C2 are offline; only the gateway's alert is delivered
    await tickAt(mw, clock, at(10, 3, 1))
    await waitFor(() => events(receiver).length > 0, 10_000, 'gateway offline delivery')
    // 10:04:00: C1/C2 waited for their own gateway check too: all three children inhibited
    await tickAt(mw, clock, at(10, 4))
    await tickAt(mw, clock, at(10, 6))
    const offline = await alertsOf(mw, 'device_offline')
    expect(offline.map((a) => [a.subject, a.state]).sort()).toEqual([['C1', 'firing'], ['C2', 'firing'], ['C3', 'firing'], ['GW1', 'firing']])
    const gw = offline.find((a) => a.subject === 'GW1')!
    expect(events(receiver).map((e) => [e.event, e.alert.subject, e.transition.reason])).toEqual([['alert.firing', 'GW1', 'no_reading_within_limit']])
    for (const child of offline.filter((a) => a.subject !== 'GW1')) {
      const h = await historyOf(mw, child.id)
      expect(h.map((t) => [t.to, t.reason])).toEqual([['firing', 'grouped:behind/GW1:no_reading_within_limit'], ['firing', `inhibited:${gw.id}`]])
      expect(h[1]!.message).toContain(`上级设备离线(告警 ${gw.id}),本告警已记录、被抑制,不单独推送`)
    }
    // the audit log holds the inhibition too
    const audit = await (await api(mw, `/api/v1/audit?site=${SITE}&limit=10000`, ADMIN)).json() as { items: { target: string, detail: { reason?: string } }[] }
    expect(audit.items.filter((r) => r.target === c3.id).map((r) => r.detail.reason)).toEqual(['grouped:behind/GW1:no_reading_within_limit', `inhibited:${gw.id}`])
  })

  it('the gateway comes back with two of its devices: their alerts resolve unsent; the one still silent is delivered after its own limit', async () => {
    clock.set(at(10, 32))
    // readings from 10:30 to 10:36 (up to 4 min ahead of the clock: within ingest's 5 min allowance)
    const every = (stepS: number) => Array.from({ length: 6 * 60 / stepS + 1 }, (_, i) => at(10, 30) + i * stepS * SECOND)
    await publishReadings(mw, SITE, 'status', 'GW1', every(60).map((ts) => ({ ts, uptimeS: 1 })))
    await publishReadings(mw, SITE, 'dust', 'C1', every(60).map((ts) => ({ ts, tsp: 0.2, flag: 'N' })))
    await publishReadings(mw, SITE, 'dust', 'C3', every(10).map((ts) => ({ ts, tsp: 0.2, flag: 'N' })))
    await mw.alerts.idle()
    const states = async () => Object.fromEntries((await alertsOf(mw, 'device_offline')).map((a) => [a.subject, a.state]))
    await waitFor(async () => (await states()).GW1 === 'resolved', 10_000, 'gateway back')
    expect(await states()).toMatchObject({ GW1: 'resolved', C1: 'resolved', C3: 'resolved', C2: 'firing' })
    await tickAt(mw, clock, at(10, 32, 30))
    await waitFor(() => events(receiver).length === 2, 10_000, 'gateway resolved delivery')
    expect(events(receiver).map((e) => [e.event, e.alert.subject])).toEqual([['alert.firing', 'GW1'], ['alert.resolved', 'GW1']])
    // C2 has had its own offline limit (180 s) since the gateway came back: an outage of its own, delivered now
    await tickAt(mw, clock, at(10, 35, 31))
    await waitFor(() => events(receiver).length === 3, 10_000, 'C2 delivered')
    const c2 = events(receiver)[2]!
    expect([c2.event, c2.alert.subject, c2.transition.reason]).toEqual(['alert.firing', 'C2', expect.stringMatching(/^inhibition_ended:/)])
    expect(c2.text).toContain('上级设备已恢复')
  })
})

describe('issue 16 point 5: a dust wind event on 3 monitors is one grouped notification', () => {
  const monitors = ['D1', 'D2', 'D3']
  const config = (url: string) => configOf([
    ...monitors.map((id) => device(id, 'kind: dust, role: boundary, unit: mg/m3, intervalS: 60')),
    device('D4', 'kind: dust, role: boundary, unit: mg/m3, intervalS: 60')
  ], `alerts:
  retry: { initialMs: 100, maxMs: 400 }
  groups:
    - { id: wind, kinds: [dust_exceedance], by: site, windowS: 300 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${url}", secret: ${SECRET}, allowHttp: true, kinds: [dust_exceedance] }
`)
  /**
   * TSP 1.5 mg/m³ every minute from 09:00 to 09:49, shifted by `offsetS`: GB 16297-1996's 1.0 over
   * 1 h is judged from 45 minutes of data, then held 5 min, so each monitor fires at 09:49 + offsetS.
   */
  const windy = (offsetS: number) => Array.from({ length: 50 }, (_, i) => ({ ts: at(9, i, offsetS), seq: i, tsp: 1.5, flag: 'N' }))
  /** The clock when the readings arrive: just after the last of them (the group opens at 09:49, event time). */
  const NOW = at(9, 50)

  it('one notification lists the three monitors; each alert keeps its own transitions; resolves are sent per alert', async () => {
    const receiver = await startReceiver()
    const clock = new ManualClock(NOW)
    const mw = await startTestMinewatch({ clock, config: config(receiver.url) })
    try {
      for (const [i, id] of monitors.entries()) await publishReadings(mw, SITE, 'dust', id, windy(i * 10))
      await publishReadings(mw, SITE, 'dust', 'D4', Array.from({ length: 50 }, (_, i) => ({ ts: at(9, i), seq: i, tsp: 0.2, flag: 'N' })))
      await waitFor(async () => (await alertsOf(mw, 'dust_exceedance')).length === 3, 10_000, 'three dust alerts')
      await tickAt(mw, clock, at(9, 53, 30))
      expect(receiver.deliveries).toEqual([]) // held: the group window (300 s from 09:49:00) is still open
      const alerts = await alertsOf(mw, 'dust_exceedance')
      // (the monitors' readings stop at 09:49 here, so their alerts are also marked no_data at 09:52)
      for (const a of alerts) expect((await historyOf(mw, a.id)).map((t) => t.reason).filter((r) => r !== 'no_data')).toEqual(['grouped:wind/s1:avg_above_limit_for_hold'])

      await tickAt(mw, clock, at(9, 54))
      await waitFor(() => receiver.deliveries.length > 0, 10_000, 'grouped notification')
      await tickAt(mw, clock, at(9, 55))
      const sent = events(receiver)
      expect(sent).toHaveLength(1)
      const [g] = sent
      expect(g!.event).toBe('alert.group')
      expect(g!.group!.key).toBe('wind/s1')
      expect(g!.group!.alerts.map((a) => a.device).sort()).toEqual(monitors)
      expect(g!.text).toMatch(/^【告警汇总】扬尘超标 · Site 1\(3 条\)：3 条相关告警在 300 秒内触发,合并为一条通知\(告警组 wind\/s1\)/)
      for (const id of monitors) expect(g!.text).toContain(`${id} TSP 小时均值 1.5 mg/m³,超过限值 1 mg/m³(GB 16297-1996)`)
      for (const a of alerts) {
        const h = (await historyOf(mw, a.id)).filter((t) => t.reason !== 'no_data' && t.reason !== 'data_back')
        expect(h.map((t) => [t.to, t.reason])).toEqual([['firing', 'grouped:wind/s1:avg_above_limit_for_hold'], ['firing', 'group_notified:wind/s1']])
      }

      // the wind drops on D1: its resolve is delivered on its own (the group told of its firing)
      clock.set(at(11, 30))
      await publishReadings(mw, SITE, 'dust', 'D1', Array.from({ length: 90 }, (_, i) => ({ ts: at(9, 55 + i), seq: 100 + i, tsp: 0.1, flag: 'N' })))
      await waitFor(() => events(receiver).length === 2, 10_000, 'D1 resolved delivery')
      expect(events(receiver).map((e) => [e.event, e.alert.device])).toEqual([['alert.group', g!.alert.device], ['alert.resolved', 'D1']])
    } finally {
      await mw.cleanup()
      await receiver.close()
    }
  })

  it('a group held when minewatch stops is sent once, after the restart, with every member', async () => {
    const receiver = await startReceiver()
    const dir = tempDir('minewatch-storm-restart-')
    const clock = new ManualClock(NOW)
    const cfg = config(receiver.url)
    let first: Mw | undefined = await startTestMinewatch({ clock, config: cfg, dataDir: dir.path })
    let second: Mw | undefined
    try {
      for (const [i, id] of monitors.entries()) await publishReadings(first, SITE, 'dust', id, windy(i * 10))
      await waitFor(async () => (await alertsOf(first!, 'dust_exceedance')).length === 3, 10_000, 'three dust alerts')
      await tickAt(first, clock, at(9, 52))
      expect(receiver.deliveries).toEqual([])
      await first.cleanup()
      first = undefined
      clock.set(at(9, 58)) // the window ended while minewatch was stopped
      second = await startTestMinewatch({ clock, config: cfg, dataDir: dir.path })
      await tickAt(second, clock, at(9, 58, 1))
      await waitFor(() => receiver.deliveries.length > 0, 10_000, 'grouped notification after restart')
      await tickAt(second, clock, at(9, 59))
      await tickAt(second, clock, at(10, 0))
      expect(events(receiver).map((e) => [e.event, e.group?.size])).toEqual([['alert.group', 3]])
    } finally {
      await first?.cleanup()
      await second?.cleanup()
      await receiver.close()
      dir.remove()
    }
  })
})
