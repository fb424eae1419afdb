/**
 * Finding 4 of issue 13 (and the negative values of finding 9): huge finite numbers broke
 * reports. Two readings of `tsp: 1.7e308` made sums and means Infinity, and /series and the
 * daily report answered 500 for that site and day, permanently. Every field now has a plausible
 * range at intake (core/plausibility.ts), refused as `implausible_value` with the reason, so no
 * stored value can overflow an aggregate.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice, api } from '../helpers/minewatch.js'
import { beijingDate } from '../../core/time.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

async function publish (device: string, kind: string, payload: unknown): Promise<void> {
  const c = await connectDevice(mw.mqttPort, device)
  try {
    await c.publishAsync(`mines/${SITE}/${kind}/${device}`, JSON.stringify(payload), { qos: 1 })
  } finally {
    await c.endAsync()
  }
}

describe('implausible values at intake', () => {
  it('refuses 1.7e308 (mg/m³ and µg/m³ devices) with its range, and reports stay finite', async () => {
    const now = Date.now()
    await publish('ZJ-DUST05', 'dust', [{ ts: now - 2000, seq: 1, tsp: 1.7e308 }, { ts: now - 1000, seq: 2, tsp: 1.7e308 }, { ts: now, seq: 3, tsp: 0.4 }])
    await publish('ZJ-DUST01', 'dust', { ts: now, seq: 1, tsp: 1.7e308 }) // µg/m³: still 1.7e305 mg/m³
    const r5 = await mw.state.rejects.list({ device: 'ZJ-DUST05', limit: 10 })
    expect(r5).toHaveLength(1)
    expect(r5[0]).toMatchObject({ reason: 'implausible_value', count: 2, site: SITE })
    expect(r5[0]!.detail).toMatch(/^2 of 3 readings: \[0\]\.tsp: 1\.7e\+308 mg\/m³ is outside 0…1000 mg\/m³ \(/)
    const r1 = await mw.state.rejects.list({ device: 'ZJ-DUST01', limit: 10 })
    expect(r1[0]).toMatchObject({ reason: 'implausible_value', count: 1 })

    for (const agg of ['sum', 'mean', 'max']) {
      const res = await api(mw, `/api/v1/series?site=${SITE}&kind=dust&field=tsp&device=ZJ-DUST05&from=${now - 60_000}&to=${now + 1000}&step=1h&agg=${agg}`)
      expect(res.status, agg).toBe(200)
      const body = await res.json() as { points: { value: number }[] }
      expect(body.points.length).toBeGreaterThan(0)
      for (const p of body.points) expect(p.value).toBeCloseTo(0.4, 6)
    }
    const report = await api(mw, `/api/v1/reports/daily?site=${SITE}&date=${beijingDate(now)}`)
    expect(report.status).toBe(200)
  })

  it('refuses negative concentrations and negative tonnes', async () => {
    const now = Date.now()
    await publish('ZJ-DUST02', 'dust', { ts: now, seq: 9, pm10: -5 })
    await publish('ZJ-TS01', 'ore', { ts: now, seq: 9, tonnes: -58.2 })
    const dust = await mw.state.rejects.list({ device: 'ZJ-DUST02', limit: 10 })
    expect(dust[0]).toMatchObject({ reason: 'implausible_value', count: 1 })
    expect(dust[0]!.detail).toContain('pm10: -0.005 mg/m³ is outside 0…1000 mg/m³ (a concentration is never negative')
    const ore = await mw.state.rejects.list({ device: 'ZJ-TS01', limit: 10 })
    expect(ore[0]).toMatchObject({ reason: 'implausible_value', count: 1 })
    expect(ore[0]!.detail).toContain('tonnes: -58.2 t is outside 0…10000 t')
    expect(await mw.telemetry.latest({ site: SITE, device: 'ZJ-TS01' })).toEqual([])
  })
})
