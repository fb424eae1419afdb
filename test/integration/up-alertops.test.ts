/**
 * Issue 16 (alert operations for a 24-hour control room) through `minewatch up`: readings over
 * MQTT, alerts over the HTTP API, deliveries to a local webhook receiver. One minewatch for the
 * whole file, on a manual clock the tests move (the engine's ticks read it), so nothing waits on
 * the wall clock.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { HOUR, MINUTE } from '../../core/time.js'

const ZJ = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'

interface AlertRow { id: string, kind: string, subject: string, state: string, firedAt: number, noDataSince?: number | null, message: string }
interface TransitionRow { from: string | null, to: string, reason: string, at: number, message: string }
interface Event { event: string, alert: AlertRow, transition: TransitionRow }

/** Event time starts 4 h ahead of the wall clock (hours of readings are never "in the future") and moves only when told. */
const clock = new ManualClock(Math.floor((Date.now() + 4 * HOUR) / MINUTE) * MINUTE)

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let receiver: Receiver

/** One TSP reading a minute from `from` for `minutes`, µg/m³ (the demo dust monitors' unit), with an HJ 212 flag. */
function tspMinutes (from: number, minutes: number, tspUg: number, startSeq: number, flag = 'N') {
  return Array.from({ length: minutes }, (_, i) => ({ ts: from + i * MINUTE, seq: startSeq + i, tsp: tspUg, flag }))
}

async function alertsOf (query: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function oneAlert (id: string): Promise<{ alert: AlertRow, history: TransitionRow[] }> {
  const res = await api(mw, `/api/v1/alerts/${id}`)
  expect(res.status).toBe(200)
  return await res.json() as never
}

/** Moves the clock to `t` and runs the engine's clock-driven checks once. */
async function tickAt (t: number): Promise<void> {
  clock.set(t)
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

function events (): Event[] {
  return receiver.deliveries.map((d) => JSON.parse(d.body) as Event)
}

beforeAll(async () => {
  receiver = await startReceiver()
  mw = await startTestMinewatch({
    clock,
    config: demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${receiver.url}", secret: ${SECRET}, allowHttp: true, sites: [${ZJ}], minSeverity: warning }
`)
  })
})

afterAll(async () => {
  await mw?.cleanup()
  await receiver?.close()
})

describe('issue 16 point 8: "no data" is not "resolved"', () => {
  it('a firing dust alert whose monitor goes silent stays open, says its evidence is missing (API and webhook), and resolves only on readings', async () => {
    const t0 = clock.now() - HOUR
    // 1.5 mg/m³ for an hour at a boundary monitor: above GB 16297-1996's 1.0 (config/demo.yaml)
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(t0, 60, 1500, 0))
    await mw.alerts.idle()
    const [dust] = (await alertsOf(`site=${ZJ}&kind=dust_exceedance`)).filter((a) => a.subject.startsWith('ZJ-DUST04:'))
    expect(dust).toMatchObject({ state: 'firing', noDataSince: null })

    // the monitor says nothing for two hours: offline after 3 × 60 s, the dust alert stays firing and is marked
    const lastSeen = t0 + 59 * MINUTE
    await tickAt(lastSeen + 2 * HOUR)
    const offline = await alertsOf(`site=${ZJ}&kind=device_offline&state=firing`)
    const since = offline.find((a) => a.subject === 'ZJ-DUST04')!.firedAt // 3 × 60 s after the monitor was last heard of
    expect(since).toBeGreaterThan(lastSeen)
    const silent = await oneAlert(dust!.id)
    expect(silent.alert.state).toBe('firing')
    expect(silent.alert.noDataSince).toBe(since)
    expect(silent.history.map((t) => [t.from, t.to, t.reason])).toEqual([[null, 'firing', 'avg_above_limit_for_hold'], ['firing', 'firing', 'no_data']])
    expect(silent.history[1]!.message).toContain('证据缺失')
    await waitFor(() => events().some((e) => e.alert.id === dust!.id && e.event === 'alert.no_data'), 10_000, 'alert.no_data delivery')
    const noData = events().find((e) => e.alert.id === dust!.id && e.event === 'alert.no_data')!
    expect(noData.alert.noDataSince).toBe(since)
    expect(noData.transition.reason).toBe('no_data')

    // back at its cadence with clean air: the mark is lifted at once, the alert clears only when the
    // readings say so (the window's average below clearBelow for clearHoldS)
    const back = lastSeen + 2 * HOUR
    clock.set(back + 80 * MINUTE) // the readings below are not in the future
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(back, 3, 100, 1000))
    await mw.alerts.idle()
    const returned = await oneAlert(dust!.id)
    expect(returned.alert).toMatchObject({ state: 'firing', noDataSince: null })
    expect(returned.history.at(-1)!.reason).toBe('data_back')
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(back + 3 * MINUTE, 70, 100, 2000))
    await mw.alerts.idle()
    const cleared = await oneAlert(dust!.id)
    expect(cleared.alert).toMatchObject({ state: 'resolved', noDataSince: null })
    expect(cleared.history.at(-1)!.reason).toBe('avg_below_clear_level_for_clear_hold')
  })

  it('a data-quality alert is not cleared by one clean reading after a silence (the silence is no evidence)', async () => {
    const t0 = clock.now() - 2 * HOUR
    // HJ 212 flag D (fault) for 5 minutes, then nothing for 30 minutes, then one clean reading
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', tspMinutes(t0, 5, 0.2, 0, 'D'))
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', [{ ts: t0 + 35 * MINUTE, seq: 100, tsp: 0.2, flag: 'N' }])
    await mw.alerts.idle()
    // before the change: resolved by that one reading (35 min after the last bad one > CLEAN_FOR_S)
    const [flag] = (await alertsOf(`site=${ZJ}&kind=data_quality`)).filter((a) => a.subject === 'ZJ-DUST05:flag')
    expect(flag!.state).not.toBe('resolved')
    // clean readings spanning CLEAN_FOR_S (10 min) do clear it
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', tspMinutes(t0 + 36 * MINUTE, 11, 0.2, 200))
    await mw.alerts.idle()
    expect((await oneAlert(flag!.id)).alert.state).toBe('resolved')
  })
})
