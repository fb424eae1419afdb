import { describe, it, expect } from 'vitest'
import { dustRows } from '../../../api/reports/dust.js'
import { waterSection } from '../../../api/reports/water.js'
import { oreSection } from '../../../api/reports/ore.js'
import { uptimeRows, uptimeIntervalS } from '../../../api/reports/uptime.js'
import { csvField } from '../../../api/reports/csv.js'
import { noiseSection } from '../../../api/reports/noise.js'
import { noiseSettingsSchema } from '../../../core/noise.js'
import { wantsCsv } from '../../../api/routes/reports.js'
import { parseStep, bucketCount } from '../../../api/params.js'
import type { Device, DustLimit, WaterSettings } from '../../../core/sites.js'

const limit = (metric: 'tsp' | 'pm10', l: number, windowS = 3600): DustLimit => ({ metric, limit: l, windowS, holdS: 0, clearHoldS: 0, severity: 'alarm', standard: 'GB 16297-1996' })
const monitor = (id: string, role: Device['role']): Device => ({ id, kind: 'dust', role, unit: 'mg/m3', intervalS: 60, password: 'long-enough' })
const T = 1_740_787_200_000 // 2025-03-01 08:00 Beijing, an hour start

/** One 1-minute mean per minute for `minutes` minutes of hour `h`, value v. */
function minutesOf (device: string, h: number, minutes: number, v: number) {
  return Array.from({ length: minutes }, (_, i) => ({ device, t: T + h * 3_600_000 + i * 60_000, value: v }))
}

describe('dustRows', () => {
  it('counts a minute once across the monitors the limit applies to, strictly above the limit; the highest valid hourly mean', () => {
    const minute = [...minutesOf('A', 0, 50, 1.1), ...minutesOf('B', 0, 45, 1.4), ...minutesOf('B', 1, 44, 3), ...minutesOf('P', 0, 60, 9)]
    const hour = [{ device: 'A', t: T, value: 1.1 }, { device: 'B', t: T, value: 1.4 }, { device: 'B', t: T + 3_600_000, value: 3 }, { device: 'P', t: T, value: 9 }]
    const monitors = [monitor('A', 'boundary'), monitor('B', 'boundary'), monitor('C', 'boundary'), monitor('P', 'extraction')]
    const [row] = dustRows([limit('tsp', 1)], monitors, new Map([['tsp', { minute, hour }]]))
    expect(row).toEqual({
      metric: 'tsp', limit: 1, windowS: 3600, standard: 'GB 16297-1996', basis: 'legal', devices: 3,
      exceedanceMinutes: 50 + 44, byDevice: { A: 50, B: 45 + 44, C: 0 },
      // B's second hour has 44 minutes (< 45, GB 3095-2012 §8): not a valid hourly mean; P is in the pit, not covered
      maxHourlyAvg: { value: 1.4, device: 'B', hourStart: T }, maxHourlyAvgAboveLimit: true,
      dayMeans: null, dayExceedances: null
    })
  })

  it('gives zero minutes and no maximum without data', () => {
    const [row] = dustRows([limit('pm10', 0.15)], [monitor('A', 'boundary')], new Map())
    expect(row).toMatchObject({ exceedanceMinutes: 0, byDevice: { A: 0 }, maxHourlyAvg: null, maxHourlyAvgAboveLimit: false })
  })

  it('calendar-day limits: a daily mean needs 20 valid hourly means (GB 3095-2012 §8)', () => {
    const minute = []; const hour = []
    for (let h = 0; h < 24; h++) {
      if (h < 19) { minute.push(...minutesOf('A', h, 60, 0.3)); hour.push({ device: 'A', t: T + h * 3_600_000, value: 0.3 }) }
      if (h < 20) { minute.push(...minutesOf('B', h, 45, 0.2)); hour.push({ device: 'B', t: T + h * 3_600_000, value: 0.2 }) }
    }
    const [row] = dustRows([limit('pm10', 0.15, 86_400)], [monitor('A', 'boundary'), monitor('B', 'boundary')], new Map([['pm10', { minute, hour }]]))
    expect(row!.dayMeans).toEqual([
      { device: 'A', value: null, validHours: 19, aboveLimit: false },
      { device: 'B', value: expect.closeTo(0.2, 12), validHours: 20, aboveLimit: true }
    ])
    expect(row!.dayExceedances).toBe(1)
  })

  it('an operational limit cites no standard and applies to every monitor unless it lists roles', () => {
    const op: DustLimit = { metric: 'tsp', limit: 2, windowS: 3600, holdS: 0, clearHoldS: 0, severity: 'warning', roles: ['extraction'] }
    const [row] = dustRows([op], [monitor('A', 'boundary'), monitor('P', 'extraction')], new Map())
    expect(row).toMatchObject({ standard: null, basis: 'operational', devices: 1, byDevice: { P: 0 } })
  })
})

