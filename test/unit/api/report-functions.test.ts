import { describe, it, expect } from 'vitest'
import { totaliserIncrease } from '../../../api/reports/totaliser.js'
import { dustRows } from '../../../api/reports/dust.js'
import { waterSection } from '../../../api/reports/water.js'
import { oreSection } from '../../../api/reports/ore.js'
import { uptimeRows, uptimeIntervalS } from '../../../api/reports/uptime.js'
import { csvField } from '../../../api/reports/csv.js'
import { wantsCsv } from '../../../api/routes/reports.js'
import { parseStep, bucketCount } from '../../../api/params.js'
import type { DustLimit, WaterSettings } from '../../../core/sites.js'

describe('totaliserIncrease', () => {
  it.each([
    [[], 0, { total: 0, resets: 0, rollovers: 0, backwards: 0 }],
    [[5], 0, { total: 0, resets: 0, rollovers: 0, backwards: 0 }],
    [[1, 2, 4, 4], 3, { resets: 0, rollovers: 0, backwards: 0 }],
    [[100, 200, 5, 50], 150, { resets: 1 }], // +100; 5 < 10 % of 200: reset, counts 5; +45
    [[9990, 9998, 12], 22, { rollovers: 1 }], // drop 9986 > 90 % of 10 000: rollover
    [[100, 95, 99], 4, { backwards: 1 }], // ran backwards: nothing counted, then +4
    [[100, 15, 20], 5, { backwards: 1 }] // 15 is not below 10 % of 100: not a reset
  ])('%j → %d', (values, total, counts) => {
    const r = totaliserIncrease(values, 10_000)
    expect(r.total).toBe(total)
    expect(r).toMatchObject(counts)
  })
})

const limit = (metric: 'tsp' | 'pm10', l: number): DustLimit => ({ metric, limit: l, windowS: 3600, holdS: 0, clearHoldS: 0, severity: 'alarm', standard: 'x' })

describe('dustRows', () => {
  it('counts a minute once across monitors, strictly above the limit, and finds the highest hourly mean', () => {
    const t = 1_740_787_200_000
    const minute = [
      { device: 'A', t, value: 1.1 }, { device: 'A', t: t + 60_000, value: 1.0 }, { device: 'A', t: t + 120_000, value: 1.5 },
      { device: 'B', t, value: 1.4 }
    ]
    const hour = [{ device: 'A', t, value: 1.1 }, { device: 'B', t, value: 1.4 }, { device: 'B', t: t + 3_600_000, value: 0.5 }]
    const [row] = dustRows([limit('tsp', 1)], ['A', 'B', 'C'], new Map([['tsp', { minute, hour }]]))
    expect(row).toEqual({
      metric: 'tsp', limit: 1, windowS: 3600, standard: 'x', devices: 3,
      exceedanceMinutes: 2, byDevice: { A: 2, B: 1, C: 0 },
      maxHourlyAvg: { value: 1.4, device: 'B', hourStart: t }, maxHourlyAvgAboveLimit: true
    })
  })

  it('gives zero minutes and no maximum without data', () => {
    const [row] = dustRows([limit('pm10', 0.15)], ['A'], new Map())
    expect(row).toMatchObject({ exceedanceMinutes: 0, byDevice: { A: 0 }, maxHourlyAvg: null, maxHourlyAvgAboveLimit: false })
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
    expect(w).toMatchObject({ recycledM3: 90, freshM3: 20, dischargeM3: 10, rate: 90 / 110, belowFloor: true })
  })
  it('beneficiation: returned ÷ (returned + discharge)', () => {
    const w = waterSection(water('beneficiation'), meters)
    expect(w.rate).toBe(0.9)
    expect(w.belowFloor).toBe(false)
  })
  it('no volume: rate and belowFloor are null', () => {
    expect(waterSection(water('reuse'), [{ device: 'F', role: 'fresh_intake', values: [5] }])).toMatchObject({ rate: null, belowFloor: null })
  })
})

describe('oreSection', () => {
  it('counts belt scales (totaliser, else tonnes) when the site has no truck scale', () => {
    const o = oreSection(730_000, [
      { device: 'B1', role: 'belt_scale', tonnesSum: 7, totals: [100, 400] },
      { device: 'B2', role: 'belt_scale', tonnesSum: 50, totals: [] }
    ])
    expect(o).toEqual({
      source: 'belt_scale', outputT: 350, truckScaleT: 0, beltScaleT: 350, licenceDailyT: 2000, shareOfLicence: 0.175,
      devices: [{ device: 'B1', role: 'belt_scale', tonnes: 300 }, { device: 'B2', role: 'belt_scale', tonnes: 50 }]
    })
  })
  it('a site without scales reports none', () => {
    expect(oreSection(365, [])).toMatchObject({ source: 'none', outputT: 0, shareOfLicence: 0 })
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
