import { describe, it, expect } from 'vitest'
import { createEnergyMeterState, energyDaySignal, evaluateEnergyMeter } from '../../../alerts/rules/energy-intensity.js'
import { STEP_BACKWARDS, STEP_FIRST, STEP_NORMAL, STEP_RESET, STEP_ROLLOVER } from '../../../core/totaliser.js'
import { energyDayVerdict, energySettingsSchema } from '../../../core/energy.js'
import { energySection } from '../../../api/reports/energy.js'
import { siteSchema } from '../../../core/sites.js'

const S = energySettingsSchema.parse({ intensityLimitKgcePerT: 1.2, minOreT: 500, rollover: 100_000 })
const DAY_END = 1_740_844_800_000

describe('energy_intensity_high (alerts/rules/energy-intensity.ts)', () => {
  it('classifies each totaliser step like water; a glitch keeps the higher baseline; late readings are not classified', () => {
    const m = createEnergyMeterState()
    const steps = [[1, 99_000], [2, 99_500], [3, 99_400], [4, 99_600], [5, 300], [6, 20], [7, 25]].map(([ts, v]) => evaluateEnergyMeter(m, v!, ts!, S.rollover))
    expect(steps).toEqual([STEP_FIRST, STEP_NORMAL, STEP_BACKWARDS, STEP_NORMAL, STEP_ROLLOVER, STEP_RESET, STEP_NORMAL])
    expect(evaluateEnergyMeter(m, 10, 7, S.rollover)).toBe(-1) // same ts: a duplicate, not a backwards step
    expect(m.total).toBe(25)
  })

  it('fires at the day end above the limit, resolves a judged day within it, says nothing for an unjudged day', () => {
    expect(energyDaySignal(energyDayVerdict(1_300, 1_000, S), S, DAY_END, DAY_END + 5)).toEqual({ type: 'fire', severity: 'warning', at: DAY_END, value: 1.3, limit: 1.2, reason: 'day_intensity_above_limit' })
    expect(energyDaySignal(energyDayVerdict(1_100, 1_000, S), S, DAY_END, DAY_END + 5)).toMatchObject({ type: 'resolve', at: DAY_END + 5, reason: 'late_data_day_intensity_within_limit' })
    expect(energyDaySignal(energyDayVerdict(1_300, 400, S), S, DAY_END, DAY_END)).toBeNull() // output under minOreT
    const alarm = energySettingsSchema.parse({ intensityLimitKgcePerT: 1.2, severity: 'alarm' })
    expect(energyDaySignal(energyDayVerdict(1_300, 1_000, alarm), alarm, DAY_END, DAY_END)?.severity).toBe('alarm')
  })
})

describe('daily report energy section (api/reports/energy.ts)', () => {
  const site = siteSchema.parse({
    id: 's1', name: '测试矿', province: '浙江省', licence: 'C1', scaleTPerYear: 1e6,
    boundary: { type: 'Polygon', coordinates: [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]] },
    energy: { intensityLimitKgcePerT: 1.2, minOreT: 500 },
    devices: [
      { id: 'E1', kind: 'energy', role: 'crusher', meter: 'electricity_kwh', intervalS: 300, password: 'longenough1' },
      { id: 'F1', kind: 'energy', role: 'haulage', meter: 'diesel_kg', intervalS: 300, password: 'longenough2' }
    ]
  })

  it('sums the meters, converts with the site coefficients and gives the verdict the alert gives', () => {
    const e = energySection(site, [
      { device: 'E1', role: 'crusher', meter: 'electricity_kwh', values: [1_000, 3_000, 5_000] },
      { device: 'F1', role: 'haulage', meter: 'diesel_kg', values: [200, 100, 700] } // 200 → 100 is a glitch: 500 kg
    ], 1_000)!
    expect(e.meters.map((m) => [m.device, m.unit, m.amount, m.samples, m.backwards])).toEqual([['E1', 'kWh', 4_000, 3, 0], ['F1', 'kg', 500, 3, 1]])
    expect(e.kgce).toBeCloseTo(4_000 * 0.1229 + 500 * 1.4571, 9)
    expect(e.tce).toBeCloseTo(e.kgce / 1_000, 12)
    expect(e.intensityKgcePerT).toBeCloseTo(e.kgce / 1_000, 12)
    expect(e.aboveLimit).toBe(true) // 1.2201 kgce/t
    expect(e.byRole.map((r) => r.role)).toEqual(['crusher', 'haulage'])
    expect(energySection(site, [], 0)).toMatchObject({ kgce: 0, intensityKgcePerT: null, aboveLimit: null })
    expect(energySection({ ...site, devices: [] }, [], 1_000)).toBeNull()
  })
})
