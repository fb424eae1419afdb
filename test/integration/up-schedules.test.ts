/**
 * Issue 16 point 1 (schedules) through `minewatch up`: readings over MQTT, windows and alerts over
 * the HTTP API, deliveries to a local webhook receiver. One minewatch for the whole file, on a
 * manual clock set to yesterday morning in Beijing (so the weekly windows are deterministic and no
 * reading is "in the future"); the engine's ticks read it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY, HOUR, MINUTE, SECOND, BEIJING_OFFSET_MS } from '../../core/time.js'
import { WEEKDAYS } from '../../core/schedules.js'
import { ringCentroid, type PolygonCoords } from '../../core/geo.js'

const ZJ = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'
const OPERATOR = 'demo-operator-zj-token' // 长兴矿调度室
const REGULATOR = 'demo-regulator-zj-token'
const OTHER_OPERATOR = 'demo-operator-gs-token'

/** Yesterday 00:00 Beijing; the clock starts at 10:00 that day. */
const DAY0 = beijingDayStart(Date.now()) - DAY
const at = (hh: number, mm = 0) => DAY0 + hh * HOUR + mm * MINUTE
const WEEKDAY = WEEKDAYS[(new Date(DAY0 + BEIJING_OFFSET_MS).getUTCDay() + 6) % 7]!
const clock = new ManualClock(at(10))

interface AlertRow { id: string, kind: string, subject: string, state: string, message: string }
interface TransitionRow { from: string | null, to: string, reason: string, message: string }
interface Event { event: string, alert: AlertRow, transition: TransitionRow }

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let receiver: Receiver

function events (): Event[] {
  return receiver.deliveries.map((d) => JSON.parse(d.body) as Event)
}

async function alertsOf (query: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function historyOf (id: string): Promise<TransitionRow[]> {
  const res = await api(mw, `/api/v1/alerts/${id}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { history: TransitionRow[] }).history
}

async function send (method: string, path: string, body: unknown, token?: string): Promise<Response> {
  return await api(mw, path, token, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
}

async function tickAt (t: number): Promise<void> {
  clock.set(t)
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

beforeAll(async () => {
  receiver = await startReceiver()
  mw = await startTestMinewatch({
    clock,
    config: demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${receiver.url}", secret: ${SECRET}, allowHttp: true, sites: [${ZJ}], kinds: [dust_exceedance, blasting_zone_entry] }
  schedules:
    - { id: zj-blast, type: blasting, site: ${ZJ}, zone: blast-1, owner: 爆破队 李工, reason: 采场台阶爆破, weekly: [{ days: [${WEEKDAY}], from: '11:00', to: '12:00' }] }
`)
  })
})

afterAll(async () => {
  await mw?.cleanup()
  await receiver?.close()
})

