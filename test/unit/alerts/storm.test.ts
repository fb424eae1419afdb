/** Storm control (issue 16 point 5) in the alert engine: grouping, inhibition, restarts, config errors, group bodies. */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRig, T0, CENTER, type Rig } from './fixture.js'
import { configSchema, type Config, type ConfigInput } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { ManualClock } from '../../../core/clock.js'
import { MINUTE, SECOND } from '../../../core/time.js'
import { offsetM } from '../../../core/geo.js'
import type { Reading } from '../../../core/readings.js'
import type { Alert, AlertTransition } from '../../../core/alerts.js'
import { groupOfReason, inhibitorOfReason, parentProblems, ungroupedReason } from '../../../core/storm.js'
import { buildGroupPayload, type GroupEvent } from '../../../alerts/notify/group-payload.js'
import { WECOM_MAX_BYTES } from '../../../alerts/notify/payload.js'

let rig: Rig | undefined
let dir: string | undefined
afterEach(async () => {
  await rig?.close(); rig = undefined
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined
})

type Alerts = NonNullable<ConfigInput['alerts']>
type DeviceInput = Record<string, unknown> & { id: string }

const square = (half: number) => {
  const ring = [offsetM(CENTER, -half, -half), offsetM(CENTER, half, -half), offsetM(CENTER, half, half), offsetM(CENTER, -half, half)]
  return [[...ring, ring[0]!]]
}

/** site-a with a gateway GW1 (every 60 s) and what is given; an MQTT subscription `bus` gets everything. */
function stormConfig (devices: DeviceInput[], alerts: Partial<Alerts> = {}): ConfigInput {
  return {
    demo: true,
    sites: [{
      id: 'site-a', name: '测试矿山', province: '浙江省', licence: 'C330000TEST', scaleTPerYear: 1_200_000,
      boundary: { type: 'Polygon', coordinates: square(500) },
      devices: [{ id: 'GW1', kind: 'status', name: '网关', intervalS: 60, password: 'pw-GW1-secret' }, ...devices.map((d) => ({ kind: 'dust', unit: 'mg/m3', role: 'boundary', intervalS: 60, password: `pw-${d.id}-secret`, ...d }))] as never
    }],
    alerts: { subscriptions: [{ id: 'bus', type: 'mqtt' }], retry: { initialMs: 1000, maxMs: 8000 }, ...alerts }
  }
}
const parse = (c: ConfigInput): Config => configSchema.parse(c)
const children = ['C1', 'C2', 'C3'].map((id) => ({ id, parent: 'GW1' }))

const status = (device: string, ts: number): Reading => ({ site: 'site-a', device, kind: 'status', ts, values: { uptimeS: 1 } })
const dustOf = (device: string, ts: number, tsp: number): Reading => ({ site: 'site-a', device, kind: 'dust', ts, values: { tsp, flag: 'N' } })
/** One reading a minute of each device over [from, from + n min). */
function minutes (devices: readonly string[], from: number, n: number, tsp = 0.2): Reading[] {
  return Array.from({ length: n }, (_, i) => devices.map((d) => d.startsWith('GW') ? status(d, from + i * MINUTE) : dustOf(d, from + i * MINUTE, tsp))).flat()
}

interface Sent { topic: string, event: GroupEvent }
const sent = (r: Rig): Sent[] => r.published.map((p) => ({ topic: p.topic, event: JSON.parse(p.payload) as GroupEvent }))

async function tickAt (r: Rig, t: number): Promise<void> {
  r.clock.set(t)
  await r.engine.tick(); await r.engine.idle()
}

async function history (r: Rig, subject: string, kind = 'device_offline'): Promise<string[]> {
  const a = (await r.state.alerts.list({ kind: kind as Alert['kind'], limit: 100 })).items.find((x) => x.subject === subject)!
  return (await r.state.alerts.history(a.id)).map((t) => t.reason).filter((x) => x !== 'no_data' && x !== 'data_back')
}