const water = (formula: 'reuse' | 'beneficiation'): WaterSettings => ({ floor: 0.85, formula, rolloverM3: 1e9, standard: 's' })

describe('waterSection', () => {
  const meters = [
    { device: 'F', role: 'fresh_intake' as const, values: [0, 20] },
    { device: 'R', role: 'recycled_return' as const, values: [0, 60] },
    { device: 'T', role: 'thickener_return' as const, values: [10, 30] },
    { device: 'P', role: 'tailings_return' as const, values: [0, 10] },
    { device: 'M', role: 'mill_feed' as const, values: [0, 999] },
    { device: 'D', role: 'discharge' as const, values: [0, 10] }
  ]
  it('reuse: recycled ÷ (recycled + fresh); mill_feed counts in neither', () => {
    const w = waterSection(water('reuse'), meters)
    expect(w).toMatchObject({ recycledM3: 90, freshM3: 20, dischargeM3: 10, rate: 90 / 110, belowFloor: true, formulaName: '水重复利用率' })
  })
  it('beneficiation: returned ÷ (returned + discharge)', () => {
    const w = waterSection(water('beneficiation'), meters)
    expect(w.rate).toBe(0.9)
    expect(w.belowFloor).toBe(false)
  })
  it('a backwards glitch keeps the baseline: the climb back is not new water (finding 2)', () => {
    const w = waterSection(water('reuse'), [
      { device: 'F', role: 'fresh_intake', values: [50_000, 50_010, 40_000, 50_020, 50_030] },
      { device: 'R', role: 'recycled_return', values: [0, 270] }
    ])
    expect(w).toMatchObject({ freshM3: 30, recycledM3: 270, rate: 0.9, belowFloor: false })
    expect(w.meters[0]).toMatchObject({ volumeM3: 30, backwards: 1, resets: 0 })
  })
  it('a day under 50 m³ gets no verdict, as the alert gives none', () => {
    expect(waterSection(water('reuse'), [{ device: 'F', role: 'fresh_intake', values: [0, 40] }])).toMatchObject({ rate: 0, belowFloor: null })
  })
  it('no volume: rate and belowFloor are null', () => {
    expect(waterSection(water('reuse'), [{ device: 'F', role: 'fresh_intake', values: [5] }])).toMatchObject({ rate: null, belowFloor: null })
  })
})

describe('oreSection', () => {
  it('counts the source scales\' summed tonnes (core/ore.ts), reporting both totals', () => {
    const o = oreSection(730_000, 'belt_scale', [
      { device: 'B1', role: 'belt_scale', tonnesSum: 300 },
      { device: 'B2', role: 'belt_scale', tonnesSum: 50 }
    ])
    expect(o).toEqual({
      source: 'belt_scale', outputT: 350, truckScaleT: 0, beltScaleT: 350, licenceDailyT: 2000, shareOfLicence: 0.175,
      devices: [{ device: 'B1', role: 'belt_scale', tonnes: 300 }, { device: 'B2', role: 'belt_scale', tonnes: 50 }]
    })
    expect(oreSection(730_000, 'truck_scale', [{ device: 'T', role: 'truck_scale', tonnesSum: 400 }, { device: 'B', role: 'belt_scale', tonnesSum: 390 }]))
      .toMatchObject({ outputT: 400, truckScaleT: 400, beltScaleT: 390 })
  })
  it('a site without scales reports none', () => {
    expect(oreSection(365, 'none', [])).toMatchObject({ source: 'none', outputT: 0, shareOfLicence: 0 })
  })
})

