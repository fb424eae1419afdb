/** Stored device changes on top of the config file (devices/overrides.ts): the rules where file and change meet, and replacement chains. */
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { positions, positionDevices } from '../../../core/registry.js'
import { alongPositions } from '../../../store/day-queries.js'
import { applyOverrides } from '../../../devices/overrides.js'
import { exportConfig } from '../../../devices/export.js'
import type { DeviceChange } from '../../../store/state.js'
import { oneSiteYaml } from '../../helpers/site-yaml.js'

const T = Date.parse('2026-12-01T04:00:00Z')
const dev = (id: string, extra = '') => `      - { id: ${id}, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, password: pw-${id}-000${extra} }`
const text = (devices: string[]) => oneSiteYaml(`    devices:\n${devices.join('\n')}`)
const load = (devices: string[]) => parseConfig(text(devices), 'f.yaml')
const spec = (id: string) => ({ id, kind: 'dust' as const, role: 'boundary' as const, unit: 'mg/m3' as const, intervalS: 60, secretHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' })
let seq = 0
const ch = (action: DeviceChange['action'], device: string, s: DeviceChange['spec'] = null): DeviceChange => ({ seq: ++seq, at: T, by: 'admin', action, device, site: 's1', reason: 'r', spec: s })

describe('applyOverrides', () => {
  it('applies changes in order on top of the file, which stays the base', () => {
    const file = load([dev('A'), dev('B'), dev('C')])
    const m = applyOverrides(file, [ch('add', 'N', spec('N')), ch('disable', 'A'), ch('replace', 'B', spec('B2')), ch('retire', 'C')])
    expect(m.overrides!.map((o) => o.outcome)).toEqual(['applied', 'applied', 'applied', 'applied'])
    expect(m.base).toBe(file)
    const ds = m.config.sites[0]!.devices
    expect(ds.map((d) => d.id)).toEqual(['A', 'B', 'B2', 'C', 'N'])
    expect(ds.find((d) => d.id === 'B')).toMatchObject({ disabled: true, replacedBy: 'B2', replacedAt: new Date(T).toISOString() })
    expect(ds.find((d) => d.id === 'B2')).toMatchObject({ replaces: 'B' })
    expect(ds.find((d) => d.id === 'C')).toMatchObject({ disabled: true, retiredAt: new Date(T).toISOString() })
    expect(applyOverrides(m, [ch('enable', 'A')]).config.sites[0]!.devices[0]!.disabled).toBeUndefined() // a merged config is merged again from its base
  })

  it('skips a change the file no longer fits (the file wins), with a warning; no-ops one the file holds already', () => {
    const file = load([dev('A', ', disabled: true'), dev('X')])
    const m = applyOverrides(file, [ch('disable', 'GONE'), ch('disable', 'A'), ch('add', 'X', spec('X')), ch('enable', 'A'), ch('add', 'Y', { ...spec('Y'), unit: undefined } as unknown as DeviceChange['spec'])])
    expect(m.overrides!.map((o) => o.outcome)).toEqual(['skipped', 'noop', 'skipped', 'applied', 'skipped'])
    expect(m.warnings.filter((w) => w.includes('device change #')).length).toBe(4)
    expect(m.warnings.some((w) => w.includes('(disable GONE) is skipped') && w.includes('not in the file'))).toBe(true)
    expect(m.warnings.some((w) => w.includes('(add X) is skipped') && w.includes('the file wins'))).toBe(true)
    expect(m.overrides![4]!.detail).toContain('invalid')
    expect(m.config.sites[0]!.devices.map((d) => [d.id, d.disabled])).toEqual([['A', undefined], ['X', undefined]])
  })

  it('export folds the changes into the file, after which they are no-ops and the registry is the same', () => {
    const src = text([dev('A'), dev('B')]).replace('    devices:\n', '    # the monitors\n    devices:\n')
    const file = parseConfig(src, 'f.yaml')
    const changes = [ch('replace', 'A', spec('A2')), ch('add', 'N', spec('N'))]
    const m = applyOverrides(file, changes)
    const out = exportConfig(src, m)
    expect(out).toContain('# the monitors')
    expect(out).toContain('password: pw-B-000') // untouched devices stay as the file has them
    const folded = parseConfig(out, 'exported.yaml')
    expect(folded.config).toEqual(m.config)
    expect(applyOverrides(folded, changes).overrides!.map((o) => o.outcome)).toEqual(['noop', 'noop'])
  })
})

describe('replacement chains', () => {
  it('map every device of a chain to the one now at its position; reports use one device per position', () => {
    const file = load([dev('A'), dev('B')])
    const m = applyOverrides(file, [ch('replace', 'A', spec('A2')), ch('replace', 'A2', spec('A3'))])
    const site = m.config.sites[0]!
    expect(Object.fromEntries(positions(site))).toEqual({ A: 'A3', A2: 'A3', A3: 'A3', B: 'B' })
    expect(positionDevices(site).map((d) => d.id)).toEqual(['A3', 'B'])
  })

  it('merge the halves\' dust data: minute means averaged, hour means weighted by their minutes', () => {
    const H = 3_600_000
    const pos = new Map([['A', 'A2'], ['A2', 'A2'], ['B', 'B']])
    const d = alongPositions({
      minute: [{ device: 'A', t: 0, value: 1 }, { device: 'A', t: 60_000, value: 1 }, { device: 'A', t: 120_000, value: 1 }, { device: 'A2', t: 120_000, value: 3 }, { device: 'B', t: 0, value: 5 }],
      hour: [{ device: 'A', t: 0, value: 1 }, { device: 'A2', t: 0, value: 3 }, { device: 'B', t: H, value: 5 }]
    }, pos)
    expect(d.minute).toEqual([{ device: 'A2', t: 0, value: 1 }, { device: 'A2', t: 60_000, value: 1 }, { device: 'A2', t: 120_000, value: 2 }, { device: 'B', t: 0, value: 5 }])
    expect(d.hour).toEqual([{ device: 'A2', t: 0, value: (1 * 3 + 3 * 1) / 4 }, { device: 'B', t: H, value: 5 }])
  })
})

describe('config validation of the lifecycle fields', () => {
  it('needs both ends of a replacement in the site, of one kind, naming each other, and a retired or replaced device disabled', () => {
    expect(() => load([dev('A', ', replacedBy: Z, replacedAt: "2026-12-01T00:00:00Z", disabled: true')])).toThrow(/'Z' is not a device of site 's1'/)
    expect(() => load([dev('A', ', retiredAt: "2026-12-01T00:00:00Z"')])).toThrow(/set disabled: true as well/)
    expect(() => load([dev('A', ', replacedBy: B, replacedAt: "2026-12-01T00:00:00Z", disabled: true'), dev('B')])).toThrow(/'B' must name 'A' in replaces/)
  })
})