describe('inhibition: a parent offline inhibits its children\'s offline alerts', () => {
  it('the gateway and its devices go silent: only the gateway is delivered, each child stored with grouped: then inhibited:', async () => {
    rig = await startRig(parse(stormConfig(children)))
    await rig.feed(minutes(['GW1', 'C1', 'C2', 'C3'], T0 - 10 * MINUTE, 11)) // last readings at T0
    await tickAt(rig, T0 + 3 * MINUTE + SECOND) // everyone past 180 s
    expect(sent(rig).map((s) => [s.event.event, s.event.alert.subject])).toEqual([['alert.firing', 'GW1']])
    await tickAt(rig, T0 + 4 * MINUTE) // the children's wait: last reading + 60 s + the gateway's 180 s
    await tickAt(rig, T0 + 10 * MINUTE)
    expect(sent(rig).map((s) => s.event.alert.subject)).toEqual(['GW1'])
    const gw = (await rig.state.alerts.open()).find((a) => a.subject === 'GW1')!
    for (const c of ['C1', 'C2', 'C3']) expect(await history(rig, c)).toEqual(['grouped:behind/GW1:no_reading_within_limit', `inhibited:${gw.id}`])
    expect(await rig.state.outbox.pending()).toBe(0)
  })

  it('a child that falls silent earlier than its gateway (shorter interval) waits for the gateway\'s check and is inhibited too', async () => {
    rig = await startRig(parse(stormConfig([{ id: 'FAST', parent: 'GW1', intervalS: 10 }])))
    await rig.feed([...minutes(['GW1'], T0 - 10 * MINUTE, 11), ...Array.from({ length: 61 }, (_, i) => dustOf('FAST', T0 - 10 * MINUTE + i * 10 * SECOND, 0.2))])
    await tickAt(rig, T0 + 31 * SECOND) // FAST is offline (30 s), the gateway not yet (180 s)
    expect(await history(rig, 'FAST')).toEqual(['grouped:behind/GW1:no_reading_within_limit'])
    await tickAt(rig, T0 + 3 * MINUTE) // not yet: the gateway fires at T0 + 180 s, checked strictly after
    await tickAt(rig, T0 + 3 * MINUTE + SECOND)
    await tickAt(rig, T0 + 3 * MINUTE + 10 * SECOND)
    expect(sent(rig).map((s) => s.event.alert.subject)).toEqual(['GW1'])
    expect((await history(rig, 'FAST'))[1]).toMatch(/^inhibited:/)
  })

  it('a grandparent offline inhibits through the chain; a child whose gateway reports is delivered (in one message with its siblings)', async () => {
    rig = await startRig(parse(stormConfig([{ id: 'GW2', kind: 'status', parent: 'GW1', unit: undefined, role: undefined }, { id: 'C1', parent: 'GW2' }, { id: 'C2', parent: 'GW2' }])))
    // GW1 and GW2 keep reporting; C1 and C2 go silent: GW2's children, delivered together
    await rig.feed(minutes(['GW1', 'GW2', 'C1', 'C2'], T0 - 10 * MINUTE, 11))
    await rig.feed(minutes(['GW1', 'GW2'], T0 + MINUTE, 5))
    await tickAt(rig, T0 + 3 * MINUTE + SECOND)
    expect(sent(rig)).toEqual([])
    await tickAt(rig, T0 + 5 * MINUTE) // last reading + 60 s + the longer of GW2's and GW1's limits
    const out = sent(rig)
    expect(out.map((s) => [s.topic, s.event.event, s.event.group?.key, s.event.group?.alerts.map((a) => a.subject)])).toEqual([
      ['alerts/site-a/device_offline', 'alert.group', 'behind/GW2', ['C1', 'C2']]
    ])
    expect(out[0]!.event.text).toContain('【告警汇总】设备离线 · 测试矿山(2 条)')
    expect(await history(rig, 'C2')).toEqual(['grouped:behind/GW2:no_reading_within_limit', 'group_notified:behind/GW2'])
    // now GW1 goes silent with GW2 behind it: GW1 delivered, GW2 inhibited by it
    await tickAt(rig, T0 + 9 * MINUTE + SECOND)
    await tickAt(rig, T0 + 12 * MINUTE)
    expect(sent(rig).slice(1).map((s) => [s.event.event, s.event.alert.subject])).toEqual([['alert.firing', 'GW1']])
    expect((await history(rig, 'GW2'))[1]).toMatch(/^inhibited:/)
  })

  it('when the parent is back and the child is not, the child is delivered after its own offline limit (inhibition_ended:)', async () => {
    rig = await startRig(parse(stormConfig(children)))
    await rig.feed(minutes(['GW1', 'C1', 'C2', 'C3'], T0 - 10 * MINUTE, 11))
    await tickAt(rig, T0 + 3 * MINUTE + SECOND)
    await tickAt(rig, T0 + 4 * MINUTE)
    // the gateway and C1, C2 are back at T0 + 20 min; C3 stays silent
    rig.clock.set(T0 + 22 * MINUTE)
    await rig.feed(minutes(['GW1', 'C1', 'C2'], T0 + 20 * MINUTE, 3))
    await tickAt(rig, T0 + 22 * MINUTE)
    expect(sent(rig).map((s) => [s.event.event, s.event.alert.subject])).toEqual([['alert.firing', 'GW1'], ['alert.resolved', 'GW1']])
    expect(await history(rig, 'C1')).toEqual(['grouped:behind/GW1:no_reading_within_limit', expect.stringMatching(/^inhibited:/), 'reporting_again'])
    await rig.feed(minutes(['GW1', 'C1', 'C2'], T0 + 23 * MINUTE, 3))
    await tickAt(rig, T0 + 25 * MINUTE) // 180 s after the gateway was seen back
    const last = sent(rig).at(-1)!.event
    expect([last.event, last.alert.subject, last.transition.reason]).toEqual(['alert.firing', 'C3', expect.stringMatching(/^inhibition_ended:/)])
    expect(last.text).toContain('上级设备已恢复')
    // from then on C3 is an alert like any other: its resolve is delivered
    rig.clock.set(T0 + 27 * MINUTE)
    await rig.feed(minutes(['GW1', 'C1', 'C2', 'C3'], T0 + 26 * MINUTE, 2))
    await rig.engine.idle()
    expect(sent(rig).at(-1)!.event).toMatchObject({ event: 'alert.resolved', alert: { subject: 'C3' } })
  })

  it('an inhibited alert stays inhibited across a restart (its resolve is not delivered)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-storm-'))
    const config = parse(stormConfig(children))
    const clock = new ManualClock(T0)
    rig = await startRig(config, { dir, clock })
    await rig.feed(minutes(['GW1', 'C1', 'C2', 'C3'], T0 - 10 * MINUTE, 11))
    await tickAt(rig, T0 + 3 * MINUTE + SECOND)
    await tickAt(rig, T0 + 4 * MINUTE)
    await rig.close()
    rig = await startRig(config, { dir, clock })
    await tickAt(rig, T0 + 5 * MINUTE)
    rig.clock.set(T0 + 22 * MINUTE)
    await rig.feed(minutes(['C1'], T0 + 20 * MINUTE, 3))
    await tickAt(rig, T0 + 22 * MINUTE)
    expect(rig.published).toEqual([]) // the gateway's firing went out before the restart; nothing of C1's
    expect(await history(rig, 'C1')).toEqual(['grouped:behind/GW1:no_reading_within_limit', expect.stringMatching(/^inhibited:/), 'reporting_again'])
  })
})

