import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { pointInPolygon } from '../../../core/geo.js'
import { demoIncidents, storyEffects, storyPublisher } from '../../../simulators/demo-story.js'
import { memoryPublisher } from '../../../simulators/publisher.js'
import { Simulation } from '../../../simulators/simulation.js'
import { createDustState, evaluateDust } from '../../../alerts/rules/dust-exceedance.js'
import { isLegal } from '../../../core/dust.js'
import { dustToMgM3 } from '../../../core/units.js'
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

  it('bursts dust at the crusher monitor so its operational limit fires and then resolves within 5 minutes, the other monitors on a normal day', () => {
    const d = plan.dust!
    const device = registry.device(d.device)!.device
    expect(device.kind).toBe('dust')
    expect(isLegal(d.limit)).toBe(false) // an operational limit: the legal ones need 45 min of data first
    const start = Date.UTC(2026, 11, 2, 1, 0, 0) // 09:00 Beijing, the day shift
    const sim = new Simulation({ registry, sites: [site.id], seed: 3, start, effects: storyEffects(plan, start) })
    const state = createDustState(d.limit, device.intervalS)
    const signals: string[] = []
    let othersMax = 0
    for (const m of sim.until(start + 300_000)) {
      const entry = registry.device(m.device)!.device
      if (entry.kind !== 'dust') continue
      const tsp = dustToMgM3((JSON.parse(m.payload.toString()) as { tsp: number }).tsp, entry.unit!)
      if (m.device !== d.device) { othersMax = Math.max(othersMax, tsp); continue }
      const sig = evaluateDust(state, tsp, m.t, m.t)
      if (sig) signals.push(`${m.device} ${sig.type}@${Math.round((sig.at - start) / 1000)}`)
    }
    expect(othersMax).toBeLessThan(0.5) // a normal day elsewhere
    expect(signals.map((x) => x.replace(/@\d+/, ''))).toEqual([`${d.device} fire`, `${d.device} resolve`])
    const resolvedAtS = Number(signals[1]!.split('@')[1])
    expect(resolvedAtS).toBeLessThan(270) // 30 s to spare for the story to show before 5 minutes
  })
})
