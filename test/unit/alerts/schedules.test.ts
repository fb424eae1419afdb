import { describe, it, expect, afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeConfig, startRig, dust, fix, T0, type Rig } from './fixture.js'
import { ManualClock } from '../../../core/clock.js'
import { isMinewatchError } from '../../../core/errors.js'
import { MINUTE, SECOND, HOUR } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'
import type { Schedule } from '../../../core/schedules.js'
import type { AlertEvent } from '../../../alerts/index.js'
import { isEvidenceTransition } from '../../../core/alerts.js'

let rig: Rig | undefined
let dir: string | undefined
afterEach(async () => {
  await rig?.close(); rig = undefined
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined
})

function minutes (from: number, n: number, f: (i: number, ts: number) => Reading): Reading[] {
  return Array.from({ length: n }, (_, i) => f(i, from + i * MINUTE))
}

// T0 is Saturday 2025-03-01 08:00 Beijing
const MAINT: Schedule = { id: 'dust-maint', type: 'maintenance', site: 'site-a', device: 'D1', owner: '机修班 张工', reason: '扬尘仪校准', weekly: [{ days: ['sat'], from: '08:00', to: '10:00' }] }
const BLAST: Schedule = { id: 'noon-blast', type: 'blasting', site: 'site-a', zone: 'blast-1', owner: '爆破队 李工', reason: '中午爆破', weekly: [{ days: ['sat'], from: '08:00', to: '09:00' }] }

/** A person's fix `eastM` metres east of the site centre. */
function person (ts: number, eastM: number, id = 'P-001'): Reading {
  const r = fix(ts, eastM, id)
  return { ...r, values: { ...r.values, entity: 'person' } }
}

