import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { isMinewatchError } from '../../../core/errors.js'
import { alertZone, scheduleSchema, suppressionWindow, unsuppressedReason, windowActive, windowCovers, type Schedule } from '../../../core/schedules.js'

/** Epoch ms of a Beijing wall-clock time. */
const bj = (iso: string) => Date.parse(`${iso}+08:00`)

const slot = (days: string[], from: string, to: string) => ({ days, from, to }) as Schedule['weekly'][number]

describe('schedules: weekly windows in Beijing time', () => {
  // 2026-12-02 is a Wednesday
  const cases: Array<[string, Schedule['weekly'], string, boolean]> = [
    ['inside a daytime slot', [slot(['wed'], '08:00', '12:00')], '2026-12-02T08:00:00', true],
    ['its end is excluded', [slot(['wed'], '08:00', '12:00')], '2026-12-02T12:00:00', false],
    ['one minute before the start', [slot(['wed'], '08:00', '12:00')], '2026-12-02T07:59:59', false],
    ['another weekday', [slot(['thu'], '08:00', '12:00')], '2026-12-02T09:00:00', false],
    ['overnight slot, evening of its day', [slot(['wed'], '22:00', '06:00')], '2026-12-02T23:30:00', true],
    ['overnight slot, next morning', [slot(['tue'], '22:00', '06:00')], '2026-12-02T05:59:00', true],
    ['overnight slot, next morning after 06:00', [slot(['tue'], '22:00', '06:00')], '2026-12-02T06:00:00', false],
    ['overnight slot, morning of its own day is not in it', [slot(['wed'], '22:00', '06:00')], '2026-12-02T05:00:00', false],
    ['until 24:00', [slot(['wed'], '20:00', '24:00')], '2026-12-02T23:59:59', true],
    ['Sunday slot at the week boundary', [slot(['sun'], '22:00', '02:00')], '2026-12-07T01:00:00', true],
    ['second slot matches', [slot(['mon'], '08:00', '09:00'), slot(['wed'], '14:00', '15:00')], '2026-12-02T14:30:00', true]
  ]
  for (const [name, weekly, at, want] of cases) {
    it(`${name}: ${at} → ${want}`, () => { expect(windowActive({ weekly }, bj(at))).toBe(want) })
  }

  it('Beijing, not UTC: 08:00 Beijing is 00:00 UTC', () => {
    expect(windowActive({ weekly: [slot(['wed'], '08:00', '09:00')] }, Date.parse('2026-12-02T00:30:00Z'))).toBe(true)
    expect(windowActive({ weekly: [slot(['wed'], '00:00', '01:00')] }, Date.parse('2026-12-02T00:30:00Z'))).toBe(false)
  })
})

describe('schedules: what a window covers', () => {
  const site = { site: 's1' }
  it('a site window covers every alert of its site only', () => {
    expect(windowCovers(site, { site: 's1', kind: 'device_offline', subject: 'd1', device: 'd1' })).toBe(true)
    expect(windowCovers(site, { site: 's2', kind: 'device_offline', subject: 'd1', device: 'd1' })).toBe(false)
  })
  it('a device window covers that device\'s alerts; a zone window the alerts about that zone', () => {
    expect(windowCovers({ ...site, device: 'd1' }, { site: 's1', kind: 'dust_exceedance', subject: 'd1:tsp:3600', device: 'd1' })).toBe(true)
    expect(windowCovers({ ...site, device: 'd1' }, { site: 's1', kind: 'dust_exceedance', subject: 'd2:tsp:3600', device: 'd2' })).toBe(false)
    expect(windowCovers({ ...site, zone: 'z1' }, { site: 's1', kind: 'zone_intrusion', subject: 'z1:P1', device: 'L1' })).toBe(true)
    expect(windowCovers({ ...site, zone: 'z1' }, { site: 's1', kind: 'zone_overcrowded', subject: 'z1', device: null })).toBe(true)
    expect(windowCovers({ ...site, zone: 'z1' }, { site: 's1', kind: 'zone_intrusion', subject: 'z2:P1', device: 'L1' })).toBe(false)
    expect(windowCovers({ ...site, zone: 'z1' }, { site: 's1', kind: 'boundary_breach', subject: 'z1', device: 'L1' })).toBe(false)
    expect(alertZone('sos', 'P1')).toBeNull()
  })
  it('suppression reasons carry the window id and the rule\'s reason', () => {
    expect(suppressionWindow('suppressed:maint-1:avg_above_limit_for_hold')).toBe('maint-1')
    expect(suppressionWindow('suppression_ended:maint-1')).toBe('maint-1')
    expect(suppressionWindow('acknowledged')).toBeNull()
    expect(unsuppressedReason('suppressed:maint-1:avg_above_limit_for_hold')).toBe('avg_above_limit_for_hold')
    expect(unsuppressedReason('left_zone')).toBe('left_zone')
  })
})

