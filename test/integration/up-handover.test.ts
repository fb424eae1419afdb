/**
 * Issue 16 point 3 (duty rosters and shift handover, 交接班) through `minewatch up`: readings over
 * MQTT, acknowledgements over the HTTP API by a person on duty and one who is not, and at the
 * 16:00 shift change the handover report (GET /api/v1/sites/{site}/handover) matches a report
 * built here by hand from what was done; the incoming shift's channel (a local webhook receiver)
 * gets it once; after a restart across the midnight change the night shift gets its own, once.
 * Time is a manual clock the engine's ticks read (yesterday in Beijing).
 */
import { describe, it, expect, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, BEIJING_OFFSET_MS, DAY, HOUR, MINUTE, SECOND } from '../../core/time.js'
import { WEEKDAYS } from '../../core/schedules.js'
import type { HandoverAlert, HandoverReport } from '../../core/rosters.js'
import { zjRosterYaml } from '../helpers/site-yaml.js'

const ZJ = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'
const OPERATOR = 'demo-operator-zj-token' // 长兴矿调度室 → 张三 (P001), 白班
const ADMIN = 'demo-admin-token-0001' // admin → 李四 (P003), 中班

const DAY0 = beijingDayStart(Date.now()) - DAY
const at = (hh: number, mm = 0) => DAY0 + hh * HOUR + mm * MINUTE
const WEEKDAY = WEEKDAYS[(new Date(DAY0 + BEIJING_OFFSET_MS).getUTCDay() + 6) % 7]!

const receivers: Receiver[] = []
const dir = tempDir('minewatch-handover-')
afterAll(async () => {
  for (const r of receivers) await r.close()
  dir.remove()
})