describe('grouping: related alerts in one notification', () => {
  const dustConfig = (alerts: Partial<Alerts>) => parse(stormConfig([{ id: 'D1' }, { id: 'D2' }, { id: 'D3' }], alerts))
  const windy = (devices: string[], from: number, n: number) => minutes(devices, from, n, 1.5)

  it('dust alerts of one site within the window: one notification listing them; each alert stored with its transitions', async () => {
    rig = await startRig(dustConfig({ groups: [{ id: 'wind', kinds: ['dust_exceedance'], windowS: 120 }] }))
    await rig.feed(windy(['D1', 'D2', 'D3', 'GW1'], T0 - 60 * MINUTE, 50)) // each fires at T0 - 11 min
    await tickAt(rig, T0 - 10 * MINUTE)
    expect(rig.published.filter((p) => p.topic.includes('dust'))).toEqual([])
    await tickAt(rig, T0 - 9 * MINUTE) // 120 s after the group opened
    const out = sent(rig).filter((s) => s.topic.includes('dust'))
    expect(out).toHaveLength(1)
    expect(out[0]!.event.group!.alerts.map((a) => a.device)).toEqual(['D1', 'D2', 'D3'])
    expect(out[0]!.event.event).toBe('alert.group')
    for (const d of ['D1', 'D2', 'D3']) expect(await history(rig, `${d}:tsp:3600`, 'dust_exceedance')).toEqual(['grouped:wind/site-a:avg_above_limit_for_hold', 'group_notified:wind/site-a'])
    // the wind goes on: the open alerts do not fire again
    await rig.feed(windy(['D1', 'D2', 'D3', 'GW1'], T0 - 10 * MINUTE, 10))
    expect(sent(rig).filter((s) => s.topic.includes('dust'))).toHaveLength(1) // still exceeding: already open, nothing more sent
  })

  it('an alert that fires and clears inside the window is stored but neither it nor its resolve is delivered; the others still are', async () => {
    rig = await startRig(dustConfig({ groups: [{ id: 'wind', kinds: ['dust_exceedance'], windowS: 3600 }] }))
    await rig.feed(windy(['D1', 'D2'], T0 - 60 * MINUTE, 50))
    await rig.feed(minutes(['D1'], T0 - 10 * MINUTE, 60, 0)) // D1 clears (below 0.8 for 15 min)
    await rig.feed(windy(['D2'], T0 - 10 * MINUTE, 60))
    expect(await history(rig, 'D1:tsp:3600', 'dust_exceedance')).toEqual(['grouped:wind/site-a:avg_above_limit_for_hold', 'avg_below_clear_level_for_clear_hold'])
    await tickAt(rig, T0 + 60 * MINUTE)
    const out = sent(rig).filter((s) => s.topic.includes('dust'))
    expect(out.map((s) => [s.event.event, s.event.group?.alerts.map((a) => a.device)])).toEqual([['alert.group', ['D2']]])
  })

  it('a subscription gets only the members it matches (minSeverity: alarm leaves warnings out)', async () => {
    const c = stormConfig([{ id: 'D1' }, { id: 'D2', role: 'extraction' }], {
      subscriptions: [{ id: 'bus', type: 'mqtt', minSeverity: 'alarm' }],
      groups: [{ id: 'wind', kinds: ['dust_exceedance'], windowS: 60 }]
    })
    // D2 (in the pit) has the site's operational TSP limit, a warning; D1 (boundary) GB 16297-1996's alarm
    const legal = { metric: 'tsp' as const, limit: 1.0, windowS: 3600, holdS: 300, clearBelow: 0.8, clearHoldS: 900, severity: 'alarm' as const, standard: 'GB 16297-1996' }
    c.sites[0]!.dust = { limits: [legal, { metric: 'tsp', limit: 1.0, windowS: 3600, holdS: 300, severity: 'warning', roles: ['extraction'] }] }
    rig = await startRig(parse(c))
    await rig.feed(windy(['D1', 'D2'], T0 - 60 * MINUTE, 50))
    expect((await rig.state.alerts.open()).filter((a) => a.kind === 'dust_exceedance').map((a) => [a.device, a.severity]).sort()).toEqual([['D1', 'alarm'], ['D2', 'warning']])
    await tickAt(rig, T0)
    const out = sent(rig).filter((s) => s.topic.includes('dust'))
    expect(out.map((s) => s.event.group?.alerts.map((a) => a.device))).toEqual([['D1']])
  })

  it('a held group survives a restart and is sent once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-storm-'))
    const config = dustConfig({ groups: [{ id: 'wind', kinds: ['dust_exceedance'], windowS: 600 }] })
    const clock = new ManualClock(T0 - 10 * MINUTE)
    rig = await startRig(config, { dir, clock })
    await rig.feed(windy(['D1', 'D2'], T0 - 60 * MINUTE, 50))
    await rig.engine.idle()
    await rig.close()
    rig = await startRig(config, { dir, clock })
    await tickAt(rig, T0 - 5 * MINUTE)
    expect(rig.published.filter((p) => p.topic.includes('dust'))).toEqual([])
    await tickAt(rig, T0)
    await tickAt(rig, T0 + MINUTE)
    expect(sent(rig).filter((s) => s.topic.includes('dust')).map((s) => s.event.group?.alerts.map((a) => a.device))).toEqual([['D1', 'D2']])
    await rig.close()
    rig = await startRig(config, { dir, clock })
    await tickAt(rig, T0 + 2 * MINUTE)
    expect(rig.published.filter((p) => p.topic.includes('dust'))).toEqual([]) // sent before: not again
  })
})

