/**
 * AlertEngine.reload (issue 20): rule state carried over a config reload. An open dust alert stays
 * open under a changed limit (its window keeps its data and hysteresis), a limit whose window
 * changed is a new limit (its old alert resolved as no_longer_configured), and a disabled device's
 * alerts close and it raises no more.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { makeConfig, startRig, dust, T0, type Rig } from './fixture.js'
import type { Config } from '../../../core/config.js'
import type { DustLimit } from '../../../core/sites.js'
import { MINUTE, HOUR } from '../../../core/time.js'

let rig: Rig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

/** A copy of `c` with site-a's dust limits replaced, and D1 disabled when asked. */
function edited (c: Config, limits: (l: DustLimit[]) => DustLimit[], disableD1 = false): Config {
  const next = structuredClone(c)
  const site = next.sites[0]!
  site.dust.limits = limits(site.dust.limits)
  if (disableD1) site.devices = site.devices.map((d) => d.id === 'D1' ? { ...d, disabled: true } : d)
  return next
}

async function reload (r: Rig, next: Config): Promise<{ closed: number }> {
  r.registry.replace(next)
  return await r.engine.reload()
}

/** One reading a minute of about `tsp` mg/m³ from D1 (varying by 0.01, so no stuck-value alert), from `from`. */
function minutes (from: number, count: number, tsp: number) {
  return Array.from({ length: count }, (_, i) => dust(from + i * MINUTE, tsp + (i % 2) * 0.01))
}

describe('AlertEngine.reload', () => {
  it('keeps an open dust alert open under a raised limit, then closes it when the window changes', async () => {
    rig = await startRig(makeConfig())
    rig.clock.set(T0 + 2 * HOUR)
    await rig.feed(minutes(T0, 70, 1.5)) // GB 16297-1996 TSP 1.0 mg/m³ over 1 h, hold 5 min
    const [open] = await rig.state.alerts.open()
    expect(open).toMatchObject({ kind: 'dust_exceedance', subject: 'D1:tsp:3600', state: 'firing', limit: 1 })

    // the limit rises above the average: the alert stays open (clears only below clearBelow for clearHoldS)
    const raised = edited(rig.config, (ls) => ls.map((l) => l.metric === 'tsp' ? { ...l, limit: 2, clearBelow: 0.5 } : l))
    expect(await reload(rig, raised)).toEqual({ closed: 0 })
    await rig.feed(minutes(T0 + 70 * MINUTE, 10, 1.5))
    const still = await rig.state.alerts.open()
    expect(still.map((a) => [a.id, a.state])).toEqual([[open!.id, 'firing']]) // the same alert, not a second one

    // a new window width is a new limit: the old alert is resolved as no longer configured
    const wider = edited(raised, (ls) => ls.map((l) => l.metric === 'tsp' ? { ...l, windowS: 1800 } : l))
    expect(await reload(rig, wider)).toEqual({ closed: 1 })
    expect(await rig.state.alerts.open()).toEqual([])
    const history = await rig.state.alerts.history(open!.id)
    expect(history.at(-1)).toMatchObject({ to: 'resolved', reason: 'no_longer_configured' })
  })

  it('a lowered limit fires on the next reading from the data the window already holds', async () => {
    rig = await startRig(makeConfig())
    rig.clock.set(T0 + 2 * HOUR)
    await rig.feed(minutes(T0, 60, 0.8)) // under 1.0: nothing
    expect(await rig.state.alerts.open()).toEqual([])
    const lowered = edited(rig.config, (ls) => ls.map((l) => l.metric === 'tsp' ? { ...l, limit: 0.5, clearBelow: 0.4, holdS: 0 } : l))
    await reload(rig, lowered)
    await rig.feed(minutes(T0 + 60 * MINUTE, 1, 0.8))
    expect((await rig.state.alerts.open()).map((a) => [a.subject, a.limit])).toEqual([['D1:tsp:3600', 0.5]])
  })

  it('closes a disabled device\'s alerts and raises no more for it', async () => {
    rig = await startRig(makeConfig())
    rig.clock.set(T0 + 2 * HOUR)
    await rig.feed(minutes(T0, 70, 1.5))
    expect((await rig.state.alerts.open()).length).toBe(1)
    expect(await reload(rig, edited(rig.config, (ls) => ls, true))).toEqual({ closed: 1 })
    rig.clock.set(T0 + 5 * HOUR) // hours without a reading: no device_offline for a disabled monitor
    await rig.engine.tick()
    const open = await rig.state.alerts.open()
    expect(open.filter((a) => a.kind === 'device_offline').length).toBeGreaterThan(0) // the other devices are offline by now
    expect(open.filter((a) => a.device === 'D1')).toEqual([])
  })
})
