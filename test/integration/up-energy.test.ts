/**
 * Issue 18 point 2 through `minewatch up`: a day of energy meter readings (two electricity
 * meters, one diesel meter counting litres) and truck-scale loads published over MQTT, stored,
 * judged by the energy_intensity_high day verdict (GB/T 2589-2020 coal equivalents per tonne of
 * ore, the demo quarry's 1.2 kgce/t limit), read back from the daily report (JSON and CSV) over
 * HTTP; late loads bring the day under the limit and the alert resolves saying why.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api } from '../helpers/minewatch.js'
import { beijingDate, beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import type { Minewatch } from '../../bin/up.js'

const ZJ = 'zj-huzhou-quarry'
/** Event time runs 4 h ahead of the wall clock, as in the other up tests. */
const clock = { now: () => Date.now() + 4 * HOUR }
const DAY0 = beijingDayStart(clock.now()) - DAY // yesterday, Beijing: a finished day
const DATE = beijingDate(DAY0)

interface AlertRow { id: string, kind: string, subject: string, state: string, severity: string, value: number | null, limit: number | null, unit: string, standard: string, message: string }
interface EnergyMeterRow { device: string, role: string, meter: string, unit: string, amount: number, kgce: number, resets: number, rollovers: number, backwards: number }
interface EnergySection { standard: string, electricityKwh: number, dieselKg: number, kgce: number, tce: number, oreOutputT: number, intensityKgcePerT: number | null, limitKgcePerT: number | null, aboveLimit: boolean | null, byRole: { role: string, kgce: number }[], meters: EnergyMeterRow[] }

/** Totaliser readings every 10 min over the day: `at(i)` gives the value of the i-th (0…143). */
function meterDay (field: string, at: (i: number) => number) {
  return Array.from({ length: 144 }, (_, i) => ({ ts: DAY0 + i * 10 * MINUTE + 30_000, seq: i, [field]: at(i) }))
}
/** `n` loads of `t` tonnes spread over [from, from + span). */
function loads (n: number, t: number, from: number, span: number, seq0: number) {
  return Array.from({ length: n }, (_, i) => ({ ts: from + Math.floor((i * span) / n), seq: seq0 + i, tonnes: t, truckId: `T${i % 7}` }))
}

let mw: Minewatch & { cleanup(): Promise<void> }
beforeAll(async () => {
  mw = await startTestMinewatch({ clock })
  expect(mw.registry.site(ZJ)!.energy).toMatchObject({ intensityLimitKgcePerT: 1.2, minOreT: 500, electricityKgcePerKwh: 0.1229, dieselKgcePerKg: 1.4571 })
}, 60_000)
afterAll(async () => { await mw?.cleanup() })