describe('issue 16 point 1: maintenance windows', () => {
  it('are managed through the API with permissions, clear errors and an audit record', async () => {
    const window = { id: 'dust04-maint', type: 'maintenance', site: ZJ, device: 'ZJ-DUST04', owner: '机修班 张工', reason: '扬尘仪校准', weekly: [{ days: [WEEKDAY], from: '08:00', to: '11:00' }] }
    expect((await send('POST', '/api/v1/schedules', window, REGULATOR)).status).toBe(403)
    expect((await send('POST', '/api/v1/schedules', window, OTHER_OPERATOR)).status).toBe(403)
    const bad = await send('POST', '/api/v1/schedules', { ...window, device: 'ZJ-NOPE' }, OPERATOR)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toContain("'ZJ-NOPE' is not a device of site 'zj-huzhou-quarry'")
    const badTime = await send('POST', '/api/v1/schedules', { ...window, weekly: [{ days: [WEEKDAY], from: '8:00', to: '11:00' }] }, OPERATOR)
    expect(badTime.status).toBe(400)
    expect(((await badTime.json()) as { message: string }).message).toMatch(/weekly.*from/)
    const made = await send('POST', '/api/v1/schedules', window, OPERATOR)
    expect(made.status).toBe(201)
    expect(await made.json()).toMatchObject({ id: 'dust04-maint', source: 'api', createdBy: '长兴矿调度室', createdAt: clock.now() })
    expect((await send('POST', '/api/v1/schedules', window, OPERATOR)).status).toBe(409)
    const list = await (await api(mw, '/api/v1/schedules', REGULATOR)).json() as { items: { id: string, source: string }[] }
    expect(list.items.map((s) => [s.id, s.source])).toEqual([['zj-blast', 'config'], ['dust04-maint', 'api']])
    expect((await send('DELETE', '/api/v1/schedules/zj-blast', undefined, OPERATOR)).status).toBe(409)
    const audit = await (await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)).json() as { items: { action: string, actor: string, target: string }[] }
    expect(audit.items.filter((r) => r.action.startsWith('schedule.')).map((r) => [r.action, r.actor, r.target])).toEqual([['schedule.create', '长兴矿调度室', 'dust04-maint']])
  })

  it('an alert inside the window is stored as suppressed with the window id, nothing reaches the webhook; when the window ends and it still holds, it is delivered', async () => {
    // 1.5 mg/m³ from 09:00 to 10:00 at a boundary monitor: above GB 16297-1996's 1.0 (config/demo.yaml)
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', Array.from({ length: 60 }, (_, i) => ({ ts: at(9, i), seq: i, tsp: 1500, flag: 'N' })))
    await waitFor(async () => (await alertsOf(`site=${ZJ}&kind=dust_exceedance`)).some((a) => a.subject.startsWith('ZJ-DUST04:')), 10_000, 'dust alert')
    const [dust] = (await alertsOf(`site=${ZJ}&kind=dust_exceedance`)).filter((a) => a.subject.startsWith('ZJ-DUST04:'))
    expect(dust!.state).toBe('firing')
    const history = await historyOf(dust!.id)
    expect(history[0]!.reason).toMatch(/^suppressed:dust04-maint:avg_above_limit_for_hold$/)
    expect(history[0]!.message).toContain('处于维护时段 dust04-maint 内,已记录、暂不推送')
    // the audit log holds the suppressed transition with its window
    const audit = await (await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)).json() as { items: { target: string, detail: { reason?: string } }[] }
    expect(audit.items.filter((r) => r.target === dust!.id).map((r) => r.detail.reason)).toEqual(['suppressed:dust04-maint:avg_above_limit_for_hold'])

    // still inside the window (the monitor goes offline meanwhile, also covered): nothing delivered
    await tickAt(at(10, 59))
    expect(receiver.deliveries).toEqual([])
    const offline = (await alertsOf(`site=${ZJ}&kind=device_offline`)).find((a) => a.subject === 'ZJ-DUST04')!
    expect((await historyOf(offline.id))[0]!.reason).toBe('suppressed:dust04-maint:no_reading_within_limit')

    // 11:00: the window is over and the dust alert is still open: delivered now, once
    await tickAt(at(11))
    await waitFor(() => events().some((e) => e.alert.id === dust!.id), 10_000, 'released dust alert')
    await mw.alerts.idle()
    const sent = events().filter((e) => e.alert.id === dust!.id)
    expect(sent.map((e) => [e.event, e.transition.reason])).toEqual([['alert.firing', 'suppression_ended:dust04-maint']])
    expect(sent[0]!.transition.message).toContain('维护时段 dust04-maint 已结束,告警仍未解除,现推送')
    expect(sent[0]!.transition.message).toContain('GB 16297-1996')
  })
})

