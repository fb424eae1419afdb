import { describe, it, expect, afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeConfig, startRig, dust, minutes, T0, type Rig } from './fixture.js'
import { ManualClock } from '../../../core/clock.js'
import { MINUTE, SECOND, HOUR } from '../../../core/time.js'
import type { AlertEvent } from '../../../alerts/index.js'
import type { EscalationPolicy } from '../../../core/escalation.js'
import { isEvidenceTransition } from '../../../core/alerts.js'

let rig: Rig | undefined
let dir: string | undefined
afterEach(async () => {
  await rig?.close(); rig = undefined
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined
})

const SUBS = [
  { id: 'lead', type: 'mqtt' as const, kinds: ['dust_exceedance'] },
  { id: 'officer', type: 'mqtt' as const, escalationOnly: true },
  { id: 'regulator', type: 'mqtt' as const, escalationOnly: true, language: 'en' as const }
]
const POLICY: EscalationPolicy = {
  id: 'alarm-policy', sites: ['site-a'], severity: 'alarm', kinds: '*', repeatS: 300,
  tiers: [
    { name: '当班班长', afterS: 0, receivers: ['lead'] },
    { name: '矿山安全员', afterS: 600, receivers: ['officer'] },
    { name: '监管部门', afterS: 1800, receivers: ['regulator'] }
  ]
}

function sent (r: Rig): AlertEvent[] {
  return r.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance').map((p) => JSON.parse(p.payload) as AlertEvent)
}
/** [subscription, event, reason] of every delivery, in order. */
const rows = (r: Rig) => sent(r).map((e) => [e.subscription, e.event, e.transition.reason])

async function tickAt (r: Rig, t: number): Promise<void> {
  r.clock.set(t)
  await r.engine.tick(); await r.engine.idle()
}

