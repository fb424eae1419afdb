/** sos and zone_overcrowded through the engine: texts, operator close, restart (open alerts restored). */
import { describe, it, expect, afterAll } from 'vitest'
import { makeConfig, startRig, fix, CENTER, T0, type Rig } from './fixture.js'
import { offsetM } from '../../../core/geo.js'
import { configSchema } from '../../../core/config.js'
import type { Reading } from '../../../core/readings.js'
import { tempDir } from '../../helpers/ports.js'
import { SECOND } from '../../../core/time.js'

/** The fixture's site with a 2-person limit on its blasting zone and a personnel locator. */
function peopleConfig () {
  const c = makeConfig()
  const site = c.sites[0]!
  return configSchema.parse({
    ...c,
    sites: [{ ...site, zones: [{ ...site.zones[0]!, maxPeople: 2, maxSpeedKmh: 15, maxStayS: 60 }], devices: [...site.devices, { id: 'UWB1', kind: 'locator', role: 'personnel', intervalS: 5, password: 'pw-UWB1-secret' }] }]
  })
}

function person (ts: number, entityId: string, eastM: number, sos?: 1 | 0): Reading {
  const [lon, lat] = offsetM(CENTER, eastM, 0)
  return { site: 'site-a', device: 'UWB1', kind: 'locator', ts, values: { entity: 'person', entityId, lon, lat, accuracyM: 0.5, ...(sos === undefined ? {} : { sos }) } }
}

async function openOf (rig: Rig, kind: string) {
  return (await rig.state.alerts.open()).filter((a) => a.kind === kind)
}

function truck (ts: number, eastM: number, speedKmh: number): Reading {
  const [lon, lat] = offsetM(CENTER, eastM, 0)
  return { site: 'site-a', device: 'LOC1', kind: 'locator', ts, values: { entity: 'vehicle', entityId: 'TRK-9', lon, lat, accuracyM: 1, speedKmh } }
}

const dir = tempDir()
afterAll(() => dir.remove())

