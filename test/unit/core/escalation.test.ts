import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { oneSiteYaml, configProblems } from '../../helpers/site-yaml.js'
import { escalationStep, followTransition, nextStep, policyFor, tierReceivers, type EscalationPolicy, type EscalationTrack } from '../../../core/escalation.js'
import { SECOND } from '../../../core/time.js'

const POLICY: EscalationPolicy = {
  id: 'p', sites: '*', severity: 'alarm', kinds: '*', repeatS: 300,
  tiers: [{ name: '班长', afterS: 0, receivers: ['a'] }, { name: '安全员', afterS: 600, receivers: ['b', 'a'] }, { name: '监管', afterS: 1800, receivers: ['c'] }]
}
const track = (o: Partial<EscalationTrack> = {}): EscalationTrack => ({ policy: 'p', startAt: 0, tier: 1, reminders: 0, lastAt: 0, ...o })

describe('escalation steps (core/escalation.ts)', () => {
  it('reasons: escalated:tier<N>, reminder:tier<N>:<k>; a severity change (escalated:<rule reason>) is no step', () => {
    expect(escalationStep('escalated:tier2')).toEqual({ tier: 2, reminder: 0 })
    expect(escalationStep('reminder:tier3:12')).toEqual({ tier: 3, reminder: 12 })
    expect(escalationStep('escalated:year_above_scale')).toBeNull()
    expect(escalationStep('acknowledged')).toBeNull()
  })

  it('the next step: tier by its delay from the start, reminders from the last step, never a reminder when the tier is due first', () => {
    const table: Array<[EscalationTrack, number, string | null]> = [
      [track(), 299 * SECOND, null],
      [track(), 300 * SECOND, 'reminder:tier1:1'],
      [track({ reminders: 1, lastAt: 300 * SECOND }), 599 * SECOND, null],
      [track({ reminders: 1, lastAt: 300 * SECOND }), 600 * SECOND, 'escalated:tier2'], // the reminder due at 600 too: the tier wins
      [track({ tier: 2, lastAt: 600 * SECOND }), 900 * SECOND, 'reminder:tier2:1'],
      [track({ tier: 2, lastAt: 600 * SECOND }), 5000 * SECOND, 'escalated:tier3'], // stopped past tier 3: tier 3 first
      [track({ tier: 3, lastAt: 5000 * SECOND }), 5000 * SECOND, null],
      [track({ tier: 3, reminders: 4, lastAt: 5000 * SECOND }), 5300 * SECOND, 'reminder:tier3:5'],
      [track({ tier: 3 }), 10 ** 9, 'reminder:tier3:1'] // one reminder, not a burst
    ]
    for (const [t, now, want] of table) expect(nextStep(t, POLICY, now)?.reason ?? null, JSON.stringify([t, now])).toBe(want)
    expect(nextStep(track(), { ...POLICY, repeatS: undefined }, 599 * SECOND)).toBeNull()
  })

  it('follows stored transitions: a firing starts it, steps move it, an acknowledgement, resolve or suppression stops it', () => {
    const start = followTransition(null, { from: null, to: 'firing', reason: 'avg_above_limit_for_hold', at: 1000 }, POLICY)
    expect(start).toEqual({ policy: 'p', startAt: 1000, tier: 1, reminders: 0, lastAt: 1000 })
    expect(followTransition(null, { from: null, to: 'firing', reason: 'x', at: 1000 }, undefined)).toBeNull()
    const t2 = followTransition(start, { from: 'firing', to: 'firing', reason: 'escalated:tier2', at: 5000 }, POLICY)
    expect(t2).toEqual({ policy: 'p', startAt: 1000, tier: 2, reminders: 0, lastAt: 5000 })
    expect(followTransition(t2, { from: 'firing', to: 'firing', reason: 'reminder:tier2:1', at: 6000 }, POLICY)).toMatchObject({ tier: 2, reminders: 1, lastAt: 6000 })
    expect(followTransition(t2, { from: 'firing', to: 'firing', reason: 'no_data', at: 6000 }, POLICY)).toBe(t2)
    expect(followTransition(t2, { from: 'firing', to: 'acknowledged', reason: 'acknowledged', at: 6000 }, POLICY)).toBeNull()
    expect(followTransition(t2, { from: 'firing', to: 'resolved', reason: 'closed:false_alarm', at: 6000 }, POLICY)).toBeNull()
    expect(followTransition(null, { from: null, to: 'firing', reason: 'suppressed:w:avg_above_limit_for_hold', at: 0 }, POLICY)).toBeNull()
    expect(followTransition(null, { from: 'firing', to: 'firing', reason: 'suppression_ended:w', at: 7000 }, POLICY)).toMatchObject({ startAt: 7000, tier: 1 })
    // an acknowledged warning that becomes an alarm needs attention again: it starts over under the alarm policy
    expect(followTransition(null, { from: 'acknowledged', to: 'firing', reason: 'escalated:year_above_scale', at: 8000 }, POLICY)).toMatchObject({ startAt: 8000, tier: 1 })
    expect(followTransition(t2, { from: 'firing', to: 'firing', reason: 'escalated:year_above_scale', at: 8000 }, POLICY)).toMatchObject({ startAt: 8000, tier: 1 })
  })

  it('receivers of a step are the tiers reached, each once; the policy is chosen by site, severity and kind', () => {
    expect(tierReceivers(POLICY, 1)).toEqual(['a'])
    expect(tierReceivers(POLICY, 3)).toEqual(['a', 'b', 'c'])
    const ps: EscalationPolicy[] = [{ ...POLICY, id: 'dust', sites: ['s1'], kinds: ['dust_exceedance'] }, { ...POLICY, id: 'rest', sites: ['s1'], severity: 'warning' }]
    expect(policyFor(ps, 's1', 'alarm', 'dust_exceedance')?.id).toBe('dust')
    expect(policyFor(ps, 's1', 'alarm', 'sos')).toBeUndefined()
    expect(policyFor(ps, 's1', 'warning', 'sos')?.id).toBe('rest')
    expect(policyFor(ps, 's2', 'warning', 'sos')).toBeUndefined()
  })
})