describe('config: parent links and groups', () => {
  const problems = (c: ConfigInput) => {
    const r = configSchema.safeParse(c)
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }

  it('refuses an unknown parent, a device its own parent, and a cycle, naming the device', () => {
    expect(parentProblems([{ id: 'A', parent: 'A' }])).toEqual([[0, "'A' cannot be its own parent"]])
    expect(parentProblems([{ id: 'A', parent: 'X' }])).toEqual([[0, "'X' is not a device of this site (a parent reports for devices of its own site)"]])
    expect(parentProblems([{ id: 'A', parent: 'B' }, { id: 'B', parent: 'A' }]).map(([j]) => j)).toEqual([0, 1])
    expect(problems(stormConfig([{ id: 'C1', parent: 'NOPE' }]))).toEqual(["sites.0.devices.1.parent: 'NOPE' is not a device of this site (a parent reports for devices of its own site)"])
    expect(problems(stormConfig([{ id: 'C1', parent: 'C2' }, { id: 'C2', parent: 'C1' }]))).toHaveLength(2)
  })

  it('refuses a duplicate group id, the reserved id behind, an unknown site, a bad kind, a window out of range', () => {
    const g = { id: 'wind', kinds: ['dust_exceedance' as const], windowS: 60 }
    expect(problems(stormConfig([], { groups: [g, g] }))).toEqual(["alerts.groups.1.id: duplicate group id 'wind'"])
    expect(problems(stormConfig([], { groups: [{ ...g, id: 'behind' }] }))[0]).toMatch(/^alerts\.groups\.0\.id: 'behind' is the name of/)
    expect(problems(stormConfig([], { groups: [{ ...g, sites: ['nowhere'] }] }))).toEqual(["alerts.groups.0.sites.0: unknown site 'nowhere'"])
    expect(problems(stormConfig([], { groups: [{ ...g, kinds: ['dust' as never] }] }))[0]).toMatch(/^alerts\.groups\.0\.kinds\.0:/)
    expect(problems(stormConfig([], { groups: [{ ...g, windowS: 0 }] }))[0]).toMatch(/^alerts\.groups\.0\.windowS:/)
    expect(problems(stormConfig([], { groups: [{ ...g, windowS: 7200 }] }))[0]).toMatch(/^alerts\.groups\.0\.windowS:/)
  })

  it('reasons carry the group and the inhibiting alert', () => {
    expect(groupOfReason('grouped:wind/site-a:avg_above_limit_for_hold')).toBe('wind/site-a')
    expect(groupOfReason('group_notified:behind/GW1')).toBe('behind/GW1')
    expect(groupOfReason('avg_above_limit_for_hold')).toBeNull()
    expect(ungroupedReason('grouped:wind/site-a:avg_above_limit_for_hold')).toBe('avg_above_limit_for_hold')
    expect(inhibitorOfReason('inhibited:8f61090e')).toBe('8f61090e')
  })
})