const square = '{ type: Polygon, coordinates: [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]] }'
const config = (schedules: string) => `
demo: true
sites:
  - id: s1
    name: 测试矿
    province: 浙江省
    licence: C1
    scaleTPerYear: 1000000
    boundary: ${square}
    zones:
      - { id: z1, name: 爆破区, kind: blasting, geometry: ${square} }
    devices:
      - { id: d1, kind: dust, unit: mg/m3, intervalS: 60, password: longenough1 }
alerts:
  schedules:
${schedules}
`
function problems (text: string): string[] {
  try { parseConfig(text, 'x.yaml', {}) } catch (err) {
    if (isMinewatchError(err, 'MW_CONFIG_INVALID')) return err.details as string[]
    throw err
  }
  return []
}

describe('schedules in the config', () => {
  it('loads a valid maintenance and blasting window', () => {
    const { config: c } = parseConfig(config(`
    - { id: m1, type: maintenance, site: s1, device: d1, owner: 机修班, reason: 检修, weekly: [{ days: [wed], from: '08:00', to: '12:00' }] }
    - { id: b1, type: blasting, site: s1, zone: z1, owner: 爆破队, reason: 中午爆破, weekly: [{ days: [mon, tue, wed, thu, fri], from: '11:30', to: '12:30' }] }`), 'x.yaml', {})
    expect(c.alerts.schedules.map((s) => [s.id, s.type])).toEqual([['m1', 'maintenance'], ['b1', 'blasting']])
  })

  it('reports every problem with its path: unknown site, zone, device, bad time, blasting without zone, duplicate id', () => {
    const p = problems(config(`
    - { id: m1, type: maintenance, site: nope, owner: a, reason: b, weekly: [{ days: [wed], from: '08:00', to: '12:00' }] }
    - { id: m2, type: maintenance, site: s1, zone: z9, owner: a, reason: b, weekly: [{ days: [wed], from: '08:00', to: '12:00' }] }
    - { id: m3, type: maintenance, site: s1, device: d9, owner: a, reason: b, weekly: [{ days: [wed], from: '08:00', to: '12:00' }] }
    - { id: m4, type: maintenance, site: s1, owner: a, reason: b, weekly: [{ days: [wed], from: '25:00', to: '12:00' }] }
    - { id: b1, type: blasting, site: s1, owner: a, reason: b, weekly: [{ days: [wed], from: '08:00', to: '12:00' }] }
    - { id: m1, type: production, site: s1, owner: a, reason: b, weekly: [{ days: [wed], from: '08:00', to: '08:00' }] }`))
    const text = p.join('\n')
    expect(text).toMatch(/alerts\.schedules\[0\]\.site: unknown site 'nope'/)
    expect(text).toMatch(/alerts\.schedules\[1\]\.zone: 'z9' is not a zone of site 's1'/)
    expect(text).toMatch(/alerts\.schedules\[2\]\.device: 'd9' is not a device of site 's1'/)
    expect(text).toMatch(/alerts\.schedules\[3\]\.weekly\[0\]\.from: a Beijing time HH:MM/)
    expect(text).toMatch(/alerts\.schedules\[4\]\.zone: a blasting window needs the zone/)
    expect(text).toMatch(/alerts\.schedules\[5\]\.id: duplicate schedule id 'm1'/)
    expect(text).toMatch(/alerts\.schedules\[5\]\.weekly\[0\]\.to: from and to must differ/)
  })

  it('the schema refuses a window on both a zone and a device, and an id with a colon', () => {
    const base = { type: 'maintenance', site: 's1', owner: 'a', reason: 'b', weekly: [slot(['wed'], '08:00', '09:00')] }
    expect(scheduleSchema.safeParse({ ...base, id: 'x', zone: 'z1', device: 'd1' }).success).toBe(false)
    expect(scheduleSchema.safeParse({ ...base, id: 'a:b' }).success).toBe(false)
    expect(scheduleSchema.safeParse({ ...base, id: 'ok' }).success).toBe(true)
  })
})