const config = (escalation: string) => oneSiteYaml(`    devices:
      - { id: d1, kind: dust, unit: mg/m3, intervalS: 60, password: longenough1 }`, `alerts:
  subscriptions:
    - { id: lead, type: mqtt }
    - { id: officer, type: mqtt, escalationOnly: true }
  escalation:
${escalation}`)
const problems = (text: string) => configProblems(text, 'site.yaml')

describe('escalation policies in the config', () => {
  it('loads a valid policy', () => {
    const { config: c } = parseConfig(config(`    - id: alarms
      sites: [s1]
      severity: alarm
      repeatS: 300
      tiers:
        - { name: 当班班长, receivers: [lead] }
        - { name: 矿山安全员, afterS: 600, receivers: [officer] }`), 'site.yaml', {})
    expect(c.alerts.escalation[0]).toMatchObject({ id: 'alarms', kinds: '*', tiers: [{ afterS: 0 }, { afterS: 600 }] })
    expect(c.alerts.subscriptions.map((s) => s.escalationOnly)).toEqual([undefined, true])
  })

  it('reports every problem with its file, line and path: unknown site and receiver, delays out of order, a first tier with a delay, one tier, duplicate ids, overlapping policies', () => {
    const p = problems(config(`    - id: a
      sites: [nope]
      severity: alarm
      tiers:
        - { name: 班长, receivers: [lead] }
        - { name: 安全员, afterS: 600, receivers: [nobody] }
        - { name: 监管, afterS: 600, receivers: [officer] }
    - id: b
      sites: '*'
      severity: warning
      tiers:
        - { name: 班长, afterS: 60, receivers: [lead] }
        - { name: 安全员, afterS: 600, receivers: [officer] }
    - id: b
      sites: [s1]
      severity: warning
      kinds: [dust_exceedance]
      tiers: [{ name: 班长, receivers: [lead] }]`))
    const text = p.join('\n')
    expect(text).toMatch(/site\.yaml:18: alerts\.escalation\[0\]\.sites\[0\]: unknown site 'nope'/)
    expect(text).toMatch(/site\.yaml:22: alerts\.escalation\[0\]\.tiers\[1\]\.receivers\[0\]: 'nobody' is not a subscription id/)
    expect(text).toMatch(/alerts\.escalation\[0\]\.tiers\[2\]\.afterS: must be later than tier 2's afterS \(600 s\)/)
    expect(text).toMatch(/alerts\.escalation\[1\]\.tiers\[0\]\.afterS: the first tier is notified when the alert fires: its afterS must be 0/)
    expect(text).toMatch(/site\.yaml:34: alerts\.escalation\[2\]\.tiers: at least two tiers/)
    expect(text).toMatch(/alerts\.escalation\[2\]\.id: duplicate escalation policy id 'b'/)
    expect(text).toMatch(/alerts\.escalation\[2\]\.sites: policy 'b' already escalates warning alerts/)
  })

  it('refuses duplicate ids and two policies for the same site, severity and kind', () => {
    const tiers = `      tiers:
        - { name: 班长, receivers: [lead] }
        - { name: 安全员, afterS: 600, receivers: [officer] }`
    const text = problems(config(`    - id: a
      sites: '*'
      severity: alarm
${tiers}
    - id: a
      sites: [s1]
      severity: alarm
      kinds: [sos]
${tiers}
    - id: c
      sites: [s1]
      severity: warning
${tiers}`)).join('\n')
    expect(text).toMatch(/alerts\.escalation\[1\]\.id: duplicate escalation policy id 'a'/)
    expect(text).toMatch(/alerts\.escalation\[1\]\.sites: policy 'a' already escalates alarm alerts of these sites and kinds/)
    expect(text).not.toMatch(/escalation\[2\]/)
  })
})