/** [kind, subject, state, severity, tier, ackedBy, window] of each alert of a list, sorted (the report orders by firing time). */
type Row = [string, string, string, string, number, string | null, string | null]
const rows = (items: readonly HandoverAlert[]): Row[] => items.map((a): Row => [a.kind, a.subject, a.state, a.severity, a.tier, a.ackedBy, a.window]).sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`))

describe('issue 16 point 3: duty rosters and shift handover through minewatch up', () => {
  it('acknowledgements record the roster person; at the shift change the report matches the hand-built one and reaches the incoming shift once, also across a restart', async () => {
    const [controlRoom, officer, dayGroup, swingGroup, nightGroup] = [await startReceiver(), await startReceiver(), await startReceiver(), await startReceiver(), await startReceiver()]
    receivers.push(controlRoom, officer, dayGroup, swingGroup, nightGroup)
    const hook = (id: string, r: Receiver, extra = '') => `    - { id: ${id}, type: webhook, url: "${r.url}", secret: ${SECRET}, allowHttp: true${extra} }`
    const config = demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
${hook('control-room', controlRoom, `, sites: [${ZJ}], kinds: [dust_exceedance]`)}
${hook('safety-officer', officer, ', escalationOnly: true')}
${hook('day-group', dayGroup, ', escalationOnly: true')}
${hook('swing-group', swingGroup, ', escalationOnly: true')}
${hook('night-group', nightGroup, ', escalationOnly: true')}
  escalation:
    - id: zj-alarms
      sites: [${ZJ}]
      severity: alarm
      tiers:
        - { name: 调度室, receivers: [control-room] }
        - { name: 矿山安全员, afterS: 1800, receivers: [safety-officer] }
  schedules:
    - { id: dust06-maint, type: maintenance, site: ${ZJ}, device: ZJ-DUST06, owner: 机修班 张工, reason: 更换采样头, weekly: [{ days: [${WEEKDAY}], from: '09:00', to: '17:00' }] }
${zjRosterYaml({ day: 'day-group', swing: 'swing-group', night: 'night-group' })}`)
    const clock = new ManualClock(at(10))
    let mw = await startTestMinewatch({ clock, config, dataDir: dir.path })
    const tickAt = async (t: number) => {
      clock.set(t)
      await mw.alerts.idle(); await mw.alerts.tick(); await mw.alerts.idle()
    }
    const alertOf = async (kind: string, subject: string) => ((await (await api(mw, `/api/v1/alerts?site=${ZJ}&kind=${kind}&limit=500`)).json()) as { items: Array<{ id: string, subject: string }> }).items.find((a) => a.subject === subject)
    try {
      // the day shift's alerts: a haul-road dust alarm since 06:49 (before the day shift), two boundary ones
      // from 09:49, and a monitor in its maintenance window sending flag D (fault)
      const minute = (from: number, n: number, v: Record<string, unknown>) => Array.from({ length: n }, (_, i) => ({ ts: from + i * MINUTE, seq: i, flag: 'N', ...v }))
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST03', minute(at(6), 60, { tsp: 1500 }))
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', minute(at(9), 60, { tsp: 1500 }))
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', minute(at(9), 60, { tsp: 1.5 }))
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST06', minute(at(9, 20), 5, { tsp: 200, flag: 'D' }))
      await waitFor(async () => (await alertOf('dust_exceedance', 'ZJ-DUST05:tsp:3600')) !== undefined && (await alertOf('data_quality', 'ZJ-DUST06:flag')) !== undefined && (await alertOf('dust_exceedance', 'ZJ-DUST03:tsp:3600')) !== undefined, 10_000, 'the day shift alerts')
      await mw.alerts.idle()

      // 10:05: 张三 (on duty) acknowledges one boundary alarm; 李四 (中班, not on duty) the suppressed flag alert
      clock.set(at(10, 5))
      const ack = async (id: string, token: string) => await api(mw, `/api/v1/alerts/${id}/ack`, token, { method: 'POST', body: JSON.stringify({ note: '已处理' }), headers: { 'content-type': 'application/json' } })
      const acked = await ack((await alertOf('dust_exceedance', 'ZJ-DUST05:tsp:3600'))!.id, OPERATOR)
      expect(acked.status).toBe(200)
      expect(await acked.json()).toMatchObject({ state: 'acknowledged', ackedBy: '张三(P001)' })
      const offDuty = await ack((await alertOf('data_quality', 'ZJ-DUST06:flag'))!.id, ADMIN)
      expect(await offDuty.json()).toMatchObject({ state: 'acknowledged', ackedBy: '李四(P003,非当班)' })

      await tickAt(at(10, 30)) // the unacknowledged alarms are escalated (1800 s)
      await tickAt(at(15, 59))
      expect([dayGroup, swingGroup, nightGroup].map((r) => r.deliveries.length)).toEqual([0, 0, 0]) // minewatch started inside the day shift
      await tickAt(at(16))
      await waitFor(() => swingGroup.deliveries.length === 1, 10_000, 'handover to the swing shift')

      // the report, built by hand: nothing reports after 10:00, so every device of the site is offline by 16:00
      const devices = mw.registry.site(ZJ)!.devices.filter((d) => d.disabled !== true).map((d) => d.id)
      const offline = (d: string): Row => ['device_offline', d, 'firing', 'warning', 1, null, d === 'ZJ-DUST06' ? 'dust06-maint' : null]
      const A0: Row = ['dust_exceedance', 'ZJ-DUST03:tsp:3600', 'firing', 'alarm', 2, null, null]
      const A1: Row = ['dust_exceedance', 'ZJ-DUST04:tsp:3600', 'firing', 'alarm', 2, null, null]
      const A2: Row = ['dust_exceedance', 'ZJ-DUST05:tsp:3600', 'acknowledged', 'alarm', 1, '张三(P001)', null]
      const DQ6: Row = ['data_quality', 'ZJ-DUST06:flag', 'acknowledged', 'warning', 1, '李四(P003,非当班)', 'dust06-maint']
      const sort = (x: Row[]) => x.sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`))
      const expected = {
        site: ZJ,
        siteName: '湖州长兴某建筑石料矿',
        at: at(16),
        shift: { id: 'swing', name: '中班', from: '16:00', to: '24:00', startsAt: at(16), onDuty: [{ id: 'P003', name: '李四' }] },
        previous: { id: 'day', name: '白班', from: '08:00', to: '16:00', startsAt: at(8), onDuty: [{ id: 'P001', name: '张三' }, { id: 'P002', name: '王五' }] },
        open: sort([A0, A1, ...devices.filter((d) => d !== 'ZJ-DUST06').map(offline)]),
        acknowledged: sort([A2, DQ6]),
        escalated: sort([A0, A1]),
        overdue: [A0], // unacknowledged since before the day shift began (08:00)
        suppressed: sort([DQ6, offline('ZJ-DUST06')]),
        offline: [...devices].sort()
      }
      const res = await api(mw, `/api/v1/sites/${ZJ}/handover?at=${at(16)}`, OPERATOR)
      expect(res.status).toBe(200)
      const report = await res.json() as HandoverReport
      const got = { ...report, open: rows(report.open), acknowledged: rows(report.acknowledged), escalated: rows(report.escalated), overdue: rows(report.overdue), suppressed: rows(report.suppressed), offline: report.offline.map((o) => o.device).sort() }
      expect(got).toEqual(expected)
      expect(report.open.map((a) => a.firedAt)).toEqual([...report.open.map((a) => a.firedAt)].sort((x, y) => x - y))
      expect(report.overdue[0]!.message).toContain('ZJ-DUST03')

      // the message to the incoming shift: the same report, signed as any delivery
      const sent = JSON.parse(swingGroup.deliveries[0]!.body) as { event: string, text: string, handover: HandoverReport }
      expect(sent.event).toBe('handover')
      expect(sent.handover).toEqual(report)
      const lines = sent.text.split('\n')
      const day = new Date(DAY0 + BEIJING_OFFSET_MS).toISOString().slice(0, 10)
      expect(lines.slice(0, 3)).toEqual([
        `【交接班】湖州长兴某建筑石料矿 中班(16:00–24:00)接班 · ${day} 16:00(北京时间)`,
        '接班: 李四(P003);交班: 白班 张三(P001)、王五(P002)',
        `未确认 ${expected.open.length} · 已确认 2 · 已升级 2 · 超过一个班次未确认 1 · 维护屏蔽 2 · 离线设备 ${devices.length}`
      ])
      expect(lines.find((l) => l.includes('ZJ-DUST05:tsp'))).toMatch(/^- 【报警】扬尘超标 ZJ-DUST05:tsp:3600 · \d{4}-\d\d-\d\d 09:\d\d · 已由 张三\(P001\) 确认$/)
      expect(lines.find((l) => l.includes('ZJ-DUST03:tsp'))).toMatch(/^- 【报警】扬尘超标 ZJ-DUST03:tsp:3600 · \d{4}-\d\d-\d\d 06:\d\d · 已升级至第 2 级$/)

      // bad input
      expect((await api(mw, `/api/v1/sites/${ZJ}/handover?at=yesterday`, OPERATOR)).status).toBe(400)
      expect((await api(mw, '/api/v1/sites/gs-baiyin-cuzn/handover', OPERATOR)).status).toBe(404) // a site the token cannot see is not there for it

      // restart: the 16:00 handover is not sent again; minewatch is stopped over midnight, the night shift gets its own at the first tick
      await mw.cleanup()
      clock.set(at(24, 0) + 10 * SECOND)
      mw = await startTestMinewatch({ clock, config, dataDir: dir.path })
      await tickAt(at(24, 0) + 11 * SECOND)
      await waitFor(() => nightGroup.deliveries.length === 1, 10_000, 'handover to the night shift')
      await tickAt(at(24, 1))
      await mw.alerts.idle()
      expect([dayGroup, swingGroup, nightGroup].map((r) => r.deliveries.length)).toEqual([0, 1, 1])
      const night = JSON.parse(nightGroup.deliveries[0]!.body) as { handover: HandoverReport }
      expect(night.handover.shift).toMatchObject({ id: 'night', startsAt: at(24) })
      const audit = await (await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)).json() as { items: Array<{ action: string, detail: { shift?: string, startsAt?: number } }> }
      expect(audit.items.filter((r) => r.action === 'handover.sent').map((r) => [r.detail.shift, r.detail.startsAt])).toEqual([['swing', at(16)], ['night', at(24)]])
    } finally {
      await mw.cleanup()
    }
  })

  it('rosters through the API: validated, only operators and admins of the site, audit-logged, applied to acknowledgements at once, rebuilt after a restart', async () => {
    const group = await startReceiver()
    receivers.push(group)
    const apiDir = tempDir('minewatch-rosters-')
    const config = demoConfig(`alerts:
  subscriptions:
    - { id: shift-group, type: webhook, url: "${group.url}", secret: ${SECRET}, allowHttp: true, escalationOnly: true }
`)
    const clock = new ManualClock(at(10))
    let mw = await startTestMinewatch({ clock, config, dataDir: apiDir.path })
    const put = async (body: unknown, token: string, site = ZJ) => await api(mw, `/api/v1/rosters/${site}`, token, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    const roster = {
      people: [{ id: 'P001', name: '张三', user: '长兴矿调度室' }, { id: 'P003', name: '李四', user: 'admin' }],
      shifts: [
        { id: 'day', name: '白班', from: '08:00', to: '20:00', onDuty: ['P001'], channel: 'shift-group' },
        { id: 'night', name: '夜班', from: '20:00', to: '08:00', onDuty: ['P003'], channel: 'shift-group' }
      ]
    }
    try {
      expect((await put(roster, 'demo-regulator-zj-token')).status).toBe(403)
      expect((await put(roster, 'demo-operator-gs-token')).status).toBe(404)
      const bad = await put({ ...roster, shifts: [{ ...roster.shifts[0]!, channel: 'nobody' }] }, OPERATOR)
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { message: string }).message).toContain("shifts.0.channel: 'nobody' is not a subscription id")
      const made = await put(roster, OPERATOR)
      expect(made.status).toBe(200)
      expect(await made.json()).toMatchObject({ site: ZJ, source: 'api', setBy: '长兴矿调度室', setAt: at(10) })

      // applied at once: an acknowledgement by 张三's token during the day shift records 张三
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', Array.from({ length: 60 }, (_, i) => ({ ts: at(9, i), seq: i, tsp: 1500, flag: 'N' })))
      const dustAlert = async () => ((await (await api(mw, `/api/v1/alerts?site=${ZJ}&kind=dust_exceedance&limit=50`)).json()) as { items: Array<{ id: string }> }).items[0]
      await waitFor(async () => (await dustAlert()) !== undefined, 10_000, 'dust alarm')
      const ack = await api(mw, `/api/v1/alerts/${(await dustAlert())!.id}/ack`, OPERATOR, { method: 'POST' })
      expect(await ack.json()).toMatchObject({ ackedBy: '张三(P001)' })
      const audit = await (await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)).json() as { items: Array<{ action: string, actor: string, target: string }> }
      expect(audit.items.filter((r) => r.action.startsWith('roster.')).map((r) => [r.action, r.actor, r.target])).toEqual([['roster.set', '长兴矿调度室', ZJ]])

      // rebuilt from the audit log after a restart; the 20:00 change is handed over to its channel
      await mw.cleanup()
      mw = await startTestMinewatch({ clock, config, dataDir: apiDir.path })
      const list = await (await api(mw, '/api/v1/rosters', OPERATOR)).json() as { items: Array<{ site: string, source: string, setBy: string }> }
      expect(list.items.map((r) => [r.site, r.source, r.setBy])).toEqual([[ZJ, 'api', '长兴矿调度室']])
      expect((await (await api(mw, '/api/v1/rosters', 'demo-operator-gs-token')).json() as { items: unknown[] }).items).toEqual([])
      clock.set(at(20))
      await mw.alerts.idle(); await mw.alerts.tick(); await mw.alerts.idle()
      await waitFor(() => group.deliveries.length === 1, 10_000, 'handover at 20:00')
      expect((JSON.parse(group.deliveries[0]!.body) as { handover: HandoverReport }).handover.shift).toMatchObject({ id: 'night', onDuty: [{ id: 'P003', name: '李四' }] })

      expect((await api(mw, `/api/v1/rosters/${ZJ}`, OPERATOR, { method: 'DELETE' })).status).toBe(204)
      expect((await (await api(mw, '/api/v1/rosters')).json() as { items: unknown[] }).items).toEqual([])
      expect((await api(mw, `/api/v1/rosters/${ZJ}`, OPERATOR, { method: 'DELETE' })).status).toBe(404)
    } finally {
      await mw.cleanup()
      apiDir.remove()
    }
  })
})