describe('issue 16 point 1: blasting windows', () => {
  it('a person inside the blasting zone during its window is an alarm, delivered; the window ending resolves it', async () => {
    const zone = mw.registry.site(ZJ)!.zones.find((z) => z.id === 'blast-1')!
    const [lon, lat] = ringCentroid(zone.geometry.coordinates as PolygonCoords)
    const fixAt = (t: number, entity = 'person', entityId = 'P-BLAST-1') => ({ ts: t, entity, entityId, lon, lat, accuracyM: 0.5 })
    const t0 = at(11, 1)
    clock.set(t0 + MINUTE)
    await publishReadings(mw, ZJ, 'locator', 'ZJ-UWB01', [0, 1, 2, 3].flatMap((i) => [fixAt(t0 + i * 5 * SECOND), fixAt(t0 + i * 5 * SECOND, 'vehicle', 'TRK-BLAST')]))
    await waitFor(() => events().some((e) => e.alert.kind === 'blasting_zone_entry'), 10_000, 'blasting alarm delivery')
    const alarms = await alertsOf(`site=${ZJ}&kind=blasting_zone_entry`)
    expect(alarms.map((a) => [a.subject, a.state])).toEqual([['blast-1:P-BLAST-1', 'firing']]) // the vehicle is no person
    const ev = events().find((e) => e.alert.kind === 'blasting_zone_entry')!
    expect(ev).toMatchObject({ event: 'alert.firing', alert: { severity: 'alarm' }, transition: { reason: 'inside_blasting_zone' } })
    expect(ev.transition.message).toContain('爆破时段内 P-BLAST-1 在警戒区 爆破警戒区(blast-1) 内,须立即撤离')

    // 12:00 the window closes: the next fix of the person still there resolves it
    clock.set(at(12, 1))
    await publishReadings(mw, ZJ, 'locator', 'ZJ-UWB01', [fixAt(at(12))])
    await waitFor(async () => (await alertsOf(`site=${ZJ}&kind=blasting_zone_entry`))[0]!.state === 'resolved', 10_000, 'blasting alarm resolved')
    const h = await historyOf(alarms[0]!.id)
    expect(h.filter((t) => t.reason !== 'no_data' && t.reason !== 'data_back').map((t) => [t.to, t.reason])).toEqual([['firing', 'inside_blasting_zone'], ['resolved', 'blasting_window_ended']])
  })
})

describe('issue 16 point 1: across a restart', () => {
  it('an API window and the alert it suppresses survive a restart; the alert is delivered when the window ends after it', async () => {
    const dir = tempDir('minewatch-sched-restart-')
    const hook = await startReceiver()
    const clock2 = new ManualClock(at(9, 30))
    const config = demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${hook.url}", secret: ${SECRET}, allowHttp: true, sites: [${ZJ}], kinds: [data_quality] }
`)
    const first = await startTestMinewatch({ clock: clock2, config, dataDir: dir.path })
    let firstClosed = false
    let second: typeof first | undefined
    try {
      const window = { id: 'dust05-maint', type: 'maintenance', site: ZJ, device: 'ZJ-DUST05', owner: '机修班 王工', reason: '更换采样头', weekly: [{ days: [WEEKDAY], from: '09:00', to: '10:00' }] }
      expect((await api(first, '/api/v1/schedules', OPERATOR, { method: 'POST', body: JSON.stringify(window), headers: { 'content-type': 'application/json' } })).status).toBe(201)
      // HJ 212 flag D (fault) while the sampling head is changed: a data_quality alert, suppressed
      await publishReadings(first, ZJ, 'dust', 'ZJ-DUST05', Array.from({ length: 5 }, (_, i) => ({ ts: at(9, 20 + i), seq: i, tsp: 200, flag: 'D' })))
      const flagAlert = async (m: typeof first) => ((await (await api(m, `/api/v1/alerts?site=${ZJ}&kind=data_quality&limit=50`)).json()) as { items: AlertRow[] }).items.find((a) => a.subject === 'ZJ-DUST05:flag')
      await waitFor(async () => (await flagAlert(first)) !== undefined, 10_000, 'flag alert')
      await first.alerts.idle()
      const id = (await flagAlert(first))!.id
      await first.cleanup()
      firstClosed = true
      clock2.set(at(10, 1)) // the window ended while minewatch was stopped
      second = await startTestMinewatch({ clock: clock2, config, dataDir: dir.path })
      const list = await (await api(second, '/api/v1/schedules')).json() as { items: { id: string, createdBy: string }[] }
      expect(list.items.map((s) => [s.id, s.createdBy])).toEqual([['dust05-maint', '长兴矿调度室']])
      await second.alerts.tick()
      await waitFor(() => hook.deliveries.length > 0, 10_000, 'released delivery')
      await second.alerts.idle()
      const sent = hook.deliveries.map((d) => JSON.parse(d.body) as Event).filter((e) => e.alert.id === id)
      expect(sent.map((e) => [e.event, e.transition.reason])).toEqual([['alert.firing', 'suppression_ended:dust05-maint']])
    } finally {
      if (!firstClosed) await first.cleanup()
      await second?.cleanup()
      await hook.close()
      dir.remove()
    }
  })
})
