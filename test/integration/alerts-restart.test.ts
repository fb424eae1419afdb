/**
 * The alert engine survives restarts: open alerts come back from the DuckDB state file, rule
 * windows are rebuilt from the DuckDB telemetry file, and the outcome equals an uninterrupted run.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { makeConfig, startRig, dust, T0, type Rig } from '../unit/alerts/fixture.js'
import { tempDir } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import type { Reading } from '../../core/readings.js'
import { MINUTE, HOUR, beijingDateToMs } from '../../core/time.js'

const rigs: Rig[] = []
const dirs: { remove: () => void }[] = []
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close().catch(() => {})
  for (const d of dirs.splice(0)) d.remove()
})

/** 100 min: 60 clean, 40 dusty (fires at ~92 min); then 20 dusty; then 2 h clean. */
const phase1 = Array.from({ length: 100 }, (_, i) => dust(T0 + i * MINUTE, i < 60 ? 0.2 : 2.0))
const phase2 = Array.from({ length: 140 }, (_, i) => dust(T0 + (100 + i) * MINUTE, i < 20 ? 2.0 : 0.2))

async function feedEach (rig: Rig, readings: Reading[], batch = 10): Promise<void> {
  for (let i = 0; i < readings.length; i += batch) await rig.feed(readings.slice(i, i + batch))
}

describe('alert engine restart (DuckDB state and telemetry files)', () => {
  it('keeps an acknowledged alert open across close/reopen, does not re-fire, and resolves exactly when an uninterrupted run does', async () => {
    const dir = tempDir('alerts-restart-'); dirs.push(dir)
    const config = makeConfig()
    const first = await startRig(config, { dir: dir.path }); rigs.push(first)
    await feedEach(first, phase1)
    const open = (await first.state.alerts.open()).filter((a) => a.kind === 'dust_exceedance')
    expect(open.length).toBe(1)
    const id = open[0]!.id
    await first.engine.ack(id, '值班员', '已开启喷淋')
    await first.close(); rigs.splice(rigs.indexOf(first), 1)

    const second = await startRig(config, { dir: dir.path, clock: new ManualClock(T0 + 100 * MINUTE) }); rigs.push(second)
    await feedEach(second, phase2.slice(0, 20)) // still dusty: no second alert
    let now = (await second.state.alerts.open()).filter((a) => a.kind === 'dust_exceedance')
    expect(now.map((a) => [a.id, a.state])).toEqual([[id, 'acknowledged']])
    await feedEach(second, phase2.slice(20))
    const resolved = await second.state.alerts.get(id)
    expect(resolved!.state).toBe('resolved')
    expect((await second.state.alerts.history(id)).map((t) => t.to)).toEqual(['firing', 'acknowledged', 'resolved'])
    now = (await second.state.alerts.open()).filter((a) => a.kind === 'dust_exceedance')
    expect(now).toEqual([])

    // the same readings without a restart resolve at the same event time: the window was rebuilt, not restarted
    const straight = await startRig(config); rigs.push(straight)
    await straight.engine.evaluate([...phase1, ...phase2])
    const ref = (await straight.state.alerts.list({ kind: 'dust_exceedance', limit: 10 })).items
    expect(ref.length).toBe(1)
    expect(ref[0]!.firedAt).toBe(resolved!.firedAt)
    expect(ref[0]!.resolvedAt).toBe(resolved!.resolvedAt)
  })

  it('rebuilds month-to-date ore output, so the warning fires after a restart when the month passes its share', async () => {
    const dir = tempDir('alerts-restart-ore-'); dirs.push(dir)
    const config = makeConfig()
    const jan = beijingDateToMs('2025-01-01')
    const loads = (from: number, n: number, t: number): Reading[] =>
      Array.from({ length: n }, (_, i) => ({ site: 'site-a', device: 'TS1', kind: 'ore', ts: from + i * HOUR, values: { tonnes: t } }))
    const first = await startRig(config, { dir: dir.path }); rigs.push(first)
    await first.feed(loads(jan, 24 * 25, 175)) // 105 kt of a 110 kt monthly allowance
    expect(await first.state.alerts.open()).toEqual([])
    await first.close(); rigs.splice(rigs.indexOf(first), 1)
    const second = await startRig(config, { dir: dir.path }); rigs.push(second)
    await second.feed(loads(jan + 25 * 24 * HOUR, 48, 175)) // +8.4 kt
    const open = await second.state.alerts.open()
    expect(open.map((a) => [a.kind, a.severity])).toEqual([['over_capacity', 'warning']])
    expect(open[0]!.value!).toBeGreaterThan(110_000)
    expect(open[0]!.value!).toBeLessThan(110_500) // counted from the restored total, not from zero
  })
})
