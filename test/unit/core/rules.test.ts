/** The mine-site rules of core/ (water.ts, dust.ts, ore.ts, alerts.ts names) from fixture tables. */
import { describe, it, expect } from 'vitest'
import {
  totaliserStep, totaliserIncrease, nextBaseline, recyclingRate, waterDayVerdict, dayVolumes, roleBin, formulaRoles, FORMULA_INFO,
  STEP_FIRST, STEP_NORMAL, STEP_RESET, STEP_ROLLOVER, STEP_BACKWARDS
} from '../../../core/water.js'
import { flagCounts, dayMean, hourlyValid, limitApplies, legalRoles, isCalendarDayLimit, limitSource, DAY_MIN_HOURS, HOURLY_MIN_MINUTES, windowBuckets, windowFits, RUNNING_WINDOW_BUCKETS } from '../../../core/dust.js'
import { WINDOW_BUCKETS } from '../../../alerts/rules/dust-exceedance.js'
import { outputSource, outputDevices } from '../../../core/ore.js'
import { ALERT_KIND_NAMES, ALERT_KINDS, roundValue } from '../../../core/alerts.js'
import { DATA_FLAGS } from '../../../core/readings.js'
import { siteSchema, dustLimitSchema, waterSettingsSchema, type Site } from '../../../core/sites.js'

describe('core/water.ts', () => {
  it.each([
    ['first value', NaN, 10, 1e6, STEP_FIRST, 0, 10],
    ['rise', 100, 130, 1e6, STEP_NORMAL, 30, 130],
    ['flat', 100, 100, 1e6, STEP_NORMAL, 0, 100],
    ['rollover', 999_990, 5, 1e6, STEP_ROLLOVER, 15, 5],
    ['reset to near 0', 50_000, 12, 1e6, STEP_RESET, 12, 12],
    ['backwards glitch keeps the baseline', 50_000, 40_000, 1e6, STEP_BACKWARDS, 0, 50_000],
    ['not below 10 %: a glitch, not a reset', 100, 15, 1e6, STEP_BACKWARDS, 0, 100]
  ])('step: %s', (_name, prev, next, rollover, step, volume, baseline) => {
    const out = new Float64Array(1)
    expect(totaliserStep(prev, next, rollover, out)).toBe(step)
    expect(out[0]).toBe(volume)
    expect(nextBaseline(prev, next, step)).toBe(Number.isNaN(prev) ? next : baseline)
  })

  it.each([
    [[], 0, { resets: 0, rollovers: 0, backwards: 0 }],
    [[5], 0, {}],
    [[1, 2, 4, 4], 3, {}],
    [[100, 200, 5, 50], 150, { resets: 1 }],
    [[9990, 9998, 12], 22, { rollovers: 1 }],
    [[100, 95, 99, 104], 4, { backwards: 2 }], // 95 and 99 are below the kept baseline of 100: nothing; then +4 from 100
    [[5000, 4000, 5000], 0, { backwards: 1 }] // issue 10 finding 2: the climb back is not 1,000 m³ of water
  ])('increase %j = %d', (values, total, counts) => {
    const r = totaliserIncrease(values, 10_000)
    expect(r.total).toBe(total)
    expect(r).toMatchObject(counts)
  })

  it('roles by bin and the formula roles', () => {
    expect(['recycled_return', 'thickener_return', 'tailings_return', 'fresh_intake', 'discharge', 'mill_feed'].map((r) => roleBin(r as never))).toEqual([0, 0, 0, 1, 2, -1])
    expect(formulaRoles('reuse')).toContain('fresh_intake')
    expect(formulaRoles('beneficiation')).toContain('discharge')
    expect(formulaRoles('beneficiation')).not.toContain('fresh_intake')
  })

  it.each([
    ['reuse', [900, 100, 500], 0.9],
    ['beneficiation', [900, 100, 500], 900 / 1400],
    ['reuse', [0, 0, 0], NaN]
  ] as const)('rate %s %j', (formula, volumes, rate) => {
    expect(recyclingRate(volumes, formula)).toBe(rate)
  })

  it('day verdict: judged from 50 m³, below the floor or not', () => {
    expect(waterDayVerdict([45, 5, 0], 'reuse', 0.85)).toMatchObject({ judged: true, below: false, rate: 0.9 })
    expect(waterDayVerdict([0, 49, 0], 'reuse', 0.85)).toMatchObject({ judged: false, below: false })
    expect(waterDayVerdict([10, 90, 0], 'reuse', 0.85)).toMatchObject({ judged: true, below: true })
  })

  it('day volumes sum meters by role, mill_feed in none', () => {
    const { volumes } = dayVolumes([
      { role: 'fresh_intake', values: [0, 10] }, { role: 'tailings_return', values: [5, 50] }, { role: 'mill_feed', values: [0, 999] }
    ], 1e9)
    expect(volumes).toEqual([45, 10, 0])
  })

  it('the default formula and its quoted rule agree (finding 8): Gansu only for the beneficiation indicator', () => {
    expect(waterSettingsSchema.parse({})).toMatchObject({ formula: 'reuse', standard: FORMULA_INFO.reuse.standard })
    expect(FORMULA_INFO.reuse.standard).not.toContain('甘资字')
    expect(waterSettingsSchema.parse({ formula: 'beneficiation' }).standard).toContain('甘资字〔2023〕11号')
    expect(waterSettingsSchema.parse({ formula: 'beneficiation', standard: '川自然资发〔2023〕35号' }).standard).toBe('川自然资发〔2023〕35号')
  })
})

