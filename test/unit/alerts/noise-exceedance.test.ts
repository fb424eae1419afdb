import { describe, it, expect } from 'vitest'
import { createNoiseState, evaluateNoiseHour, evaluateNoisePeak, type NoiseState } from '../../../alerts/rules/noise-exceedance.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { noiseSettingsSchema } from '../../../core/noise.js'
import { HOUR, MINUTE } from '../../../core/time.js'

// 2025-03-01 00:00 Beijing
const BJ0 = Date.UTC(2025, 1, 28, 16, 0, 0)
const CLASS2 = noiseSettingsSchema.parse({ zoneClass: 2 }) // day 60, night 50, frequent peaks +10

/** One reading a minute from `from` for `minutes`, level from f(minute index). */
function drive (s: NoiseState, from: number, minutes: number, f: (i: number) => number, rule = evaluateNoiseHour): Signal[] {
  const out: Signal[] = []
  for (let i = 0; i < minutes; i++) {
    const sig = rule(s, f(i), from + i * MINUTE)
    if (sig) out.push(sig)
  }
  return out
}

describe('noise_exceedance rule (GB 12348-2008 hourly Leq)', () => {
  it('fires when an hour\'s Leq is above the day limit, judged at the next hour\'s first reading', () => {
    const s = createNoiseState(CLASS2)
    const day = BJ0 + 10 * HOUR
    expect(drive(s, day, 60, () => 62)).toEqual([]) // the hour is not finished yet
    const [f] = drive(s, day + HOUR, 1, () => 50)
    expect(f).toMatchObject({ type: 'fire', severity: 'alarm', limit: 60, reason: 'day_leq_above_limit', at: day + HOUR })
    expect(f!.value).toBeCloseTo(62, 6)
  })

  it('judges on energy: one loud quarter lifts a quiet hour above the limit', () => {
    const s = createNoiseState(CLASS2)
    const day = BJ0 + 10 * HOUR
    // 45 min at 55 and 15 min at 66: arithmetic mean 57.75 (below 60), Leq ≈ 60.9 (above)
    drive(s, day, 60, (i) => (i < 45 ? 55 : 66))
    const [f] = drive(s, day + HOUR, 1, () => 50)
    expect(f?.type).toBe('fire')
    expect(f!.value!).toBeCloseTo(60.908, 2)
  })

  it('uses the night limit for night hours', () => {
    const s = createNoiseState(CLASS2)
    const night = BJ0 + 23 * HOUR
    drive(s, night, 60, () => 55) // 55 is fine by day (60) but above the night 50
    const [f] = drive(s, night + HOUR, 1, () => 40)
    expect(f).toMatchObject({ type: 'fire', limit: 50, reason: 'night_leq_above_limit' })
  })

  it('holds without re-firing and clears only below limit − clearMarginDb (hysteresis)', () => {
    const s = createNoiseState(CLASS2)
    const day = BJ0 + 8 * HOUR
    const sigs = [
      ...drive(s, day, 60, () => 63),
      ...drive(s, day + HOUR, 60, () => 64), // fires at its first reading (hour 1 judged), holds
      ...drive(s, day + 2 * HOUR, 60, () => 59), // below 60 but not ≤ 58: stays open
      ...drive(s, day + 3 * HOUR, 60, () => 57), // ≤ 58: clears when judged
      ...drive(s, day + 4 * HOUR, 1, () => 57)
    ]
    expect(sigs.map((x) => x.type)).toEqual(['fire', 'resolve'])
    expect(sigs[1]).toMatchObject({ at: day + 4 * HOUR, limit: 60, reason: 'leq_below_clear_level_for_clear_hours' })
    expect(sigs[1]!.value).toBeCloseTo(57, 6)
  })

  it('holdHours: needs that many consecutive valid hours above', () => {
    const s = createNoiseState(noiseSettingsSchema.parse({ zoneClass: 2, holdHours: 2 }))
    const day = BJ0 + 8 * HOUR
    const levels = [63, 55, 63, 63, 50] // above, below (run broken), above, above: fires when the 4th hour is judged
    const sigs = levels.flatMap((l, h) => drive(s, day + h * HOUR, h === 4 ? 1 : 60, () => l))
    expect(sigs.map((x) => [x.type, x.at])).toEqual([['fire', day + 4 * HOUR]])
  })

  it('does not judge an hour with fewer than 45 minutes of counted data, and flagged readings do not count', () => {
    const s = createNoiseState(CLASS2)
    const day = BJ0 + 10 * HOUR
    // 40 counted minutes at 70, 20 flagged (NaN) minutes
    expect(drive(s, day, 60, (i) => (i < 40 ? 70 : NaN))).toEqual([])
    expect(drive(s, day + HOUR, 1, () => 50)).toEqual([])
  })

  it('ignores a late reading of an hour already judged', () => {
    const s = createNoiseState(CLASS2)
    const day = BJ0 + 10 * HOUR
    drive(s, day, 60, () => 50)
    drive(s, day + HOUR, 1, () => 50)
    expect(evaluateNoiseHour(s, 90, day + 30 * MINUTE)).toBeNull()
    expect(s.hour.count).toBe(1)
  })
})

describe('noise_exceedance night peak (夜间突发噪声)', () => {
  it('fires on one night reading above night limit + 10 dB, not by day, and clears after peakClearS of quiet', () => {
    const s = createNoiseState(CLASS2)
    const dayLoud = drive(s, BJ0 + 12 * HOUR, 5, () => 75, evaluateNoisePeak)
    expect(dayLoud).toEqual([]) // by day only the hourly Leq is judged
    const night = BJ0 + 23 * HOUR
    expect(drive(s, night, 1, () => 60, evaluateNoisePeak)).toEqual([]) // exactly the allowance: not above
    const sigs = drive(s, night + MINUTE, 30, (i) => (i === 0 || i === 5 ? 61 : 45), evaluateNoisePeak)
    expect(sigs.map((x) => x.type)).toEqual(['fire', 'resolve'])
    expect(sigs[0]).toMatchObject({ at: night + MINUTE, value: 61, limit: 60, reason: 'night_peak_above_allowance' })
    // quiet from minute 7 (night + 7 min); 15 min later it clears
    expect(sigs[1]!.at).toBe(night + 7 * MINUTE + 15 * MINUTE)
  })

  it('occasional sudden noise gets 15 dB', () => {
    const s = createNoiseState(noiseSettingsSchema.parse({ zoneClass: 2, nightPeak: 'occasional' }))
    expect(evaluateNoisePeak(s, 64, BJ0 + 2 * HOUR)).toBeNull()
    expect(evaluateNoisePeak(s, 66, BJ0 + 2 * HOUR + MINUTE)).toMatchObject({ type: 'fire', limit: 65 })
  })
})
