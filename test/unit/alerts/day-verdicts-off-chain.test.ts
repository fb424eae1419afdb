/**
 * The whole-day verdicts' store queries do not hold up the alert chain: readings evaluated while
 * a finished day is judged are judged and their alerts stored at once. At start-up under heavy
 * ingest the queries for yesterday took 4.5–15 s, and every batch of readings waiting behind
 * them stayed in memory (docs/performance.md, round 6). A reading of the judged day evaluated
 * while its queries ran is judged again; the verdict is applied, and close() waits for it.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { ManualClock } from '../../../core/clock.js'
import { makeConfig, startRig, dust, type Rig } from './fixture.js'
import type { Reading } from '../../../core/readings.js'
import type { SeriesPoint, SeriesQuery } from '../../../store/telemetry.js'
import { MINUTE, DAY, beijingDate, beijingDateToMs } from '../../../core/time.js'

let rig: Rig | undefined
afterEach(async () => { await rig?.close(); rig = undefined })

const day = beijingDateToMs('2025-03-01')
const subject = `recycling_rate:${beijingDate(day)}`

/** The whole day of both meters every 5 minutes: 60 % recycled, under the 0.85 floor. */
function meterDay (): Reading[] {
  const out: Reading[] = []
  for (let i = 0; i < 288; i++) {
    const ts = day + i * 5 * MINUTE
    out.push({ site: 'site-a', device: 'W-FRESH', kind: 'water', ts, values: { totalM3: 1000 + i * 40 / 12, flowM3h: 40 } })
    out.push({ site: 'site-a', device: 'W-REC', kind: 'water', ts, values: { totalM3: 50_000 + i * 60 / 12, flowM3h: 60 } })
  }
  return out
}

async function until (cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!await cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface Held { q: SeriesQuery, release: () => void }

/**
 * Holds the store's series queries matching `match`, before they run (`before`) or once their
 * result is read (`after`: listed only then, so what is stored later is not in it).
 */
function holdSeries (r: Rig, match: (q: SeriesQuery) => boolean, when: 'before' | 'after'): Held[] {
  const series = r.telemetry.series.bind(r.telemetry)
  const held: Held[] = []
  r.telemetry.series = (q) => {
    if (!match(q)) return series(q)
    return new Promise<SeriesPoint[]>((resolve, reject) => {
      if (when === 'before') { held.push({ q, release: () => { series(q).then(resolve, reject) } }); return }
      series(q).then((points) => { held.push({ q, release: () => { resolve(points) } }) }, reject)
    })
  }
  return held
}

/** Every later query passes (those already held wait for their release). */
function passAll (r: Rig): void {
  r.telemetry.series = Object.getPrototypeOf(r.telemetry).series.bind(r.telemetry)
}

const waterAlert = async (r: Rig) => (await r.state.alerts.open()).find((a) => a.subject === subject)

describe('alert engine: whole-day verdicts off the serial chain', () => {
  it('readings evaluated while a finished day is judged are judged and stored without waiting for its queries', async () => {
    rig = await startRig(makeConfig(), { clock: new ManualClock(day + DAY - 2 * MINUTE) })
    const r = rig
    await r.feed(meterDay()) // the day is not over yet: nothing judges it
    const held = holdSeries(r, () => true, 'before')
    r.clock.set(day + DAY + MINUTE)
    const ticked = r.engine.tick()
    await until(() => held.length > 0, 'the verdict to reach its queries')

    // five flagged readings: a data-quality alert, stored while the verdict's queries are held
    const evaluated = r.engine.evaluate(Array.from({ length: 30 }, (_, i) => dust(day + DAY + i * MINUTE, 0.3, { flag: i >= 25 ? 'D' : 'N' })))
    const outcome = await Promise.race([evaluated.then(() => 'evaluated'), ticked.then(() => 'judged first')])
    expect(outcome).toBe('evaluated')
    expect((await r.state.alerts.open()).map((a) => a.subject)).toContain('D1:flag')
    expect(await waterAlert(r)).toBeUndefined()

    // released (and every later query passes): the verdict is applied before the tick returns
    passAll(r)
    for (const h of held) h.release()
    await ticked
    expect(await waterAlert(r)).toMatchObject({ kind: 'water_recycling_low', severity: 'alarm', state: 'firing', value: expect.closeTo(0.6, 6) })
  })

  it('a late reading of the day stored after its queries ran is judged again: the alert resolves saying why', async () => {
    rig = await startRig(makeConfig([], { dayFactsRefreshS: 86_400 }), { clock: new ManualClock(day + DAY - 2 * MINUTE) })
    const r = rig
    await r.feed(meterDay())
    await r.engine.refreshDayFacts() // the day facts read the same series: not again in this test
    // the verdict's minute totals of the day are read, then held: what is stored after this is not in it
    const seen: [string, string, number | null][] = []
    r.engine.onTransition((t) => { if (t.kind === 'water_recycling_low' && t.at >= day + DAY) seen.push([t.to, t.reason, t.value]) })
    const held = holdSeries(r, (q) => q.kind === 'water' && q.agg === 'last' && q.stepMs === MINUTE && q.from === day, 'after')
    r.clock.set(day + DAY + MINUTE)
    const ticked = r.engine.tick()
    await until(() => held.length > 0, 'the verdict to read the day')
    // W-REC's last reading was already of this day: its late reading still says the day changed
    await r.feed([{ site: 'site-a', device: 'W-REC', kind: 'water', ts: day + DAY - 2 * MINUTE, values: { totalM3: 61_500, flowM3h: 60 } }])
    passAll(r)
    for (const h of held) h.release()
    await ticked
    // the verdict on what it read (a tick of the engine's timer may already have judged it again)
    expect(seen[0]).toEqual(['firing', 'day_rate_below_floor', expect.closeTo(0.6, 6)])

    await r.engine.tick() // judged again with the late reading: 92 % recycled
    await until(() => seen.length >= 2, 'the day to be judged again')
    expect(seen.map(([to, reason]) => [to, reason])).toEqual([['firing', 'day_rate_below_floor'], ['resolved', 'late_data_day_rate_at_floor']])
    expect(seen[1]![2]).toBeGreaterThan(0.85)
    expect(await waterAlert(r)).toBeUndefined()
  })

  it('close() waits for a judgement already running and applies it', async () => {
    rig = await startRig(makeConfig(), { clock: new ManualClock(day + DAY - 2 * MINUTE) })
    const r = rig
    await r.feed(meterDay())
    const held = holdSeries(r, () => true, 'before')
    r.clock.set(day + DAY + MINUTE)
    void r.engine.tick()
    await until(() => held.length > 0, 'the verdict to reach its queries')
    const order: string[] = []
    r.engine.onTransition((t) => { if (t.kind === 'water_recycling_low') order.push(`applied ${t.to}`) })
    const closing = r.engine.close().then(() => { order.push('closed') })
    passAll(r)
    for (const h of held) h.release()
    await closing
    expect(order).toEqual(['applied firing', 'closed'])
    expect(await waterAlert(r)).toMatchObject({ severity: 'alarm', state: 'firing' })
  })
})
