/**
 * Issue 19 point 1 through `minewatch up`: the retention job deletes readings older than their
 * kind's retention (by the injected clock), counts them, and leaves younger kinds, alert history
 * and day facts alone.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { startTestMinewatch, demoConfig, api, publishReadings } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY } from '../../core/time.js'

const SITE = 'zj-huzhou-quarry'
const T0 = Date.now()
const clock = new ManualClock(T0 + 2 * 3_600_000)

describe('retention through minewatch up', () => {
  let mw: Awaited<ReturnType<typeof startTestMinewatch>>
  afterAll(async () => { await mw?.cleanup() })

  it('deletes locator fixes past their 1-day retention in small batches and keeps dust, alerts and day facts', async () => {
    mw = await startTestMinewatch({
      clock,
      config: demoConfig('store:\n  retention: { locator: 1, status: 1, intervalMs: 100, batchRows: 40, pauseMs: 0 }\n')
    })
    const fixes = Array.from({ length: 300 }, (_, i) => ({ ts: T0 + i * 3_000, entity: 'vehicle', entityId: 'ZJ-TRK01', lat: 30.95 + i * 1e-5, lon: 119.91, speedKmh: 20 }))
    await publishReadings(mw, SITE, 'locator', 'ZJ-TRK01', fixes, 100)
    const dust = Array.from({ length: 70 }, (_, i) => ({ ts: T0 + i * 60_000, seq: i, tsp: 2500 + i, pm10: 250 + i, pm25: 120 + i })) // µg/m³, above GB 16297-1996
    await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', dust)
    const dustAlerts = async () => (await (await api(mw, `/api/v1/alerts?site=${SITE}&kind=dust_exceedance`)).json()) as { items: Array<{ id: string }> }
    await waitFor(async () => (await dustAlerts()).items.length > 0, 10_000, 'a dust alert')
    const alert = (await dustAlerts()).items[0]!
    type Detail = { alert: { id: string, state: string, firedAt: number }, history: unknown[] }
    const history = await (await api(mw, `/api/v1/alerts/${alert.id}`)).json() as Detail
    const day = beijingDayStart(T0)
    await waitFor(async () => (await mw.telemetry.dayFacts({ site: SITE, from: day, to: day + DAY })).length === 1, 10_000, 'day facts')
    const facts = await mw.telemetry.dayFacts({ site: SITE, from: day, to: day + DAY })
    expect(await mw.telemetry.count({ site: SITE, kind: 'locator' })).toBe(300)
    const deleted = async () => (await mw.metrics.retentionRows.get()).values.find((v) => v.labels.kind === 'locator')?.value ?? 0
    expect(await deleted()).toBe(0) // runs so far found nothing old enough

    clock.advance(DAY + 2 * 3_600_000) // the last fix is now more than a day old
    await waitFor(async () => (await deleted()) === 300, 10_000, 'retention to delete 300 fixes')
    expect(await mw.telemetry.count({ site: SITE, kind: 'locator' })).toBe(0)
    expect(await mw.telemetry.count({ site: SITE, kind: 'dust' })).toBe(70)
    // the alert and its history are kept (a day later the silent monitor marks it no_data: a new transition, nothing removed)
    const after = await (await api(mw, `/api/v1/alerts/${alert.id}`)).json() as Detail
    expect(after.alert).toMatchObject({ id: history.alert.id, state: history.alert.state, firedAt: history.alert.firedAt })
    expect(after.history.slice(0, history.history.length)).toEqual(history.history)
    expect(await mw.telemetry.dayFacts({ site: SITE, from: day, to: day + DAY })).toEqual(facts)
    const text = await (await api(mw, '/metrics')).text()
    expect(text).toMatch(/minewatch_retention_deleted_rows_total\{kind="locator"\} 300/)
    expect(text).toMatch(/minewatch_retention_freed_bytes_total \d+/)
  }, 60_000)
})