describe('group bodies', () => {
  const config = parse(stormConfig(Array.from({ length: 80 }, (_, i) => ({ id: `C${i}`, parent: 'GW1', name: `采场扬尘监测 ${i}` }))))
  const registry = new Registry(config)
  const alert = (i: number): Alert => ({
    id: `id-${i}`, site: 'site-a', kind: 'device_offline', subject: `C${i}`, device: `C${i}`, severity: 'warning', state: 'firing',
    firedAt: T0, updatedAt: T0, resolvedAt: null, ackedBy: null, ackNote: null, value: 181, limit: 180, unit: 's', standard: 'HJ 212-2017', message: '', noDataSince: null
  })
  const t: AlertTransition = { seq: 9, alertId: 'id-0', site: 'site-a', kind: 'device_offline', from: 'firing', to: 'firing', severity: 'warning', at: T0, reason: 'group_notified:behind/GW1', value: 181, limit: 180, by: null, message: '' }
  const g = (n: number) => ({ key: 'behind/GW1', windowS: 0, members: Array.from({ length: n }, (_, i) => ({ alert: alert(i), reason: 'no_reading_within_limit' })) })

  it('DingTalk and WeCom markdown list every member; WeCom is cut to 4096 bytes', () => {
    const ding = JSON.parse(buildGroupPayload({ id: 'd', type: 'dingtalk', url: 'https://x', allowHttp: false, sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false }, 'id', g(3), alert(0), t, registry, 'zh')) as { msgtype: string, markdown: { title: string, text: string } }
    expect(ding.msgtype).toBe('markdown')
    expect(ding.markdown.title).toBe('【告警汇总】设备离线 · 测试矿山(3 条)')
    expect(ding.markdown.text).toContain('1. [预警] 采场扬尘监测 0(C0) 已 181 秒无数据(阈值 180 秒)')
    expect(ding.markdown.text).toContain('3. [预警] 采场扬尘监测 2(C2)')
    const wecom = JSON.parse(buildGroupPayload({ id: 'w', type: 'wecom', url: 'https://x', allowHttp: false, sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false }, 'id', g(80), alert(0), t, registry, 'en')) as { markdown: { content: string } }
    expect(Buffer.byteLength(wecom.markdown.content)).toBeLessThanOrEqual(WECOM_MAX_BYTES)
    expect(wecom.markdown.content).toContain('<font color="warning">[GROUPED] device offline · 测试矿山 (80 alerts)</font>')
  })
})