describe('escalation in the alert engine', () => {
  it('an unacknowledged alarm is re-notified, escalated tier by tier, resumed after a restart without repeating or skipping a step, and stopped by the acknowledgement', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-escal-'))
    const config = makeConfig(SUBS, { escalation: [POLICY] })
    const clock = new ManualClock(T0)
    rig = await startRig(config, { dir, clock })
    await rig.engine.evaluate(minutes(T0, 60, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    const [a] = await rig.state.alerts.open()
    expect(a).toMatchObject({ kind: 'dust_exceedance', severity: 'alarm', state: 'firing' })
    const F = a!.firedAt
    expect(rows(rig)).toEqual([['lead', 'alert.firing', 'avg_above_limit_for_hold']])

    await tickAt(rig, F + 299 * SECOND)
    expect(sent(rig)).toHaveLength(1)
    await tickAt(rig, F + 300 * SECOND) // repeatS: a reminder to tier 1
    await tickAt(rig, F + 600 * SECOND) // tier 2's delay: escalated (no reminder at the same time)
    await tickAt(rig, F + 900 * SECOND) // a reminder to tiers 1 and 2
    expect(rows(rig).slice(1)).toEqual([
      ['lead', 'alert.reminder', 'reminder:tier1:1'],
      ['lead', 'alert.escalated', 'escalated:tier2'], ['officer', 'alert.escalated', 'escalated:tier2'],
      ['lead', 'alert.reminder', 'reminder:tier2:1'], ['officer', 'alert.reminder', 'reminder:tier2:1']
    ])
    const esc = sent(rig).find((e) => e.subscription === 'officer')!
    expect(esc.text).toBe('【升级】扬尘超标 · 测试矿山：扬尘监测 1(D1) TSP 小时均值 1.8 mg/m³,超过限值 1 mg/m³(GB 16297-1996)。告警未确认,已升级至第 2 级:矿山安全员')
    expect(sent(rig).find((e) => e.transition.reason === 'reminder:tier2:1')!.text).toContain('。告警仍未确认,第 2 级(矿山安全员)第 1 次提醒')

    // restart just after a step: nothing is sent again
    await rig.close()
    rig = await startRig(config, { dir, clock })
    await tickAt(rig, F + 1000 * SECOND)
    expect(rig.published).toEqual([])
    // stopped past tier 3's delay (1800 s): tier 3 at the first tick, then reminders from there
    await tickAt(rig, F + 2000 * SECOND)
    await tickAt(rig, F + 2299 * SECOND)
    await tickAt(rig, F + 2300 * SECOND)
    expect(rows(rig)).toEqual([
      ['lead', 'alert.escalated', 'escalated:tier3'], ['officer', 'alert.escalated', 'escalated:tier3'], ['regulator', 'alert.escalated', 'escalated:tier3'],
      ['lead', 'alert.reminder', 'reminder:tier3:1'], ['officer', 'alert.reminder', 'reminder:tier3:1'], ['regulator', 'alert.reminder', 'reminder:tier3:1']
    ])
    expect(sent(rig).find((e) => e.subscription === 'regulator')!.text).toMatch(/^\[ESCALATED\] dust exceedance · .*Not acknowledged: escalated to tier 3, 监管部门$/)

    // the acknowledgement stops it; every tier reached hears of it
    await rig.engine.ack(a!.id, '调度员 王', '已安排洒水')
    await rig.engine.idle()
    await tickAt(rig, F + 4 * HOUR)
    expect(rows(rig).slice(6)).toEqual([['lead', 'alert.acknowledged', 'acknowledged'], ['officer', 'alert.acknowledged', 'acknowledged'], ['regulator', 'alert.acknowledged', 'acknowledged']])
    const all = await rig.state.alerts.history(a!.id)
    const history = all.filter((t) => !isEvidenceTransition(t)) // the monitor went silent after the readings: no_data (not delivered)
    expect(history.map((t) => t.reason)).toEqual(['avg_above_limit_for_hold', 'reminder:tier1:1', 'escalated:tier2', 'reminder:tier2:1', 'escalated:tier3', 'reminder:tier3:1', 'acknowledged'])
    expect(history.slice(1, 6).every((t) => t.from === 'firing' && t.to === 'firing')).toBe(true)
    expect(history[4]!.at).toBe(F + 2000 * SECOND) // the clock's time of the step
    // every step is in the audit log
    const audit = await rig.state.audit.list({ target: a!.id, limit: 50 })
    expect(audit.map((r) => r.detail.reason)).toEqual(all.map((t) => t.reason))
  })

  it('an acknowledgement before the next tier stops it; alerts without a policy never escalate', async () => {
    const config = makeConfig(SUBS, { escalation: [POLICY] })
    rig = await startRig(config)
    await rig.engine.evaluate(minutes(T0, 60, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    const [a] = await rig.state.alerts.open()
    await rig.engine.ack(a!.id, '调度员 王', '')
    await tickAt(rig, a!.firedAt + 3 * HOUR)
    expect(rows(rig)).toEqual([['lead', 'alert.firing', 'avg_above_limit_for_hold'], ['lead', 'alert.acknowledged', 'acknowledged']])
    // a warning (data_quality flag alert) has no policy here: it is delivered to ordinary subscriptions only, never escalated
    await rig.engine.evaluate(minutes(T0 + 2 * HOUR, 5, (_, ts) => dust(ts, 0.1, { flag: 'D' })))
    await tickAt(rig, T0 + 10 * HOUR)
    expect((await rig.state.alerts.open()).some((x) => x.kind === 'data_quality' && x.severity === 'warning' && x.state === 'firing')).toBe(true)
    const steps = rig.published.map((p) => JSON.parse(p.payload) as AlertEvent).filter((e) => e.transition.reason.startsWith('escalated:tier') || e.transition.reason.startsWith('reminder:'))
    expect(steps).toEqual([])
  })

  it('a resolve before the next tier stops it (the tiers reached hear it)', async () => {
    rig = await startRig(makeConfig(SUBS, { escalation: [POLICY] }))
    await rig.engine.evaluate(minutes(T0, 60, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    const [a] = await rig.state.alerts.open()
    await tickAt(rig, a!.firedAt + 600 * SECOND)
    await rig.engine.evaluate(minutes(T0 + HOUR, 90, (_, ts) => dust(ts, 0.1)))
    await rig.engine.idle()
    await tickAt(rig, a!.firedAt + 5 * HOUR)
    expect(rows(rig)).toEqual([
      ['lead', 'alert.firing', 'avg_above_limit_for_hold'],
      ['lead', 'alert.escalated', 'escalated:tier2'], ['officer', 'alert.escalated', 'escalated:tier2'],
      ['lead', 'alert.resolved', 'avg_below_clear_level_for_clear_hold'], ['officer', 'alert.resolved', 'avg_below_clear_level_for_clear_hold']
    ])
  })

  it('a suppressed alert is not escalated; when its maintenance window ends it starts from tier 1', async () => {
    const MAINT = { id: 'dust-maint', type: 'maintenance' as const, site: 'site-a', device: 'D1', owner: '机修班 张工', reason: '扬尘仪校准', weekly: [{ days: ['sat' as const], from: '08:00', to: '10:00' }] }
    rig = await startRig(makeConfig(SUBS, { escalation: [POLICY], schedules: [MAINT] }))
    await rig.engine.evaluate(minutes(T0, 110, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    for (let m = 60; m < 120; m += 10) await tickAt(rig, T0 + m * MINUTE) // inside the window: nothing, although tier 2 and 3's delays pass
    expect(rig.published).toEqual([])
    await tickAt(rig, T0 + 2 * HOUR) // 10:00 Beijing: released, tier 1
    await tickAt(rig, T0 + 2 * HOUR + 600 * SECOND)
    // tier 2 counts from the release (no reminder in between: the tier is due first at +600 s)
    expect(rows(rig)).toEqual([['lead', 'alert.firing', 'suppression_ended:dust-maint'], ['lead', 'alert.escalated', 'escalated:tier2'], ['officer', 'alert.escalated', 'escalated:tier2']])
  })
})
