import { describe, it, expect } from 'vitest'
import { createSosState, evaluateSos } from '../../../alerts/rules/sos.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { SECOND } from '../../../core/time.js'
import { locatorReadingSchema, formatIssue } from '../../../core/readings.js'

const T0 = Date.UTC(2025, 2, 1)

/** Signals of one tag's fixes every 5 s, `raised[i]` the SOS flag of fix i. */
function run (raised: boolean[]): Signal[] {
  const s = createSosState()
  const out: Signal[] = []
  raised.forEach((r, i) => { const sig = evaluateSos(s, r, T0 + i * 5 * SECOND); if (sig) out.push(sig) })
  return out
}

describe('sos rule', () => {
  it('fires an alarm at once, on the first fix with the button raised', () => {
    const sigs = run([false, false, true, true, true])
    expect(sigs.map((s) => [s.type, s.severity, s.reason, s.value])).toEqual([['fire', 'alarm', 'sos_raised', 1]])
    expect(sigs[0]!.at).toBe(T0 + 2 * 5 * SECOND)
  })

  it('holds while the button stays raised and never resolves from readings', () => {
    expect(run([true, ...Array<boolean>(100).fill(true), ...Array<boolean>(100).fill(false)])).toHaveLength(1)
  })

  it('fires again only after the tag sent a fix without the call and raised it anew', () => {
    const sigs = run([true, true, false, true, false, false, true])
    expect(sigs.map((s) => s.at)).toEqual([T0, T0 + 3 * 5 * SECOND, T0 + 6 * 5 * SECOND])
  })

  it('ignores a late fix: it says nothing about the button now', () => {
    const s = createSosState()
    expect(evaluateSos(s, false, T0 + 10 * SECOND)).toBeNull()
    expect(evaluateSos(s, true, T0)).toBeNull()
    expect(s.raised).toBe(false)
    expect(evaluateSos(s, true, T0 + 15 * SECOND)?.type).toBe('fire')
  })

  it('a state marked raised (an open alert restored after a restart) does not fire again', () => {
    const s = createSosState()
    s.raised = true
    expect(evaluateSos(s, true, T0)).toBeNull()
  })
})

describe('the locator contract\'s sos field', () => {
  const fixOf = (sos: unknown) => ({ ts: T0, entity: 'person', entityId: 'P-1', lat: 30.95, lon: 119.91, sos })
  it('takes true/false or 1/0 and stores 1/0; absent stays absent', () => {
    expect([true, 1, false, 0].map((x) => locatorReadingSchema.parse(fixOf(x)).sos)).toEqual([1, 1, 0, 0])
    expect(locatorReadingSchema.parse({ ...fixOf(undefined), sos: undefined }).sos).toBeUndefined()
  })
  it('rejects anything else with the field named', () => {
    for (const bad of ['yes', 2, null]) {
      const r = locatorReadingSchema.safeParse(fixOf(bad))
      expect(r.success).toBe(false)
      expect(formatIssue(r.error!.issues[0]!)).toMatch(/^sos: /)
    }
  })
})
