/**
 * Issue 16 point 2 (escalation) through `minewatch up`: a dust alarm from readings over MQTT that
 * nobody acknowledges is escalated on time to tier 2 and then tier 3 (each tier a local webhook
 * receiver), with a restart of minewatch in between (same data dir); the acknowledgement over the
 * HTTP API stops it. Time is a manual clock that the engine's ticks read.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY, HOUR, MINUTE, SECOND } from '../../core/time.js'
import { webhookSignature } from '../../alerts/index.js'

const ZJ = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'
const OPERATOR = 'demo-operator-zj-token' // 长兴矿调度室

/** Yesterday 00:00 Beijing; the clock starts at 10:00 that day. */
const DAY0 = beijingDayStart(Date.now()) - DAY
const at = (hh: number, mm = 0) => DAY0 + hh * HOUR + mm * MINUTE

interface Event { subscription: string, event: string, alert: { id: string, kind: string, subject: string, state: string }, transition: { from: string | null, to: string, reason: string, at: number, message: string } }

const receivers: Receiver[] = []
const dir = tempDir('minewatch-escal-')
afterAll(async () => {
  for (const r of receivers) await r.close()
  dir.remove()
})

describe('issue 16 point 2: escalation through minewatch up', () => {
  it('an unacknowledged alarm escalates on time to tier 2, then (after a restart) to tier 3, and stops when acknowledged', async () => {
    const [lead, officer, regulator] = [await startReceiver(), await startReceiver(), await startReceiver()]
    receivers.push(lead, officer, regulator)
    const hook = (id: string, r: Receiver, extra = '') => `    - { id: ${id}, type: webhook, url: "${r.url}", secret: ${SECRET}, allowHttp: true${extra} }`
    const config = demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
${hook('shift-lead', lead, `, sites: [${ZJ}], kinds: [dust_exceedance]`)}
${hook('safety-officer', officer, ', escalationOnly: true')}
${hook('regulator', regulator, ', escalationOnly: true')}
  escalation:
    - id: zj-alarms
      sites: [${ZJ}]
      severity: alarm
      repeatS: 1200
      tiers:
        - { name: 当班班长, receivers: [shift-lead] }
        - { name: 矿山安全员, afterS: 1800, receivers: [safety-officer] }
        - { name: 湖州市生态环境局, afterS: 3600, receivers: [regulator] }
`)
    const clock = new ManualClock(at(10))
    const events = (r: Receiver) => r.deliveries.map((d) => JSON.parse(d.body) as Event)
    const steps = (r: Receiver, id: string) => events(r).filter((e) => e.alert.id === id).map((e) => [e.event, e.transition.reason])
    let mw = await startTestMinewatch({ clock, config, dataDir: dir.path })
    const tickAt = async (t: number) => {
      clock.set(t)
      await mw.alerts.idle(); await mw.alerts.tick(); await mw.alerts.idle()
    }
    try {
      // 1.5 mg/m³ at a boundary monitor from 09:00 to 10:00: above GB 16297-1996's 1.0 (config/demo.yaml)
      await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', Array.from({ length: 60 }, (_, i) => ({ ts: at(9, i), seq: i, tsp: 1500, flag: 'N' })))
      await waitFor(() => events(lead).some((e) => e.alert.kind === 'dust_exceedance'), 10_000, 'the alarm at tier 1')
      const first = events(lead).find((e) => e.alert.kind === 'dust_exceedance')!
      const id = first.alert.id
      const F = first.transition.at
      expect(first).toMatchObject({ event: 'alert.firing', alert: { subject: 'ZJ-DUST04:tsp:3600', state: 'firing' } })

      // repeatS after the firing, a reminder to tier 1; tier 2 is due 1800 s after the firing: not a second earlier
      await tickAt(F + 1200 * SECOND)
      await waitFor(() => steps(lead, id).length === 2, 10_000, 'reminder to tier 1')
      await tickAt(F + 1799 * SECOND)
      expect(officer.deliveries).toEqual([])
      await tickAt(F + 1800 * SECOND)
      await waitFor(() => officer.deliveries.length === 1, 10_000, 'tier 2')
      const t2 = events(officer)[0]!
      expect(t2).toMatchObject({ subscription: 'safety-officer', event: 'alert.escalated', alert: { id, state: 'firing' }, transition: { from: 'firing', to: 'firing', reason: 'escalated:tier2', at: F + 1800 * SECOND } })
      expect(t2.transition.message).toMatch(/^【升级】扬尘超标 · .*GB 16297-1996.*。告警未确认,已升级至第 2 级:矿山安全员$/)
      // a receiver verifies it as any delivery
      const d = officer.deliveries[0]!
      const t = /t=(\d+)/.exec(String(d.headers['x-minewatch-signature']))![1]!
      expect(d.headers['x-minewatch-signature']).toBe(webhookSignature(SECRET, d.body, Number(t)))
      await waitFor(() => steps(lead, id).length === 3, 10_000, 'tier 1 re-notified')
      expect(regulator.deliveries).toEqual([])

      // restart: the steps already taken are not sent again
      await mw.cleanup()
      mw = await startTestMinewatch({ clock, config, dataDir: dir.path })
      await tickAt(F + 2999 * SECOND)
      // reminder at the tier reached, repeatS after the last step; then tier 3 at 3600 s
      await tickAt(F + 3000 * SECOND)
      await waitFor(() => officer.deliveries.length === 2, 10_000, 'reminder')
      await tickAt(F + 3599 * SECOND)
      expect(regulator.deliveries).toEqual([])
      await tickAt(F + 3600 * SECOND)
      await waitFor(() => regulator.deliveries.length === 1 && officer.deliveries.length === 3 && steps(lead, id).length === 5, 10_000, 'tier 3')
      expect(events(regulator)[0]!.transition.message).toContain('。告警未确认,已升级至第 3 级:湖州市生态环境局')

      // the acknowledgement (over the API) stops it; every tier reached hears it
      const ack = await api(mw, `/api/v1/alerts/${id}/ack`, OPERATOR, { method: 'POST', body: JSON.stringify({ note: '已启动喷淋' }), headers: { 'content-type': 'application/json' } })
      expect(ack.status).toBe(200)
      await waitFor(() => regulator.deliveries.length === 2 && officer.deliveries.length === 4 && steps(lead, id).length === 6, 10_000, 'acknowledgement delivered')
      for (const m of [5, 30, 120]) await tickAt(F + 3600 * SECOND + m * MINUTE)
      await mw.alerts.idle()

      expect(steps(lead, id)).toEqual([['alert.firing', 'avg_above_limit_for_hold'], ['alert.reminder', 'reminder:tier1:1'], ['alert.escalated', 'escalated:tier2'], ['alert.reminder', 'reminder:tier2:1'], ['alert.escalated', 'escalated:tier3'], ['alert.acknowledged', 'acknowledged']])
      expect(steps(officer, id)).toEqual([['alert.escalated', 'escalated:tier2'], ['alert.reminder', 'reminder:tier2:1'], ['alert.escalated', 'escalated:tier3'], ['alert.acknowledged', 'acknowledged']])
      expect(steps(regulator, id)).toEqual([['alert.escalated', 'escalated:tier3'], ['alert.acknowledged', 'acknowledged']])
      // each step once: no delivery id twice at any receiver
      for (const r of [lead, officer, regulator]) expect(new Set(r.deliveries.map((x) => x.headers['x-minewatch-delivery'])).size).toBe(r.deliveries.length)
      // the stored history and the audit log hold every step with its time
      const detail = await (await api(mw, `/api/v1/alerts/${id}`)).json() as { history: Event['transition'][] }
      expect(detail.history.filter((h) => h.reason !== 'no_data' && h.reason !== 'data_back').map((h) => [h.reason, h.at - F])).toEqual([
        ['avg_above_limit_for_hold', 0], ['reminder:tier1:1', 1200_000], ['escalated:tier2', 1800_000], ['reminder:tier2:1', 3000_000], ['escalated:tier3', 3600_000], ['acknowledged', 3600_000]
      ])
      const audit = await (await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)).json() as { items: { target: string, actor: string, detail: { reason?: string } }[] }
      expect(audit.items.filter((r) => r.target === id && r.detail.reason !== 'no_data').map((r) => [r.detail.reason, r.actor])).toEqual([
        ['avg_above_limit_for_hold', 'system'], ['reminder:tier1:1', 'system'], ['escalated:tier2', 'system'], ['reminder:tier2:1', 'system'], ['escalated:tier3', 'system'], ['acknowledged', '长兴矿调度室']
      ])
    } finally {
      await mw.cleanup()
    }
  })
})
