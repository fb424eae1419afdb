import { describe, it, expect } from 'vitest'
import { createOreState, evaluateOre, monthlyLimit, type OreState } from '../../../alerts/rules/over-capacity.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { beijingDateToMs, HOUR, DAY } from '../../../core/time.js'

const JAN1 = beijingDateToMs('2025-01-01')

/** Loads of `t` tonnes every hour for `days` days from `from`. */
function produce (s: OreState, from: number, days: number, tPerHour: number): Signal[] {
  const out: Signal[] = []
  for (let ts = from; ts < from + days * DAY; ts += HOUR) {
    const sig = evaluateOre(s, tPerHour, ts)
    if (sig) out.push(sig)
  }
  return out
}

describe('over_capacity rule', () => {
  it('warns when month-to-date passes its pro-rata share plus margin, holds, resolves in a new month', () => {
    // 1.2 Mt/year licence: 100 kt a month, warning above 110 kt
    const s = createOreState(1_200_000, 0.1)
    expect(monthlyLimit(s)).toBeCloseTo(110_000)
    // January at 160 t/h = 119 kt: over by day 29; February at 100 t/h = 67 kt
    const sigs = produce(s, JAN1, 31, 160).concat(produce(s, beijingDateToMs('2025-02-01'), 28, 100))
    expect(sigs.map((x) => [x.type, x.severity, x.reason])).toEqual([
      ['fire', 'warning', 'month_to_date_above_pro_rata'],
      ['resolve', 'warning', 'new_period']
    ])
    expect(sigs[0]!.value!).toBeGreaterThan(110_000)
    expect(sigs[1]!.at).toBe(beijingDateToMs('2025-02-01'))
  })

  it('escalates to alarm when the year-to-date passes the annual licence; the alarm lasts to the new year', () => {
    const s = createOreState(1_200_000, 0.1)
    const sigs = produce(s, JAN1, 365, 150).concat(produce(s, beijingDateToMs('2026-01-01'), 10, 150)) // 1.31 Mt a year
    const kinds = sigs.map((x) => `${x.type}:${x.severity}`)
    expect(kinds[0]).toBe('fire:warning') // January: 111.6 kt
    expect(kinds).toContain('fire:alarm')
    expect(kinds.at(-1)).toBe('resolve:warning')
    const alarm = sigs.find((x) => x.severity === 'alarm' && x.type === 'fire')!
    expect(alarm.value!).toBeGreaterThan(1_200_000)
    expect(alarm.at).toBeGreaterThan(beijingDateToMs('2025-11-01'))
    expect(sigs.at(-1)!.at).toBe(beijingDateToMs('2026-01-01'))
  })

  it('output hovering at the monthly share does not flap, and late data of a past month counts for the year only', () => {
    const s = createOreState(1_200_000, 0.1)
    // every month just around its share: 100 kt ± 5 %, never above 110 kt
    let sigs: Signal[] = []
    for (let m = 0; m < 6; m++) sigs = sigs.concat(produce(s, beijingDateToMs(`2025-0${m + 1}-01`), 28, m % 2 ? 155 : 140))
    expect(sigs).toEqual([])
    const ytd = s.ytd; const mtd = s.mtd
    evaluateOre(s, 500, beijingDateToMs('2025-02-10'))
    expect(s.ytd).toBe(ytd + 500)
    expect(s.mtd).toBe(mtd)
  })
})
