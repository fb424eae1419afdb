/** person_motionless and tag_lost in the alert engine: site and zone limits, the relaying locator offline, restarts. */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRig, T0, CENTER, type Rig } from './fixture.js'
import { configSchema, type Config } from '../../../core/config.js'
import { ManualClock } from '../../../core/clock.js'
import { offsetM } from '../../../core/geo.js'
import { MINUTE, SECOND } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'

let rig: Rig | undefined
let dir: string | undefined
afterEach(async () => {
  await rig?.close(); rig = undefined
  if (dir) rmSync(dir, { recursive: true, force: true }); dir = undefined
})

const square = (half: number, east = 0) => {
  const c = offsetM(CENTER, east, 0)
  const ring = [offsetM(c, -half, -half), offsetM(c, half, -half), offsetM(c, half, half), offsetM(c, -half, half)]
  return [[...ring, ring[0]!]]
}

/** site-a: people limits 300 s still / 600 s unseen; zone `pit` (100 m square 200 m east) 60 s / 120 s; locators LOC1, LOC2 (every 60 s). */
function config (people: Record<string, unknown> = { motionlessS: 300, tagLostS: 600 }): Config {
  return configSchema.parse({
    demo: true,
    sites: [{
      id: 'site-a', name: '测试矿山', province: '浙江省', licence: 'C330000TEST', scaleTPerYear: 1_200_000,
      boundary: { type: 'Polygon', coordinates: square(500) },
      people,
      zones: [{ id: 'pit', name: '采场', kind: 'other', motionlessS: 60, tagLostS: 120, geometry: { type: 'Polygon', coordinates: square(50, 200) } }],
      devices: ['LOC1', 'LOC2'].map((id) => ({ id, kind: 'locator', role: 'personnel', intervalS: 60, password: `pw-${id}-secret` }))
    }],
    alerts: { subscriptions: [{ id: 'bus', type: 'mqtt' }] }
  })
}

const fix = (entityId: string, ts: number, eastM: number, device = 'LOC1', entity = 'person'): Reading => {
  const [lon, lat] = offsetM(CENTER, eastM, 0)
  return { site: 'site-a', device, kind: 'locator', ts, values: { entity, entityId, lon, lat, accuracyM: 0.5 } }
}
const every10s = (entityId: string, from: number, n: number, eastM: number, device = 'LOC1') => Array.from({ length: n }, (_, i) => fix(entityId, from + i * 10 * SECOND, eastM, device))

async function open (r: Rig, kind: string): Promise<string[]> {
  return (await r.state.alerts.open()).filter((a) => a.kind === kind).map((a) => `${a.subject}:${a.severity}`).sort()
}
async function tickAt (r: Rig, t: number): Promise<void> { r.clock.set(t); await r.engine.tick(); await r.engine.idle() }

describe('person_motionless in the engine', () => {
  it('the pit\'s 60 s applies inside it, the site\'s 300 s elsewhere; vehicles never count; a site without a limit has no rule', async () => {
    rig = await startRig(config())
    await rig.feed([...every10s('P-PIT', T0, 8, 200), ...every10s('P-YARD', T0, 8, 0), ...every10s('TRK', T0, 8, 200).map((r) => ({ ...r, values: { ...r.values, entity: 'vehicle' } }))])
    expect(await open(rig, 'person_motionless')).toEqual(['P-PIT:alarm'])
    await rig.feed(every10s('P-YARD', T0 + 80 * SECOND, 30, 0))
    expect(await open(rig, 'person_motionless')).toEqual(['P-PIT:alarm', 'P-YARD:alarm'])
    await rig.close()
    rig = await startRig(config({}))
    await rig.feed(every10s('P-YARD', T0, 60, 0))
    expect(await open(rig, 'person_motionless')).toEqual([])
  })

  it('an open alert continues across a restart and resolves when the person moves', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-still-'))
    const clock = new ManualClock(T0 + 2 * MINUTE)
    rig = await startRig(config(), { dir, clock })
    await rig.feed(every10s('P-PIT', T0, 8, 200))
    await rig.close()
    rig = await startRig(config(), { dir, clock })
    await rig.feed(every10s('P-PIT', T0 + 80 * SECOND, 8, 200)) // still lying there: no second alert
    expect((await rig.state.alerts.list({ kind: 'person_motionless', limit: 10 })).items).toHaveLength(1)
    await rig.feed([170, 180, 190].map((s) => fix('P-PIT', T0 + s * SECOND, 230)))
    expect(await open(rig, 'person_motionless')).toEqual([])
  })
})

describe('tag_lost in the engine', () => {
  it('a tag last seen in the pit fires after 120 s, one in the yard after 600 s; a vehicle is a warning', async () => {
    rig = await startRig(config())
    await rig.feed([fix('P-PIT', T0, 200), fix('P-YARD', T0, 0), fix('TRK', T0, 200, 'LOC1', 'vehicle'), ...every10s('P-KEEP', T0, 70, 10)])
    await tickAt(rig, T0 + 121 * SECOND)
    expect(await open(rig, 'tag_lost')).toEqual(['P-PIT:alarm', 'TRK:warning'])
    await tickAt(rig, T0 + 601 * SECOND)
    expect(await open(rig, 'tag_lost')).toEqual(['P-PIT:alarm', 'P-YARD:alarm', 'TRK:warning'])
  })

  it('tags of a locator that is offline do not fire (its device_offline explains them); they do once it reports again without them', async () => {
    rig = await startRig(config())
    await rig.feed([fix('P-PIT', T0, 200, 'LOC2'), ...every10s('P-KEEP', T0, 60, 10)])
    await tickAt(rig, T0 + 4 * MINUTE) // LOC2 silent since T0: offline after 180 s
    expect(await open(rig, 'device_offline')).toEqual(['LOC2:warning'])
    expect(await open(rig, 'tag_lost')).toEqual([])
    rig.clock.set(T0 + 6 * MINUTE)
    await rig.feed(every10s('P-OTHER', T0 + 5 * MINUTE, 7, 10, 'LOC2'))
    await tickAt(rig, T0 + 6 * MINUTE)
    expect(await open(rig, 'tag_lost')).toEqual(['P-PIT:alarm'])
  })

  it('a tag silent since before a restart fires after it (its last fix is read back from the store)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-tag-'))
    const clock = new ManualClock(T0)
    rig = await startRig(config(), { dir, clock })
    await rig.feed([fix('P-PIT', T0, 200)])
    await rig.close()
    rig = await startRig(config(), { dir, clock })
    await rig.feed(every10s('P-KEEP', T0, 13, 10))
    await tickAt(rig, T0 + 121 * SECOND)
    expect(await open(rig, 'tag_lost')).toEqual(['P-PIT:alarm'])
    await rig.feed([fix('P-PIT', T0 + 130 * SECOND, 200)])
    expect(await open(rig, 'tag_lost')).toEqual([])
  })
})
