import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { pointInPolygon } from '../../../core/geo.js'
import { demoIncidents, storyPublisher } from '../../../simulators/demo-story.js'
import { memoryPublisher } from '../../../simulators/publisher.js'
import type { SimMessage } from '../../../simulators/types.js'

const registry = new Registry(parseConfig(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml', {}).config)
const site = registry.sites[0]!

describe('the demo story (simulators/demo-story.ts)', () => {
  const plan = demoIncidents(site)

  it('walks DEMO-01 out of the licence boundary for more than the fence\'s consecutive fixes, then back in, within 3 minutes', () => {
    const b = plan.breach!
    expect(registry.device(b.device)?.device.kind).toBe('locator')
    const outside = b.fixes.filter((f) => !pointInPolygon(f.at, site.boundary.coordinates))
    expect(outside.length).toBeGreaterThan(site.fence.consecutiveFixes)
    const lastOutside = Math.max(...outside.map((f) => f.atMs))
    const insideAfter = b.fixes.filter((f) => f.atMs > lastOutside && pointInPolygon(f.at, site.boundary.coordinates))
    expect(insideAfter.length).toBeGreaterThan(site.fence.consecutiveFixes)
    expect(Math.max(...b.fixes.map((f) => f.atMs))).toBeLessThan(180_000)
    for (const f of b.fixes) for (const z of site.zones) expect(pointInPolygon(f.at, z.geometry.coordinates), `fix in zone ${z.id}`).toBe(false)
  })

  it('silences a vehicle tracker long enough for device_offline (3 × its interval) and brings it back before 5 minutes', () => {
    const o = plan.offline!
    const d = registry.device(o.device)!.device
    expect(d.kind).toBe('locator')
    expect(o.toMs - o.fromMs).toBeGreaterThan(3 * d.intervalS * 1000 * 2)
    expect(o.toMs).toBeLessThan(300_000)
  })

  it('drops only the silenced device\'s messages inside its window', async () => {
    const inner = memoryPublisher()
    const start = Date.now() + 3_600_000 // far ahead: the walker's timers do not fire during the test
    const p = storyPublisher(inner, plan, start, () => {})
    const msg = (device: string, t: number): SimMessage => ({ t, site: site.id, device, kind: 'locator', topic: `mines/${site.id}/locator/${device}`, payload: Buffer.from('{}'), readings: 1 })
    const o = plan.offline!
    await p.publish(msg(o.device, start + o.fromMs - 1))
    await p.publish(msg(o.device, start + o.fromMs))
    await p.publish(msg(o.device, start + o.toMs - 1))
    await p.publish(msg(o.device, start + o.toMs))
    await p.publish(msg('ZJ-UWB01', start + o.fromMs + 10))
    p.stop()
    expect(inner.messages.map((m) => `${m.device}@${m.t - start}`)).toEqual([`${o.device}@${o.fromMs - 1}`, `${o.device}@${o.toMs}`, `ZJ-UWB01@${o.fromMs + 10}`])
  })
})
