import { describe, it, expect } from 'vitest'
import { ENERGY_METERS, METER_INFO, energyAmounts, energyDayVerdict, energyIntensity, energySettingsSchema, kgcePerUnit } from '../../../core/energy.js'
import { totaliserIncrease, totaliserStep } from '../../../core/totaliser.js'
import * as water from '../../../core/water.js'
import { READING_SCHEMAS } from '../../../core/readings.js'
import { FIELDS } from '../../../core/kinds.js'
import { parseConfig } from '../../../core/config.js'
import { isMinewatchError } from '../../../core/errors.js'

const DEFAULTS = energySettingsSchema.parse({})

function problems (devices: string, site = ''): string[] {
  const square = '{ type: Polygon, coordinates: [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]] }'
  const text = `demo: true\nsites:\n  - id: s1\n    name: 测试矿\n    province: 浙江省\n    licence: C1\n    scaleTPerYear: 1000000\n    boundary: ${square}\n${site}    devices:\n${devices}\n`
  try {
    parseConfig(text, 'x.yaml', {})
  } catch (err) {
    if (isMinewatchError(err, 'MW_CONFIG_INVALID')) return err.details as string[]
    throw err
  }
  return []
}

describe('core/energy (GB/T 2589-2020 coal equivalents, energy per tonne of ore)', () => {
  it('defaults to the GB/T 2589-2020 coefficients (domain.md §9) and a diesel density of 0.84 kg/L', () => {
    expect(DEFAULTS).toMatchObject({ electricityKgcePerKwh: 0.1229, dieselKgcePerKg: 1.4571, dieselDensityKgPerL: 0.84, rollover: 1e9, minOreT: 100, severity: 'warning' })
    expect(DEFAULTS.intensityLimitKgcePerT).toBeUndefined()
    expect(kgcePerUnit(DEFAULTS, 'electricity_kwh')).toBe(0.1229)
    expect(kgcePerUnit(DEFAULTS, 'diesel_kg')).toBe(1.4571)
    expect(kgcePerUnit(DEFAULTS, 'diesel_l')).toBeCloseTo(1.4571 * 0.84, 12)
    expect(kgcePerUnit(energySettingsSchema.parse({ dieselDensityKgPerL: 0.85, dieselKgcePerKg: 1.5 }), 'diesel_l')).toBeCloseTo(1.275, 12)
    expect(() => energySettingsSchema.parse({ electricityKgcePerKwh: 0 })).toThrow()
    expect(() => energySettingsSchema.parse({ dieselDensityKgPerL: 8.4 })).toThrow()
  })

  it('each meter type reads its own totaliser field of the energy kind', () => {
    const fields = FIELDS.energy.map((f) => f.name)
    for (const m of ENERGY_METERS) expect(fields).toContain(METER_INFO[m].field)
    expect(FIELDS.energy.find((f) => f.name === 'totalKwh')?.unit).toBe('kWh')
  })

  it('uses the same totaliser steps as water (rise, rollover, reset, backwards glitch): one module, re-exported', () => {
    expect(water.totaliserStep).toBe(totaliserStep)
    expect(water.totaliserIncrease).toBe(totaliserIncrease)
  })

  it('sums each meter from its totaliser with rollover, reset and a backwards glitch, and converts to kgce', () => {
    const s = energySettingsSchema.parse({ rollover: 100_000 })
    const e = energyAmounts([
      // 99,990 → rollover → 40: 50 kWh; then 40 → 1,040: 1,000 kWh
      { meter: 'electricity_kwh', role: 'crusher', values: [99_950, 99_990, 40, 1_040] },
      // a glitch (1,000 → 990) counts nothing and keeps 1,000 as the baseline; a reset (2,000 → 5) counts 5
      { meter: 'diesel_l', role: 'haulage', values: [1_000, 990, 1_100, 2_000, 5] },
      { meter: 'diesel_kg', role: 'haulage', values: [10, 60] }
    ], s)
    expect(e.meters.map((m) => [m.amount, m.rollovers, m.resets, m.backwards])).toEqual([[1_090, 1, 0, 0], [1_005, 0, 1, 1], [50, 0, 0, 0]])
    expect(e.electricityKwh).toBe(1_090)
    expect(e.dieselKg).toBeCloseTo(1_005 * 0.84 + 50, 9)
    const kgce = 1_090 * 0.1229 + 1_005 * 0.84 * 1.4571 + 50 * 1.4571
    expect(e.kgce).toBeCloseTo(kgce, 9)
    expect(e.byRole.crusher).toBeCloseTo(1_090 * 0.1229, 9)
    expect(e.byRole.haulage).toBeCloseTo(kgce - 1_090 * 0.1229, 9)
    expect(e.byRole.mill).toBeUndefined()
    expect(energyAmounts([{ meter: 'electricity_kwh', role: 'mill', values: [] }], s).kgce).toBe(0)
  })

  it('judges a day above the limit only with enough ore output and a limit set', () => {
    const s = energySettingsSchema.parse({ intensityLimitKgcePerT: 1.2, minOreT: 500 })
    expect(energyIntensity(1_000, 0)).toBeNaN()
    expect(energyIntensity(1_000, 800)).toBe(1.25)
    expect(energyDayVerdict(1_000, 800, s)).toEqual({ intensity: 1.25, judged: true, above: true })
    expect(energyDayVerdict(960, 800, s)).toEqual({ intensity: 1.2, judged: true, above: false }) // at the limit is not above it
    expect(energyDayVerdict(1_000, 499, s)).toMatchObject({ judged: false, above: false })
    expect(energyDayVerdict(1_000, 0, s)).toMatchObject({ judged: false, above: false })
    expect(energyDayVerdict(1_000, 800, DEFAULTS)).toMatchObject({ intensity: 1.25, judged: false, above: false }) // no limit set
  })

  it('validates energy readings: one totaliser at least, none negative', () => {
    expect(READING_SCHEMAS.energy.parse({ ts: 1, totalKwh: 12.5, powerKw: 300 })).toMatchObject({ totalKwh: 12.5 })
    expect(READING_SCHEMAS.energy.safeParse({ ts: 1, powerKw: 3 }).error?.issues[0]?.message).toMatch(/needs a totaliser: totalKwh/)
    expect(READING_SCHEMAS.energy.safeParse({ ts: 1, totalL: -1 }).success).toBe(false)
    expect(READING_SCHEMAS.energy.safeParse({ ts: 1, totalKg: 4, volts: 220 }).success).toBe(false)
  })

  it('requires an energy meter to have a role and a meter type, and no other kind to have a meter type', () => {
    expect(problems('      - { id: e1, kind: energy, role: crusher, meter: electricity_kwh, intervalS: 300, password: longenough1 }')).toEqual([])
    expect(problems('      - { id: e1, kind: energy, meter: diesel_l, intervalS: 300, password: longenough1 }')).toEqual([expect.stringMatching(/role: an energy meter needs a role: crusher, mill, pumps, haulage/)])
    expect(problems('      - { id: e1, kind: energy, role: haulage, intervalS: 300, password: longenough1 }')).toEqual([expect.stringMatching(/meter: an energy meter needs meter: electricity_kwh \(totalKwh\), diesel_l \(totalL\), diesel_kg \(totalKg\)/)])
    expect(problems('      - { id: e1, kind: energy, role: boundary, meter: diesel_kg, intervalS: 300, password: longenough1 }')).toEqual([expect.stringMatching(/role of a energy device is one of crusher, mill/)])
    expect(problems('      - { id: d1, kind: water, role: fresh_intake, meter: diesel_kg, intervalS: 300, password: longenough1 }')).toEqual([expect.stringMatching(/meter applies to energy meters only/)])
    expect(problems('      - { id: e1, kind: energy, role: mill, meter: electricity_kwh, intervalS: 300, password: longenough1 }', '    energy: { intensityLimitKgcePerT: -1 }\n')).toEqual([expect.stringMatching(/energy\.intensityLimitKgcePerT/)])
  })
})