describe('uptimeRows', () => {
  it('expected intervals from the window start, last one partial; indexes outside are ignored', () => {
    const rows = uptimeRows(0, 150_000, [{ device: 'x', kind: 'dust', intervalS: 60, seen: new Set([0, 2, 3, -1]) }])
    expect(rows).toEqual([{ device: 'x', kind: 'dust', intervalS: 60, expected: 3, withData: 2, uptime: 2 / 3 }])
  })
  it('widens intervals to at least a minute', () => {
    expect(uptimeIntervalS(5)).toBe(60)
    expect(uptimeIntervalS(300)).toBe(300)
  })
})

describe('request parameter helpers', () => {
  it.each([['1m', 60_000], ['30s', 30_000], ['1h', 3_600_000], ['1d', 86_400_000], ['250', 250], ['250ms', 250], ['1w', NaN], ['-1m', NaN], ['1.5m', NaN]])('parseStep(%s) = %d', (text, ms) => {
    expect(parseStep(text)).toBe(ms)
  })
  it('counts step-aligned buckets', () => {
    expect(bucketCount(0, 60_000, 60_000)).toBe(1)
    expect(bucketCount(30_000, 90_000, 60_000)).toBe(2)
    expect(bucketCount(0, 86_400_000, 60_000)).toBe(1440)
  })
  it.each([
    ['text/csv', true], ['application/json', false], [undefined, false], ['*/*', false],
    ['text/csv, application/json;q=0.9', true], ['application/json, text/csv;q=0.5', false], ['text/csv;q=0', false], ['text/*', false]
  ])('wantsCsv(%s) = %s', (accept, csv) => {
    expect(wantsCsv(accept)).toBe(csv)
  })
  it('quotes CSV fields per RFC 4180', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField(null)).toBe('')
    expect(csvField(0.1 + 0.2)).toBe('0.3')
    expect(csvField(true)).toBe('true')
  })
})

describe('noiseSection (GB 12348-2008)', () => {
  const settings = (zoneClass?: number) => ({ noise: noiseSettingsSchema.parse(zoneClass === undefined ? {} : { zoneClass }) })
  // T is 08:00 Beijing: hours 0–13 are day (08:00–22:00), 14 onwards night (22:00–)
  it('counts valid day and night hours above the limit in force, per boundary monitor, and night peak minutes', () => {
    const minuteMean = [
      ...minutesOf('B', 0, 60, 62), // day, above 60
      ...minutesOf('B', 1, 60, 58), // day, below
      ...minutesOf('B', 2, 40, 70), // day, 40 minutes: not valid
      ...minutesOf('B', 14, 60, 55), // night, above 50
      ...minutesOf('P', 0, 60, 90) // a processing monitor: not a boundary, not reported
    ].sort((a, b) => a.t - b.t)
    const minuteMax = [
      { device: 'B', t: T + 14 * 3_600_000, value: 61 }, // night: above 50 + 10
      { device: 'B', t: T + 14 * 3_600_000 + 60_000, value: 60 }, // at the allowance: not above
      { device: 'B', t: T, value: 75 } // by day: no peak rule
    ]
    const sec = noiseSection(settings(2), [monitor('B', 'boundary'), monitor('P', 'processing')], { minuteMean, minuteMax })!
    expect(sec).toMatchObject({ standard: 'GB 12348-2008', zoneClass: 2, dayLimit: 60, nightLimit: 50, nightPeakLimit: 60 })
    expect(sec.monitors).toHaveLength(1)
    expect(sec.monitors[0]).toMatchObject({ device: 'B', dayHours: 2, nightHours: 1, dayExceedanceHours: 1, nightExceedanceHours: 1, nightPeakMinutes: 1 })
    expect(sec.monitors[0]!.maxLeq).toMatchObject({ hourStart: T, night: false })
    expect(sec.monitors[0]!.maxLeq!.value).toBeCloseTo(62, 9)
  })

  it('is null for a site that sets no zone class', () => {
    expect(noiseSection(settings(), [monitor('B', 'boundary')], { minuteMean: minutesOf('B', 0, 60, 90), minuteMax: [] })).toBeNull()
  })
})
