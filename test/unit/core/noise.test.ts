import { describe, it, expect } from 'vitest'
import { NOISE_LIMITS, noiseHourVerdicts, beijingHour, isNight, leq, noiseLimitAt, nightPeakLimit, noiseApplies, noiseCounts, noiseSettingsSchema, createNoiseHour, resetNoiseHour, addNoiseLevel, hourLeq } from '../../../core/noise.js'
import { siteSchema } from '../../../core/sites.js'
import { HOUR, MINUTE } from '../../../core/time.js'

// 2025-03-01 00:00 Beijing = 2025-02-28 16:00 UTC
const BJ0 = Date.UTC(2025, 1, 28, 16, 0, 0)

describe('core/noise (GB 12348-2008)', () => {
  it('has the day and night limit of every functional-zone class (domain.md §9)', () => {
    expect(NOISE_LIMITS).toEqual({ 0: { day: 50, night: 40 }, 1: { day: 55, night: 45 }, 2: { day: 60, night: 50 }, 3: { day: 65, night: 55 }, 4: { day: 70, night: 55 } })
  })

  it('splits day 06:00–22:00 and night in Beijing time, with configurable hours', () => {
    const s = noiseSettingsSchema.parse({ zoneClass: 2 })
    expect(beijingHour(BJ0 + 5 * HOUR + 59 * MINUTE)).toBe(5)
    expect(isNight(s, BJ0 + 5 * HOUR + 59 * MINUTE)).toBe(true)
    expect(isNight(s, BJ0 + 6 * HOUR)).toBe(false)
    expect(isNight(s, BJ0 + 21 * HOUR + 59 * MINUTE)).toBe(false)
    expect(isNight(s, BJ0 + 22 * HOUR)).toBe(true)
    expect(noiseLimitAt(s, BJ0 + 12 * HOUR)).toBe(60)
    expect(noiseLimitAt(s, BJ0 + 23 * HOUR)).toBe(50)
    const local = noiseSettingsSchema.parse({ zoneClass: 1, dayStartHour: 7, nightStartHour: 21 })
    expect(isNight(local, BJ0 + 6 * HOUR + 30 * MINUTE)).toBe(true)
    expect(isNight(local, BJ0 + 21 * HOUR)).toBe(true)
    expect(noiseLimitAt(local, BJ0 + 8 * HOUR)).toBe(55)
    expect(() => noiseSettingsSchema.parse({ dayStartHour: 6, nightStartHour: 6 })).toThrow(/must differ/)
    expect(() => noiseSettingsSchema.parse({ zoneClass: 5 })).toThrow()
  })

  it('allows night peaks 10 dB (frequent) or 15 dB (occasional) above the night limit', () => {
    expect(nightPeakLimit(noiseSettingsSchema.parse({ zoneClass: 3 }))).toBe(65)
    expect(nightPeakLimit(noiseSettingsSchema.parse({ zoneClass: 3, nightPeak: 'occasional' }))).toBe(70)
  })

  it('applies to boundary dust monitors of a site with a zone class only', () => {
    const on = noiseSettingsSchema.parse({ zoneClass: 2 })
    const off = noiseSettingsSchema.parse({})
    expect(noiseApplies(on, 'dust', 'boundary')).toBe(true)
    expect(noiseApplies(on, 'dust', 'processing')).toBe(false)
    expect(noiseApplies(on, 'dust', undefined)).toBe(false)
    expect(noiseApplies(on, 'water', 'boundary')).toBe(false)
    expect(noiseApplies(off, 'dust', 'boundary')).toBe(false)
  })

  it('counts readings with the dust flag discipline (N and T count, the rest do not)', () => {
    expect(noiseCounts(undefined, 55)).toBe(true)
    expect(noiseCounts('N', 55)).toBe(true)
    expect(noiseCounts('T', 55)).toBe(true)
    for (const f of ['F', 'M', 'S', 'D', 'C', 'B']) expect(noiseCounts(f, 55)).toBe(false)
    expect(noiseCounts('N', undefined)).toBe(false)
    expect(noiseCounts('N', NaN)).toBe(false)
  })

  it('averages energy, not decibels: 50 and 60 dB(A) make 57.4, not 55', () => {
    expect(leq(10 ** 5 + 10 ** 6, 2)).toBeCloseTo(57.404, 3)
    expect(Number.isNaN(leq(0, 0))).toBe(true)
  })

  it('judges an hour only with hourMinMinutes distinct minutes of data', () => {
    const h = createNoiseHour()
    resetNoiseHour(h, BJ0 + 10 * MINUTE)
    expect(h.start).toBe(BJ0)
    for (let m = 0; m < 44; m++) { addNoiseLevel(h, BJ0 + m * MINUTE, 60); addNoiseLevel(h, BJ0 + m * MINUTE + 30_000, 60) }
    expect(h.minutes).toBe(44)
    expect(Number.isNaN(hourLeq(h, 45))).toBe(true)
    addNoiseLevel(h, BJ0 + 59 * MINUTE, 60)
    expect(hourLeq(h, 45)).toBeCloseTo(60, 9)
  })

  it('is configured per site and defaults to no rule', () => {
    const base = { id: 's', name: 'S', province: 'P', licence: 'L', scaleTPerYear: 1, boundary: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] } }
    expect(siteSchema.parse(base).noise.zoneClass).toBeUndefined()
    const s = siteSchema.parse({ ...base, noise: { zoneClass: 2, nightPeak: 'occasional' } })
    expect(s.noise).toMatchObject({ zoneClass: 2, dayStartHour: 6, nightStartHour: 22, nightPeak: 'occasional', hourMinMinutes: 45 })
    expect(() => siteSchema.parse({ ...base, noise: { zoneClass: 2, limit: 70 } })).toThrow()
  })
})

describe('core/noise noiseHourVerdicts (the daily report)', () => {
  it('judges each clock hour with the limit at its start and the same validity as the rule', () => {
    const s = noiseSettingsSchema.parse({ zoneClass: 1 }) // day 55, night 45
    const at = (h: number, m: number) => BJ0 + h * HOUR + m * MINUTE
    const levels = [
      ...Array.from({ length: 50 }, (_, m) => ({ t: at(21, m), value: 56 })), // 21:00 day hour, above 55
      ...Array.from({ length: 30 }, (_, m) => ({ t: at(22, m), value: 70 })), // 22:00 night, 30 minutes: not valid
      ...Array.from({ length: 60 }, (_, m) => ({ t: at(23, m), value: m < 30 ? 40 : NaN })) // NaN skipped: 30 minutes
    ]
    const v = noiseHourVerdicts(s, levels)
    expect(v.map((h) => [h.t, h.night, h.limit, h.valid, h.above])).toEqual([
      [at(21, 0), false, 55, true, true],
      [at(22, 0), true, 45, false, false],
      [at(23, 0), true, 45, false, false]
    ])
    expect(v[0]!.leq).toBeCloseTo(56, 9)
  })
})