describe('core/dust.ts', () => {
  it.each(DATA_FLAGS.map((f) => [f, f === 'N' || f === 'T'] as const))('flag %s counts: %s', (flag, counts) => {
    expect(flagCounts(flag)).toBe(counts)
  })
  it('a reading without a flag counts (it is N)', () => { expect(flagCounts(undefined)).toBe(true) })

  it('GB 3095-2012 §8 validity: 45 minutes an hour, 20 valid hours a day', () => {
    expect([HOURLY_MIN_MINUTES, DAY_MIN_HOURS]).toEqual([45, 20])
    expect(hourlyValid(44)).toBe(false)
    expect(hourlyValid(45)).toBe(true)
    const hours = (n: number, minutes = 60, mean = 0.2) => Array.from({ length: n }, (_, i) => ({ t: i, mean, minutes }))
    expect(dayMean(hours(19))).toMatchObject({ valid: false, validHours: 19 })
    expect(dayMean(hours(20))).toMatchObject({ valid: true, validHours: 20, mean: expect.closeTo(0.2, 12) })
    expect(dayMean([...hours(20, 45, 0.1), ...hours(4, 44, 9)])).toMatchObject({ valid: true, validHours: 20, mean: expect.closeTo(0.1, 12) }) // short hours are left out
  })

  it('legal limits apply to the roles their standard covers; operational ones to the roles they list or to all', () => {
    const gb16297 = { standard: 'GB 16297-1996' }
    expect(legalRoles('GB 16297-1996')).toEqual(['boundary'])
    expect(legalRoles('GB 3095-2012 二级')).toEqual(['boundary'])
    expect(legalRoles('DB13/2934-2019')).toBeUndefined()
    expect(['boundary', 'extraction', 'processing', 'transport', undefined].map((r) => limitApplies(gb16297, r as never))).toEqual([true, false, false, false, false])
    expect(limitApplies({ standard: undefined }, 'extraction')).toBe(true)
    expect(limitApplies({ standard: undefined, roles: ['processing'] }, 'extraction')).toBe(false)
    expect(limitSource({ standard: undefined })).toBe('本矿运营限值')
    expect(isCalendarDayLimit({ windowS: 86_400 })).toBe(true)
  })

  it('the config refuses a legal standard on roles it does not cover', () => {
    const r = dustLimitSchema.safeParse({ metric: 'tsp', limit: 1, windowS: 3600, standard: 'GB 16297-1996', roles: ['extraction'] })
    expect(r.success).toBe(false)
    expect(r.error!.issues[0]!.message).toMatch(/covers boundary monitors only/)
    expect(dustLimitSchema.safeParse({ metric: 'tsp', limit: 2, windowS: 3600, roles: ['extraction'] }).success).toBe(true)
  })

  it('a running window is counted in the monitor\'s own reports; the config refuses a window shorter than a monitor\'s interval', () => {
    expect(windowBuckets(3600, 60)).toBe(60) // 1-minute monitor: 45 of 60 minutes, GB 3095-2012 §8
    expect(windowBuckets(3600, 300)).toBe(12) // 5-minute monitor: 9 of 12 reports, still 45 minutes
    expect(windowBuckets(3600, 3600)).toBe(1) // an hourly monitor's report is its hourly mean
    expect(windowBuckets(120, 2)).toBe(60) // never more than RUNNING_WINDOW_BUCKETS
    expect(windowBuckets(120, 1)).toBe(RUNNING_WINDOW_BUCKETS)
    expect(windowFits(300, 300)).toBe(true)
    expect(windowFits(300, 301)).toBe(false)
    expect(RUNNING_WINDOW_BUCKETS).toBe(WINDOW_BUCKETS) // the alert rule keeps the window in as many buckets
    const crusher = { id: 'c1', kind: 'dust', unit: 'mg/m3', role: 'processing', intervalS: 2, password: 'long-enough' }
    const pit = { id: 'p1', kind: 'dust', unit: 'mg/m3', role: 'extraction', intervalS: 300, password: 'long-enough' }
    const site = (limit: object, devices: object[]) => siteSchema.safeParse({
      id: 's', name: 'n', province: 'p', licence: 'l', scaleTPerYear: 1,
      boundary: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] },
      dust: { limits: [{ metric: 'tsp', limit: 2, windowS: 120, ...limit }] }, devices
    })
    expect(site({ roles: ['processing'] }, [crusher, pit]).success).toBe(true)
    const r = site({}, [crusher, pit]) // an operational limit without roles applies to every monitor, the pit's too
    expect(r.success).toBe(false)
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['dust.limits.0.windowS', expect.stringMatching(/tsp over 120 s cannot be averaged for p1: it reports every 300 s.*at least 300 s/)]])
    expect(site({ windowS: 3600 }, [crusher, pit]).success).toBe(true)
    expect(site({ windowS: 86_400 }, [{ ...pit, intervalS: 3600 }]).success).toBe(true) // calendar-day means are judged per hour, not by this rule
  })
})