describe('people alarms through the engine', () => {
  it('rejects a maxPeople below the hysteresis with the zone path', () => {
    const c = makeConfig()
    const site = c.sites[0]!
    const r = configSchema.safeParse({ ...c, sites: [{ ...site, people: { hysteresis: 3 }, zones: [{ ...site.zones[0]!, maxPeople: 2 }] }] })
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual(['sites.0.zones.0.maxPeople', 'maxPeople 2 is below people.hysteresis 3: zone_overcrowded would resolve only below 0 people, i.e. never'])
  })

  it('sos fires at once, an operator closes it, a still-raised tag does not refire, a new call does; restarts keep one alert', async () => {
    const rig = await startRig(peopleConfig(), { dir: dir.path })
    await rig.feed([person(T0, 'P-1', 300), person(T0 + 5 * SECOND, 'P-1', 300, 1)])
    let open = (await openOf(rig, 'sos'))
    expect(open.map((a) => [a.subject, a.severity, a.firedAt, a.device])).toEqual([['P-1', 'alarm', T0 + 5 * SECOND, 'UWB1']])
    expect(open[0]!.message).toContain('【报警】紧急呼救')
    expect(open[0]!.message).toContain('P-1 发出紧急呼救')
    await rig.feed([person(T0 + 10 * SECOND, 'P-1', 300, 1), person(T0 + 15 * SECOND, 'P-1', 300, 0)])
    expect((await openOf(rig, 'sos'))).toHaveLength(1) // never resolves from readings
    await rig.close()

    // restart: the open alert is restored, the tag still calling is the same alert
    const rig2 = await startRig(peopleConfig(), { dir: dir.path })
    await rig2.feed([person(T0 + 20 * SECOND, 'P-1', 300, 1)])
    // the fix at +15 s released the button before the restart; the restored alert is still open: no second alert
    open = (await openOf(rig2, 'sos'))
    expect(open.map((a) => a.firedAt)).toEqual([T0 + 5 * SECOND])
    await rig2.engine.closeAlert(open[0]!.id, 'duty-officer', 'rectified', '')
    await rig2.feed([person(T0 + 25 * SECOND, 'P-1', 300, 1)]) // still raised after the close: no new alert
    expect((await openOf(rig2, 'sos'))).toEqual([])
    await rig2.close()

    // restart with the closed call still raised in the latest stored fix: still no new alert
    const rig3 = await startRig(peopleConfig(), { dir: dir.path })
    await rig3.feed([person(T0 + 27 * SECOND, 'P-1', 300, 1)])
    expect((await openOf(rig3, 'sos'))).toEqual([])
    await rig3.feed([person(T0 + 30 * SECOND, 'P-1', 300), person(T0 + 35 * SECOND, 'P-1', 300, 1)])
    expect((await openOf(rig3, 'sos')).map((a) => a.firedAt)).toEqual([T0 + 35 * SECOND])
    await rig3.close()
  })

  it('zone_overcrowded fires above maxPeople, holds through a restart and resolves from fresh fixes', async () => {
    const d2 = tempDir()
    try {
      const rig = await startRig(peopleConfig(), { dir: d2.path })
      const t = T0 + 60 * SECOND
      // three people in the 100 m blasting zone (limit 2), and a vehicle that does not count
      await rig.feed([person(t, 'P-1', 0), person(t, 'P-2', 10), fix(t, 5, 'TRK-7'), person(t, 'P-3', -10)])
      const open = (await openOf(rig, 'zone_overcrowded'))
      expect(open.map((a) => [a.subject, a.severity, a.value, a.limit, a.device])).toEqual([['blast-1', 'alarm', 3, 2, null]])
      expect(open[0]!.message).toContain('爆破警戒区(blast-1) 人数 3 人,超过定员 2 人')
      await rig.close()
      const rig2 = await startRig(peopleConfig(), { dir: d2.path })
      // the headcount is restored from the stored fixes: one fresh fix does not resolve it from a partial count
      await rig2.feed([person(t + 5 * SECOND, 'P-1', 0)])
      expect((await openOf(rig2, 'zone_overcrowded')).map((a) => a.value)).toEqual([3])
      await rig2.feed([person(t + 10 * SECOND, 'P-2', 300), person(t + 10 * SECOND, 'P-3', 0)]) // 2: holds (hysteresis 1)
      expect((await openOf(rig2, 'zone_overcrowded'))).toHaveLength(1)
      await rig2.feed([person(t + 15 * SECOND, 'P-3', 300)]) // 1: resolves
      expect((await openOf(rig2, 'zone_overcrowded'))).toEqual([])
      const all = await rig2.state.alerts.list({ site: 'site-a', kind: 'zone_overcrowded', limit: 10 })
      expect(all.items.map((a) => [a.state, a.value])).toEqual([['resolved', 1]])
      await rig2.close()
    } finally { d2.remove() }
  })

  it('over_speed: a vehicle over the zone limit for 3 fixes fires, a restart keeps the alert, 3 fixes within resolve it', async () => {
    const d3 = tempDir()
    try {
      const t = T0 + 120 * SECOND
      const rig = await startRig(peopleConfig(), { dir: d3.path })
      await rig.feed([truck(t, 0, 10), truck(t + 5 * SECOND, 0, 20), truck(t + 10 * SECOND, 0, 22), truck(t + 15 * SECOND, 0, 21)])
      const open = await openOf(rig, 'over_speed')
      expect(open.map((a) => [a.subject, a.severity, a.value, a.limit, a.firedAt])).toEqual([['blast-1:TRK-9', 'warning', 21, 15, t + 15 * SECOND]])
      expect(open[0]!.message).toContain('TRK-9 在 爆破警戒区(blast-1) 内连续超速,至少 21 km/h,限速 15 km/h')
      await rig.close()
      const rig2 = await startRig(peopleConfig(), { dir: d3.path })
      await rig2.feed([truck(t + 20 * SECOND, 0, 25), truck(t + 25 * SECOND, 0, 10), truck(t + 30 * SECOND, 0, 10)])
      expect((await openOf(rig2, 'over_speed')).map((a) => a.firedAt)).toEqual([t + 15 * SECOND]) // continued, not fired again
      await rig2.feed([truck(t + 35 * SECOND, 0, 10)])
      expect(await openOf(rig2, 'over_speed')).toEqual([])
      await rig2.close()
    } finally { d3.remove() }
  })

  it('zone_overstay: a person inside the zone for more than maxStayS fires, leaving resolves', async () => {
    const rig = await startRig(peopleConfig())
    const t = T0 + 600 * SECOND
    await rig.feed(Array.from({ length: 8 }, (_, i) => person(t + i * 10 * SECOND, 'P-9', 0)))
    const open = await openOf(rig, 'zone_overstay')
    expect(open.map((a) => [a.subject, a.severity, a.value, a.limit, a.firedAt])).toEqual([['blast-1:P-9', 'warning', 70, 60, t + 70 * SECOND]])
    expect(open[0]!.message).toContain('P-9 在 爆破警戒区(blast-1) 内连续停留 70 秒,超过限值 60 秒')
    await rig.feed([person(t + 80 * SECOND, 'P-9', 300)])
    expect(await openOf(rig, 'zone_overstay')).toEqual([])
    await rig.close()
  })
})