async function settle (): Promise<void> {
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

async function alerts (query: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&site=${ZJ}&${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function energy (): Promise<EnergySection> {
  const res = await api(mw, `/api/v1/reports/daily?site=${ZJ}&date=${DATE}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { energy: EnergySection }).energy
}

// crusher 2,000 kWh; conveyor 600 kWh with one backwards glitch (not counted);
// haulage diesel 800 L, its totaliser reset to 0 at noon (a new meter head: 400 L before, 400 L after)
const CRUSHER_KWH = 2_000
const CONVEYOR_KWH = 600
const DIESEL_L = 800
const KGCE = CRUSHER_KWH * 0.1229 + CONVEYOR_KWH * 0.1229 + DIESEL_L * 0.84 * 1.4571 // 1298.708… kgce

describe('energy through minewatch up (MQTT, store, day verdict, daily report over HTTP)', () => {
  it('a day above the intensity limit fires energy_intensity_high; the report shows the same figures', async () => {
    await publishReadings(mw, ZJ, 'energy', 'ZJ-EM01', meterDay('totalKwh', (i) => 50_000 + (i * CRUSHER_KWH) / 143))
    await publishReadings(mw, ZJ, 'energy', 'ZJ-EM02', meterDay('totalKwh', (i) => 8_000 + (i * CONVEYOR_KWH) / 143 - (i === 70 ? 50 : 0)))
    await publishReadings(mw, ZJ, 'energy', 'ZJ-FM01', meterDay('totalL', (i) => i < 72 ? 30_000 + (i * 400) / 71 : ((i - 72) * 400) / 71))
    await publishReadings(mw, ZJ, 'ore', 'ZJ-TS01', loads(20, 50, DAY0 + 7 * HOUR, 12 * HOUR, 0)) // 1,000 t
    await settle()

    // the conveyor meter's backwards step (neither a reset nor a rollover) is a data-quality problem
    const [dq] = (await alerts('kind=data_quality')).filter((x) => x.subject === 'ZJ-EM02:implausible')
    const dqHistory = await (await api(mw, `/api/v1/alerts/${dq!.id}`)).json() as { history: { to: string, reason: string, value: number | null, message: string }[] }
    expect(dqHistory.history[0]).toMatchObject({ to: 'firing', reason: 'totaliser_backwards' })
    expect(dqHistory.history[0]!.message).toContain('累计值倒走')
    expect((await alerts('kind=data_quality')).map((x) => x.subject)).toEqual(['ZJ-EM02:implausible']) // the diesel meter's reset is no problem

    const [a] = await alerts('kind=energy_intensity_high')
    expect(a).toMatchObject({ subject: `intensity:${DATE}`, state: 'firing', severity: 'warning', limit: 1.2, unit: 'kgce/t' })
    expect(a!.value).toBeCloseTo(KGCE / 1_000, 3)
    expect(a!.standard).toContain('GB/T 2589-2020')
    expect(a!.message).toContain('单位矿石能耗')

    const e = await energy()
    expect(e).toMatchObject({ standard: 'GB/T 2589-2020', oreOutputT: 1_000, limitKgcePerT: 1.2, aboveLimit: true })
    expect(e.electricityKwh).toBeCloseTo(CRUSHER_KWH + CONVEYOR_KWH, 6)
    expect(e.dieselKg).toBeCloseTo(DIESEL_L * 0.84, 6)
    expect(e.kgce).toBeCloseTo(KGCE, 6)
    expect(e.tce).toBeCloseTo(KGCE / 1_000, 9)
    expect(e.intensityKgcePerT).toBeCloseTo(a!.value!, 3) // the alert and the report: one rule
    const byDevice = Object.fromEntries(e.meters.map((m) => [m.device, m]))
    expect(byDevice['ZJ-FM01']).toMatchObject({ role: 'haulage', meter: 'diesel_l', unit: 'L', resets: 1, backwards: 0 })
    expect(byDevice['ZJ-FM01']!.amount).toBeCloseTo(DIESEL_L, 6)
    expect(byDevice['ZJ-EM02']).toMatchObject({ role: 'conveyor', backwards: 1 })
    expect(byDevice['ZJ-EM02']!.amount).toBeCloseTo(CONVEYOR_KWH, 6)
    expect(e.byRole.map((r) => r.role)).toEqual(['crusher', 'haulage', 'conveyor'])

    const csv = await (await api(mw, `/api/v1/reports/daily?site=${ZJ}&date=${DATE}`, undefined, { headers: { accept: 'text/csv' } })).text()
    const row = (item: string) => csv.split('\r\n').map((l) => l.split(',')).find((c) => c[2] === 'energy' && c[3] === item)!
    expect(row('intensity').slice(4)).toEqual(['', expect.any(String), '1.2', 'kgce/t'])
    expect(Number(row('intensity')[5])).toBeCloseTo(KGCE / 1_000, 6)
    expect(row('haulage').slice(4)).toEqual(['ZJ-FM01', expect.any(String), '', 'L'])
    expect(Number(row('haulage')[5])).toBeCloseTo(DIESEL_L, 6)
    expect(Number(row('standard_coal')[5])).toBeCloseTo(KGCE / 1_000, 6)
  })

  it('late loads inside the acceptance window bring the day under the limit: the alert resolves with the reason', async () => {
    await publishReadings(mw, ZJ, 'ore', 'ZJ-TS01', loads(4, 50, DAY0 + 20 * HOUR, HOUR, 100)) // 1,200 t: 1.08 kgce/t
    await settle()
    const [a] = await alerts('kind=energy_intensity_high')
    const res = await (await api(mw, `/api/v1/alerts/${a!.id}`)).json() as { alert: AlertRow, history: { to: string, reason: string }[] }
    expect(res.alert.state).toBe('resolved')
    expect(res.alert.value).toBeCloseTo(KGCE / 1_200, 3)
    expect(res.history.map((t) => [t.to, t.reason])).toEqual([['firing', 'day_intensity_above_limit'], ['resolved', 'late_data_day_intensity_within_limit']])
    const e = await energy()
    expect(e).toMatchObject({ oreOutputT: 1_200, aboveLimit: false })
  })

  it('the monthly report of that month equals the sum of its daily reports, each fetched over the API', async () => {
    const month = DATE.slice(0, 7)
    const res = await api(mw, `/api/v1/sites/${ZJ}/reports/monthly?month=${month}`)
    expect(res.status).toBe(200)
    const m = await res.json() as { days: number, energy: { kgce: number, oreOutputT: number, intensityKgcePerT: number | null, daysAboveLimit: number }, ore: { outputT: number }, water: { recycledM3: number, freshM3: number }, fence: { boundaryBreaches: number }, dust: { exceedanceMinutes: number }[], completeness: { device: string, expected: number, withData: number }[], cameras: { monitored: boolean } }
    const dailies: Array<{ energy: EnergySection, ore: { outputT: number }, water: { recycledM3: number, freshM3: number }, fence: { boundaryBreaches: number }, dust: { exceedanceMinutes: number }[], uptime: { device: string, expected: number, withData: number }[] }> = []
    for (let day = Date.parse(`${month}-01T00:00:00+08:00`); day <= clock.now() && beijingDate(day).startsWith(month); day += DAY) {
      const d = await api(mw, `/api/v1/reports/daily?site=${ZJ}&date=${beijingDate(day)}`)
      expect(d.status).toBe(200)
      dailies.push(await d.json() as never)
    }
    expect(m.days).toBe(dailies.length)
    const sum = (f: (d: (typeof dailies)[number]) => number) => dailies.reduce((n, d) => n + f(d), 0)
    expect(m.energy.kgce).toBeCloseTo(sum((d) => d.energy.kgce), 9)
    expect(m.energy.kgce).toBeGreaterThanOrEqual(KGCE - 1e-6) // the day of the test holds most of it
    expect(m.energy.oreOutputT).toBe(sum((d) => d.energy.oreOutputT))
    expect(m.energy.intensityKgcePerT).toBeCloseTo(sum((d) => d.energy.kgce) / sum((d) => d.ore.outputT), 9)
    expect(m.energy.daysAboveLimit).toBe(dailies.filter((d) => d.energy.aboveLimit === true).length)
    expect(m.ore.outputT).toBe(sum((d) => d.ore.outputT))
    expect(m.water.recycledM3).toBeCloseTo(sum((d) => d.water.recycledM3), 9)
    expect(m.water.freshM3).toBeCloseTo(sum((d) => d.water.freshM3), 9)
    expect(m.fence.boundaryBreaches).toBe(sum((d) => d.fence.boundaryBreaches))
    m.dust.forEach((row, i) => expect(row.exceedanceMinutes).toBe(sum((d) => d.dust[i]!.exceedanceMinutes)))
    for (const c of m.completeness) {
      expect(c.expected).toBe(sum((d) => d.uptime.find((u) => u.device === c.device)!.expected))
      expect(c.withData).toBe(sum((d) => d.uptime.find((u) => u.device === c.device)!.withData))
    }
    expect(m.completeness.find((c) => c.device === 'ZJ-EM01')!.withData).toBeGreaterThanOrEqual(144) // a reading every 10 min of DAY0, 300 s intervals
    expect(m.cameras.monitored).toBe(false)
    const bad = await api(mw, `/api/v1/sites/${ZJ}/reports/monthly?month=2026-13`)
    expect(bad.status).toBe(400)
  })
})
