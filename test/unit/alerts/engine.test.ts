import { FORMULA_INFO } from '../../../core/water.js'
import { describe, it, expect, afterEach } from 'vitest'
import { makeConfig, startRig, dust, fix, T0, type Rig } from './fixture.js'
import type { AlertTransition } from '../../../core/alerts.js'
import type { Reading } from '../../../core/readings.js'
import { isMinewatchError } from '../../../core/errors.js'
import { MINUTE, SECOND, HOUR, beijingDateToMs } from '../../../core/time.js'
import type { AlertEvent } from '../../../alerts/index.js'

let rig: Rig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

function minutes (from: number, n: number, f: (i: number, ts: number) => Reading): Reading[] {
  return Array.from({ length: n }, (_, i) => f(i, from + i * MINUTE))
}

describe('alert engine (DuckDB state store in memory)', () => {
  it('dust: one alert through a 3-hour episode, Chinese text naming site, device, value, limit and standard; MQTT topic', async () => {
    rig = await startRig(makeConfig([{ id: 'bus', type: 'mqtt' }]))
    const seen: AlertTransition[] = []
    rig.engine.onTransition((t) => seen.push(t))
    // one batch of 6 hours: clean hour, 3 dusty hours, 2 clean hours
    await rig.engine.evaluate(minutes(T0, 360, (i, ts) => dust(ts, i >= 60 && i < 240 ? 1.8 : 0.2)))
    await rig.engine.idle()
    const dustT = seen.filter((t) => t.kind === 'dust_exceedance')
    expect(dustT.map((t) => `${t.from}->${t.to}`)).toEqual(['null->firing', 'firing->resolved'])
    const fired = dustT[0]!
    expect(fired.severity).toBe('alarm')
    expect(fired.message).toContain('测试矿山')
    expect(fired.message).toContain('扬尘监测 1(D1)')
    expect(fired.message).toContain('TSP')
    expect(fired.message).toContain('GB 16297-1996')
    expect(fired.message).toMatch(/均值 1\.\d+ mg\/m³,超过限值 1 mg\/m³/)
    const history = await rig.state.alerts.history(fired.alertId)
    expect(history.map((t) => t.to)).toEqual(['firing', 'resolved'])
    const stored = await rig.state.alerts.get(fired.alertId)
    expect(stored).toMatchObject({ state: 'resolved', subject: 'D1:tsp:3600', device: 'D1', unit: 'mg/m³', standard: 'GB 16297-1996' })
    const mq = rig.published.filter((p) => p.topic === 'alerts/site-a/dust_exceedance')
    expect(mq.length).toBe(2)
    const ev = JSON.parse(mq[0]!.payload) as AlertEvent
    expect(ev).toMatchObject({ event: 'alert.firing', subscription: 'bus', alert: { id: fired.alertId }, transition: { seq: fired.seq } })
  })

  it('data_quality and English texts for a subscription that asks for them; minSeverity filters', async () => {
    rig = await startRig(makeConfig([{ id: 'en', type: 'mqtt', language: 'en' }, { id: 'alarms-only', type: 'mqtt', minSeverity: 'alarm' }]))
    await rig.engine.evaluate([
      ...minutes(T0, 30, (i, ts) => dust(ts, 0.3, { flag: i >= 25 ? 'D' : 'N' })),
      dust(T0 + 31 * MINUTE, 0.3, { pm25: 0.9 })
    ])
    await rig.engine.idle()
    const open = await rig.state.alerts.open()
    expect(open.map((a) => a.subject).sort()).toEqual(['D1:flag', 'D1:implausible'])
    const en = rig.published.map((p) => JSON.parse(p.payload) as AlertEvent).filter((e) => e.subscription === 'en')
    expect(en.map((e) => e.text)).toEqual(expect.arrayContaining([
      expect.stringContaining("[WARNING] data quality problem · 测试矿山: 扬尘监测 1 (D1): data flag D (fault)"),
      expect.stringContaining('PM2.5 above PM10')
    ]))
    expect(rig.published.some((p) => (JSON.parse(p.payload) as AlertEvent).subscription === 'alarms-only')).toBe(false)
  })

  it('ack: firing → acknowledged with by and note; conflicts and unknown ids are specific errors', async () => {
    rig = await startRig(makeConfig())
    const fixes = Array.from({ length: 6 }, (_, i) => fix(T0 + i * 5 * SECOND, 700))
    await rig.engine.evaluate(fixes)
    const [a] = await rig.state.alerts.open()
    expect(a).toMatchObject({ kind: 'boundary_breach', subject: 'TRK-7', severity: 'alarm', state: 'firing', device: 'LOC1' })
    expect(a!.message).toContain('越出采矿许可范围')
    const acked = await rig.engine.ack(a!.id, '张工', '已通知司机返回')
    expect(acked).toMatchObject({ state: 'acknowledged', ackedBy: '张工', ackNote: '已通知司机返回' })
    expect((await rig.state.alerts.get(a!.id))!.state).toBe('acknowledged')
    await expect(rig.engine.ack(a!.id, '张工', 'again')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_CONFLICT'))
    await expect(rig.engine.ack('no-such-alert', 'x', '')).rejects.toSatisfy((e) => isMinewatchError(e, 'MW_NOT_FOUND'))
    // more fixes outside: still one open alert (no re-fire while open), then back inside resolves it
    await rig.engine.evaluate(Array.from({ length: 20 }, (_, i) => fix(T0 + (10 + i) * 5 * SECOND, 700)))
    expect((await rig.state.alerts.open()).length).toBe(1)
    await rig.engine.evaluate(Array.from({ length: 3 }, (_, i) => fix(T0 + (40 + i) * 5 * SECOND, 200)))
    await rig.engine.evaluate(Array.from({ length: 3 }, (_, i) => fix(T0 + (50 + i) * 5 * SECOND, 200)))
    // the locator's gaps between the batches of fixes are outages (device_offline): each marks the open
    // alert's evidence missing and back (no_data / data_back, state unchanged), never resolves it
    const all = await rig.state.alerts.history(a!.id)
    expect(all.filter((t) => t.from === t.to).every((t) => t.reason === 'no_data' || t.reason === 'data_back')).toBe(true)
    const h = all.filter((t) => t.from !== t.to)
    expect(h.map((t) => t.to)).toEqual(['firing', 'acknowledged', 'resolved'])
    expect(h[1]!.by).toBe('张工')
    // entering the blasting zone: zone_intrusion with the zone named
    await rig.engine.evaluate(Array.from({ length: 4 }, (_, i) => fix(T0 + (60 + i) * 5 * SECOND, 0, 'P-12', 1)))
    const zone = (await rig.state.alerts.open()).find((x) => x.kind === 'zone_intrusion')
    expect(zone).toMatchObject({ subject: 'blast-1:P-12', severity: 'alarm' })
    expect(zone!.message).toContain('爆破警戒区')
  })

  it('an acknowledged warning that escalates to alarm fires again (over_capacity: month share, then year licence)', async () => {
    rig = await startRig(makeConfig())
    const loads = (from: number, n: number, t: number): Reading[] =>
      Array.from({ length: n }, (_, i) => ({ site: 'site-a', device: 'TS1', kind: 'ore', ts: from + i * HOUR, values: { tonnes: t, truckId: 'TRK-1' } }))
    const jan = beijingDateToMs('2025-01-01')
    await rig.engine.evaluate(loads(jan, 24 * 30, 160)) // 115 kt in January: over 110 kt
    const [w] = await rig.state.alerts.open()
    expect(w).toMatchObject({ kind: 'over_capacity', severity: 'warning', subject: 'output' })
    await rig.engine.ack(w!.id, 'ops', 'checking the scale')
    await rig.engine.evaluate(loads(jan + 30 * 24 * HOUR, 24, 2_000_000 / 24)) // a bogus 2 Mt day: over the year
    const [a] = await rig.state.alerts.open()
    expect(a).toMatchObject({ id: w!.id, severity: 'alarm', state: 'firing' })
    expect((await rig.state.alerts.history(w!.id)).map((t) => `${t.to}:${t.severity}:${t.reason}`)).toEqual([
      'firing:warning:month_to_date_above_pro_rata', 'acknowledged:warning:acknowledged', 'firing:alarm:escalated:year_to_date_above_licence'
    ])
  })

  it('water: meters by role feed the day rate; a totaliser running backwards is a data_quality alert', async () => {
    rig = await startRig(makeConfig())
    const day = beijingDateToMs('2025-03-01')
    const readings: Reading[] = []
    let fresh = 1000; let rec = 50_000
    for (let t = day; t < day + 8 * HOUR; t += 5 * MINUTE) {
      fresh += 40 / 12; rec += 60 / 12 // 60 % recycled: under the 0.85 floor
      readings.push({ site: 'site-a', device: 'W-FRESH', kind: 'water', ts: t, values: { totalM3: fresh, flowM3h: 40 } })
      readings.push({ site: 'site-a', device: 'W-REC', kind: 'water', ts: t, values: { totalM3: t === day + 7 * HOUR ? rec - 500 : rec, flowM3h: 60 } })
    }
    await rig.engine.evaluate(readings)
    const open = await rig.state.alerts.open()
    const water = open.find((a) => a.kind === 'water_recycling_low')!
    // the default formula is the reuse rate, and its text says so instead of citing Gansu's beneficiation indicator (finding 8)
    expect(water).toMatchObject({ severity: 'warning', firedAt: day + 6 * HOUR, subject: 'recycling_rate', standard: FORMULA_INFO.reuse.standard })
    expect(water.value!).toBeCloseTo(0.6, 2)
    expect(water.message).toMatch(/当日累计水重复利用率 (59|60)\.\d%,下限 85\.0%\(水重复利用率 = /)
    expect(water.message).not.toContain('甘资字')
    // one bad step, then clean readings: fired at 07:00, resolved once clean readings span 10 min (07:05 to 07:15)
    const back = (await rig.state.alerts.list({ kind: 'data_quality', limit: 10 })).items.find((a) => a.subject === 'W-REC:implausible')!
    expect(back).toMatchObject({ state: 'resolved', firedAt: day + 7 * HOUR, resolvedAt: day + 7 * HOUR + 15 * MINUTE })
    expect((await rig.state.alerts.history(back.id))[0]!.reason).toBe('totaliser_backwards')
  })

  it('device_offline on the clock (tick), resolved once the device reports again', async () => {
    rig = await startRig(makeConfig([], { offlineFactor: 3 }))
    await rig.engine.evaluate([dust(T0, 0.3)])
    rig.clock.advance(2 * MINUTE)
    await rig.engine.tick()
    expect((await rig.state.alerts.open()).filter((a) => a.subject === 'D1')).toEqual([])
    rig.clock.advance(2 * MINUTE)
    await rig.engine.tick()
    await rig.engine.tick()
    const off = (await rig.state.alerts.open()).filter((a) => a.kind === 'device_offline')
    // every configured device has been silent since start: each has one alert (LOC1 after 15 s, the scale after 15 min not yet)
    expect(off.map((a) => a.subject).sort()).toEqual(['D1', 'LOC1', 'W-FRESH', 'W-REC'])
    const d1 = off.find((a) => a.subject === 'D1')!
    expect(d1.firedAt).toBe(T0 + 3 * MINUTE)
    expect(d1.message).toContain('扬尘监测 1(D1)')
    await rig.engine.evaluate([dust(T0 + 5 * MINUTE, 0.3), dust(T0 + 6 * MINUTE, 0.31)])
    expect((await rig.state.alerts.get(d1.id))!.state).toBe('resolved')
  })
})