function siteWith (devices: object[]): Site {
  return siteSchema.parse({
    id: 's', name: 'n', province: 'p', licence: 'l', scaleTPerYear: 1,
    boundary: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] },
    devices: devices.map((d, i) => ({ id: `d${i}`, intervalS: 60, password: 'long-enough', ...d }))
  })
}

describe('core/ore.ts', () => {
  it.each([
    [[{ kind: 'ore', role: 'truck_scale' }, { kind: 'ore', role: 'belt_scale' }], 'truck_scale', ['d0']],
    [[{ kind: 'ore', role: 'belt_scale' }, { kind: 'ore', role: 'belt_scale' }], 'belt_scale', ['d0', 'd1']],
    [[{ kind: 'water', role: 'fresh_intake' }], 'none', []]
  ])('%j → %s', (devices, source, ids) => {
    const site = siteWith(devices)
    expect(outputSource(site)).toBe(source)
    expect(outputDevices(site)).toEqual(ids)
  })
  it('a scale needs a role; roles must fit the kind', () => {
    expect(() => siteWith([{ kind: 'ore' }])).toThrow(/a scale needs a role/)
    expect(() => siteWith([{ kind: 'dust', unit: 'mg/m3', role: 'truck_scale' }])).toThrow(/role of a dust device is one of/)
    expect(() => siteWith([{ kind: 'status', role: 'vehicle' }])).toThrow(/has no role/)
  })
})

describe('core/alerts.ts names and numbers', () => {
  it('one name per kind and language (finding 9)', () => {
    for (const lang of ['zh', 'en'] as const) expect(Object.keys(ALERT_KIND_NAMES[lang]).sort()).toEqual([...ALERT_KINDS].sort())
    expect(ALERT_KIND_NAMES.zh).toMatchObject({ water_recycling_low: '水循环利用率偏低', over_capacity: '超能力开采', data_quality: '数据质量异常' })
  })
  it.each([[(300_000 / 12) * 1.1, 27_500], [0.1 + 0.2, 0.3], [1.23456, 1.235]])('roundValue(%d) = %d', (v, r) => {
    expect(roundValue(v)).toBe(r)
  })
})