describe('schedules in the alert engine', () => {
  it('an alert inside a maintenance window is stored as suppressed, not delivered; delivered when the window ends and it still holds', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }], { schedules: [MAINT] }))
    await rig.engine.evaluate(minutes(T0, 90, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    const [a] = (await rig.state.alerts.open()).filter((x) => x.kind === 'dust_exceedance')
    expect(a).toBeDefined()
    const history = await rig.state.alerts.history(a!.id)
    expect(history[0]!.reason).toBe('suppressed:dust-maint:avg_above_limit_for_hold')
    expect(history[0]!.message).toContain('处于维护时段 dust-maint 内,已记录、暂不推送')
    expect(rig.published.filter((p) => p.topic.startsWith('alerts/site-a/dust_exceedance'))).toEqual([])
    expect(await rig.state.outbox.pending()).toBe(0)
    // the audit log has the suppression with its window
    const audit = await rig.state.audit.list({ target: a!.id, limit: 10 })
    expect(audit[0]!.detail.reason).toBe('suppressed:dust-maint:avg_above_limit_for_hold')
    // still inside the window: nothing happens on a tick
    rig.clock.set(T0 + 119 * MINUTE)
    await rig.engine.tick(); await rig.engine.idle()
    expect(rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance')).toEqual([])
    // window over (10:00 Beijing), the dust still high: delivered now
    rig.clock.set(T0 + 2 * HOUR)
    await rig.engine.tick(); await rig.engine.idle()
    const sent = rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance').map((p) => JSON.parse(p.payload) as AlertEvent)
    expect(sent.map((e) => [e.event, e.transition.reason])).toEqual([['alert.firing', 'suppression_ended:dust-maint']])
    expect(sent[0]!.text).toContain('维护时段 dust-maint 已结束,告警仍未解除,现推送')
    expect(sent[0]!.text).toContain('GB 16297-1996')
    // later transitions are delivered as usual
    await rig.engine.evaluate(minutes(T0 + 2 * HOUR, 60, (_, ts) => dust(ts, 0.1)))
    await rig.engine.idle()
    expect(rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance').map((p) => (JSON.parse(p.payload) as AlertEvent).event)).toEqual(['alert.firing', 'alert.resolved'])
  })

  it('an alert that clears inside its window is never delivered, but both transitions are stored', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }], { schedules: [MAINT] }))
    await rig.engine.evaluate(minutes(T0, 119, (i, ts) => dust(ts, i < 60 ? 1.8 : 0)))
    rig.clock.set(T0 + 3 * HOUR)
    await rig.engine.tick(); await rig.engine.idle()
    const page = await rig.state.alerts.list({ kind: 'dust_exceedance', limit: 10 })
    expect(page.items.map((x) => x.state)).toEqual(['resolved'])
    expect((await rig.state.alerts.history(page.items[0]!.id)).map((t) => t.to)).toEqual(['firing', 'resolved'])
    expect(rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance')).toEqual([])
  })

  it('a window covers only its device: another alert of the site is delivered at once', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }], { schedules: [MAINT] }))
    await rig.engine.evaluate(Array.from({ length: 4 }, (_, i) => fix(T0 + i * 5 * SECOND, 700)))
    await rig.engine.idle()
    expect(rig.published.map((p) => p.topic)).toContain('alerts/site-a/boundary_breach')
  })

  it('suppression survives a restart (derived from the stored transitions) and is released after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-sched-'))
    const config = makeConfig([{ id: 'bus', type: 'mqtt' }], { schedules: [MAINT] })
    const clock = new ManualClock(T0)
    rig = await startRig(config, { dir, clock })
    await rig.feed(minutes(T0, 90, (_, ts) => dust(ts, 1.8)))
    await rig.engine.idle()
    await rig.close()
    clock.set(T0 + 2 * HOUR + MINUTE)
    rig = await startRig(config, { dir, clock })
    // the first tick after the restart releases it (the window ended while stopped)
    await rig.engine.tick(); await rig.engine.idle()
    const sent = rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance').map((p) => JSON.parse(p.payload) as AlertEvent)
    expect(sent.map((e) => e.transition.reason)).toEqual(['suppression_ended:dust-maint'])
  })

  it('API schedules: create (validated, duplicate refused), audit-logged, survive a restart, delete (config ones refused)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-sched-'))
    const config = makeConfig([], { schedules: [BLAST] })
    rig = await startRig(config, { dir })
    await expect(rig.engine.createSchedule({ ...MAINT, device: 'NOPE' }, 'ops')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_BAD_REQUEST') && /'NOPE' is not a device of site 'site-a'/.test((e as Error).message))
    await expect(rig.engine.createSchedule({ ...MAINT, id: 'noon-blast' }, 'ops')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_CONFLICT'))
    const made = await rig.engine.createSchedule(MAINT, 'ops')
    expect(made).toMatchObject({ id: 'dust-maint', source: 'api', createdBy: 'ops' })
    expect(rig.engine.schedules().map((s) => [s.id, s.source])).toEqual([['noon-blast', 'config'], ['dust-maint', 'api']])
    await rig.close()
    rig = await startRig(config, { dir })
    expect(rig.engine.schedules().map((s) => s.id)).toEqual(['noon-blast', 'dust-maint'])
    await expect(rig.engine.deleteSchedule('noon-blast', 'ops')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_CONFLICT'))
    await expect(rig.engine.deleteSchedule('nope', 'ops')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_NOT_FOUND'))
    await rig.engine.deleteSchedule('dust-maint', 'ops2')
    const audit = await rig.state.audit.list({ target: 'dust-maint', limit: 10 })
    expect(audit.map((r) => [r.action, r.actor])).toEqual([['schedule.create', 'ops'], ['schedule.delete', 'ops2']])
    await rig.close()
    rig = await startRig(config, { dir })
    expect(rig.engine.schedules().map((s) => s.id)).toEqual(['noon-blast'])
  })

  it('blasting window: a person inside the zone during it is an alarm; a vehicle is not; outside the window nothing', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }], { schedules: [BLAST] }))
    const t = (i: number) => T0 + i * 5 * SECOND
    await rig.engine.evaluate([person(t(0), 0), person(t(1), 0), person(t(2), 0), fix(t(0), 0, 'TRK-1'), fix(t(1), 0, 'TRK-1'), fix(t(2), 0, 'TRK-1')])
    await rig.engine.idle()
    const blasting = (await rig.state.alerts.open()).filter((a) => a.kind === 'blasting_zone_entry')
    expect(blasting.map((a) => [a.subject, a.severity, a.device])).toEqual([['blast-1:P-001', 'alarm', 'LOC1']])
    expect(blasting[0]!.message).toContain('爆破时段内 P-001 在警戒区 爆破警戒区(blast-1) 内,须立即撤离')
    expect(blasting[0]!.standard).toBe('GB 6722-2014 爆破安全规程(爆破警戒)')
    // the window ends at 09:00 Beijing: the next fix resolves it
    await rig.engine.evaluate([person(T0 + HOUR, 0)])
    const history = await rig.state.alerts.history(blasting[0]!.id)
    // (the locator's hour of silence marks the evidence missing and back: no_data, data_back, state unchanged)
    expect(history.filter((h) => !isEvidenceTransition(h)).map((h) => [h.to, h.reason])).toEqual([['firing', 'inside_blasting_zone'], ['resolved', 'blasting_window_ended']])
    // after the window a person inside raises no blasting alarm
    await rig.engine.evaluate([1, 2, 3, 4].map((i) => person(T0 + HOUR + i * 5 * SECOND, 0, 'P-002')))
    expect((await rig.state.alerts.open()).filter((a) => a.kind === 'blasting_zone_entry')).toEqual([])
  })
})
