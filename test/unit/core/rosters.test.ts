import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { ackActor, dutyOf, lastChange, shiftAt, type Roster } from '../../../core/rosters.js'
import { beijingDateToMs, HOUR, MINUTE } from '../../../core/time.js'
import { oneSiteYaml, configProblems } from '../../helpers/site-yaml.js'

const DAY0 = beijingDateToMs('2025-03-01') // 00:00 Beijing
const at = (hh: number, mm = 0) => DAY0 + hh * HOUR + mm * MINUTE

const ROSTER: Roster = {
  site: 's1',
  people: [{ id: 'P001', name: '张三', user: 'ops-zhang' }, { id: 'P002', name: '李四', user: 'ops-li' }, { id: 'P003', name: '王五' }],
  shifts: [
    { id: 'day', name: '白班', from: '08:00', to: '16:00', onDuty: ['P001'], channel: 'day' },
    { id: 'swing', name: '中班', from: '16:00', to: '24:00', onDuty: ['P002'], channel: 'swing' },
    { id: 'night', name: '夜班', from: '00:00', to: '08:00', onDuty: ['P003'], channel: 'night' }
  ]
}
const OVERNIGHT: Roster = { ...ROSTER, shifts: [{ id: 'day', name: '白班', from: '08:00', to: '20:00', onDuty: ['P001'], channel: 'day' }, { id: 'night', name: '夜班', from: '20:00', to: '08:00', onDuty: ['P002'], channel: 'night' }] }

describe('rosters (core/rosters.ts)', () => {
  it('the shift on duty and when it began, Beijing time, overnight shifts included', () => {
    const table: Array<[Roster, number, string | null, number | null]> = [
      [ROSTER, at(8), 'day', at(8)],
      [ROSTER, at(15, 59), 'day', at(8)],
      [ROSTER, at(16), 'swing', at(16)],
      [ROSTER, at(23, 59), 'swing', at(16)],
      [ROSTER, at(24), 'night', at(24)],
      [ROSTER, at(7, 59), 'night', at(0)],
      [OVERNIGHT, at(20), 'night', at(20)],
      [OVERNIGHT, at(24 + 3), 'night', at(20)], // began yesterday evening
      [OVERNIGHT, at(24 + 8), 'day', at(24 + 8)],
      [{ ...ROSTER, shifts: ROSTER.shifts.slice(0, 1) }, at(17), null, null] // a gap
    ]
    for (const [r, t, shift, startsAt] of table) {
      const s = shiftAt(r, t)
      expect([s?.shift.id ?? null, s?.startsAt ?? null], String(t)).toEqual([shift, startsAt])
    }
  })

  it('the last change: the incoming shift, when, and the outgoing one', () => {
    const c = lastChange(ROSTER, at(16, 0))!
    expect([c.incoming.id, c.at, c.outgoing?.shift.id, c.outgoing?.startsAt]).toEqual(['swing', at(16), 'day', at(8)])
    const n = lastChange(OVERNIGHT, at(24 + 1))!
    expect([n.incoming.id, n.at, n.outgoing?.shift.id, n.outgoing?.startsAt]).toEqual(['night', at(20), 'day', at(8)])
  })

  it('an acknowledgement records the roster person; one not on duty is recorded as such; an account in no roster as itself', () => {
    expect(ackActor(ROSTER, 'ops-zhang', at(9))).toBe('张三(P001)')
    expect(ackActor(ROSTER, 'ops-zhang', at(17))).toBe('张三(P001,非当班)')
    expect(ackActor(ROSTER, 'ops-li', at(17))).toBe('李四(P002)')
    expect(ackActor(ROSTER, 'admin', at(9))).toBe('admin')
    expect(ackActor(undefined, 'ops-zhang', at(9))).toBe('ops-zhang')
    expect(dutyOf(ROSTER, 'ops-zhang', at(17))).toMatchObject({ person: { id: 'P001' }, onDuty: false, shift: { id: 'swing' } })
  })
})

const config = (rosters: string) => oneSiteYaml(`    devices:
      - { id: d1, kind: dust, unit: mg/m3, intervalS: 60, password: longenough1 }`, `alerts:
  subscriptions:
    - { id: day, type: webhook, url: "https://example.com/a", secret: sixteen-chars-secret }
    - { id: bus, type: mqtt }
  rosters:
${rosters}`)

describe('rosters in the config', () => {
  it('loads a valid roster', () => {
    const { config: c } = parseConfig(config(`    - site: s1
      people: [{ id: P001, name: 张三, user: ops-zhang }]
      shifts:
        - { id: day, name: 白班, from: '08:00', to: '20:00', onDuty: [P001], channel: day }
        - { id: night, name: 夜班, from: '20:00', to: '08:00', onDuty: [P001], channel: day }`), 'site.yaml', {})
    expect(c.alerts.rosters[0]!.shifts.map((s) => s.id)).toEqual(['day', 'night'])
  })

  it('reports every problem with its file, line and path', () => {
    const text = configProblems(config(`    - site: nope
      people: [{ id: P001, name: 张三, user: u1 }, { id: P001, name: 李四, user: u1 }]
      shifts:
        - { id: day, name: 白班, from: '08:00', to: '16:00', onDuty: [P009], channel: nobody }
        - { id: late, name: 中班, from: '15:00', to: '23:00', onDuty: [P001], channel: bus }
        - { id: day, name: 夜班, from: '8:00', to: '08:00', onDuty: [P001], channel: day }
    - site: nope
      people: [{ id: P001, name: 张三 }]
      shifts: [{ id: a, name: 白班, from: '08:00', to: '16:00', onDuty: [P001], channel: day }]`), 'site.yaml').join('\n')
    expect(text).toMatch(/site\.yaml:\d+: alerts\.rosters\[0\]\.site: unknown site 'nope'/)
    expect(text).toMatch(/alerts\.rosters\[0\]\.shifts\[2\]\.from: a Beijing time HH:MM/)
    expect(text).toMatch(/alerts\.rosters\[1\]\.site: site 'nope' already has a roster/)
    const semantic = configProblems(config(`    - site: s1
      people: [{ id: P001, name: 张三, user: u1 }, { id: P001, name: 李四, user: u1 }]
      shifts:
        - { id: day, name: 白班, from: '08:00', to: '16:00', onDuty: [P009], channel: nobody }
        - { id: late, name: 中班, from: '15:00', to: '23:00', onDuty: [P001], channel: bus }
        - { id: day, name: 夜班, from: '23:00', to: '08:00', onDuty: [P001], channel: day }`), 'site.yaml').join('\n')
    expect(semantic).toMatch(/site\.yaml:\d+: alerts\.rosters\[0\]\.people\[1\]\.id: duplicate staff id 'P001'/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.people\[1\]\.user: user 'u1' is already P001/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.shifts\[0\]\.onDuty\[0\]: 'P009' is not a person of this roster/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.shifts\[0\]\.channel: 'nobody' is not a subscription id/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.shifts\[1\]\.channel: 'bus' is an mqtt subscription/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.shifts\[1\]\.from: overlaps shift 'day' at 15:00/)
    expect(semantic).toMatch(/alerts\.rosters\[0\]\.shifts\[2\]\.id: duplicate shift id 'day'/)
  })
})
