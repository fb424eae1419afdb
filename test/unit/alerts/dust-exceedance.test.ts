import { describe, it, expect } from 'vitest'
import { createDustState, evaluateDust, dustAverage, WINDOW_BUCKETS, type DustState } from '../../../alerts/rules/dust-exceedance.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import type { DustLimit } from '../../../core/sites.js'
import { MINUTE, HOUR } from '../../../core/time.js'

const T0 = Date.UTC(2025, 2, 1, 0, 0, 0)
// GB 16297-1996 boundary TSP: 1.0 mg/m³ over 1 h, hold 5 min, clear below 0.8 for 15 min
const TSP: DustLimit = { metric: 'tsp', limit: 1.0, windowS: 3600, holdS: 300, clearBelow: 0.8, clearHoldS: 900, severity: 'alarm', standard: 'GB 16297-1996' }

/** Feeds one reading a minute from `from` for `minutes`, value from f(minute index); returns the signals. */
function drive (s: DustState, from: number, minutes: number, f: (i: number) => number): Signal[] {
  const out: Signal[] = []
  for (let i = 0; i < minutes; i++) {
    const ts = from + i * MINUTE
    const sig = evaluateDust(s, f(i), ts, ts)
    if (sig) out.push(sig)
  }
  return out
}

describe('dust_exceedance rule', () => {
  it('needs a covered window (GB 3095-2012 §8: 45 of 60 minutes) before it judges', () => {
    const s = createDustState(TSP)
    expect(drive(s, T0, 44, () => 3)).toEqual([])
    expect(Number.isNaN(dustAverage(s))).toBe(true)
    drive(s, T0 + 44 * MINUTE, 1, () => 3)
    expect(dustAverage(s)).toBeCloseTo(3)
  })

  it('counts coverage in the monitor\'s own reports: a 5-minute monitor is judged after 9 of 12 reports (45 minutes)', () => {
    const s = createDustState(TSP, 300)
    expect(s.buckets).toBe(12)
    const sigs: Signal[] = []
    for (let i = 0; i < 24; i++) {
      const ts = T0 + 17_000 + i * 5 * MINUTE // reports not aligned to the buckets
      if (i === 8) expect(Number.isNaN(dustAverage(s))).toBe(true) // 8 reports: 40 minutes, not yet valid
      const sig = evaluateDust(s, 3, ts, ts)
      if (sig) sigs.push(sig)
    }
    expect(dustAverage(s)).toBeCloseTo(3)
    expect(sigs.map((x) => x.type)).toEqual(['fire']) // with 60 one-minute buckets it could never reach 45 filled
    const hourly = createDustState(TSP, 3600) // a monitor that sends its hourly mean
    expect(hourly.buckets).toBe(1)
    evaluateDust(hourly, 2, T0, T0)
    expect(dustAverage(hourly)).toBe(2)
  })

  it('fires after holdS above the limit, holds without re-firing, clears after clearHoldS below clearBelow', () => {
    const s = createDustState(TSP)
    // 1 h clean, then 3 h heavy dust, then 4 h clean: 8 hours of event time
    const sigs = drive(s, T0, 8 * 60, (i) => (i >= 60 && i < 240 ? 1.6 : 0.3))
    expect(sigs.map((x) => x.type)).toEqual(['fire', 'resolve'])
    const [f, r] = sigs as [Signal, Signal]
    expect(f.severity).toBe('alarm')
    expect(f.limit).toBe(1.0)
    expect(f.value!).toBeGreaterThan(1.0)
    // the 1 h average crosses 1.0 when more than 7/13 of the window is dusty (~33 min), plus the 5 min hold
    expect(f.at).toBeGreaterThan(T0 + HOUR + 30 * MINUTE)
    expect(f.at).toBeLessThan(T0 + HOUR + 45 * MINUTE)
    // clears: average under 0.8 (needs ~38 clean minutes), then 15 min clear hold
    expect(r.at - (T0 + 4 * HOUR)).toBeGreaterThanOrEqual(15 * MINUTE)
    expect(r.value!).toBeLessThan(0.8)
  })

  it('does not flap when the average hovers around the limit', () => {
    const s = createDustState(TSP)
    // average oscillates between 0.95 and 1.05 for 6 hours: a 1.0 limit with clearBelow 0.8 gives one alert, no resolve
    const sigs = drive(s, T0, 6 * 60, (i) => (Math.floor(i / 10) % 2 === 0 ? 1.3 : 0.75))
    expect(sigs.filter((x) => x.type === 'fire').length).toBeLessThanOrEqual(1)
    expect(sigs.filter((x) => x.type === 'resolve').length).toBe(0)
    // and short spikes that never hold for holdS do not fire at all
    const t = createDustState({ ...TSP, holdS: 1800 })
    const spikes = drive(t, T0, 6 * 60, (i) => (i % 60 < 40 ? 0.5 : 1.9))
    expect(spikes).toEqual([])
  })

  it('ignores non-N/T readings (they are data_quality) and late readings outside the window', () => {
    const s = createDustState(TSP)
    expect(drive(s, T0, 2 * 60, () => NaN)).toEqual([]) // e.g. flag D: value not counted
    expect(Number.isNaN(dustAverage(s))).toBe(true)
    drive(s, T0 + 2 * HOUR, 60, () => 0.5)
    const avg = dustAverage(s)
    evaluateDust(s, 50, T0, T0) // two hours late: outside the window, ignored
    expect(dustAverage(s)).toBe(avg)
  })

  it('escalates to alarm past maxPerDay exceedances in a Beijing day', () => {
    const s = createDustState({ ...TSP, severity: 'warning', maxPerDay: 1, holdS: 0, clearHoldS: 0 })
    const sigs = drive(s, T0, 10 * 60, (i) => (Math.floor(i / 120) % 2 === 0 ? 0.2 : 3))
    const fires = sigs.filter((x) => x.type === 'fire')
    expect(fires.map((x) => x.severity)).toEqual(['warning', 'alarm'])
  })

  it('same alerts whatever the arrival pattern: a window is a ring of buckets of windowS/60', () => {
    expect(createDustState(TSP).bucketMs).toBe(HOUR / WINDOW_BUCKETS)
  })
})
