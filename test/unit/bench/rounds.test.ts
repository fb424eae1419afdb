import { describe, it, expect } from 'vitest'
import { interleave, median, ratios, spread, verdict, verdictRow, watchMachine, describeMachine } from '../../../bench/rounds.js'

describe('bench/rounds: interleaved rounds, ratios and verdicts', () => {
  it('runs variants interleaved, A B A B …', async () => {
    const order: string[] = []
    const r = await interleave(3, [
      { name: 'A', run: async () => { order.push('A'); return order.length } },
      { name: 'B', run: async () => { order.push('B'); return order.length } }
    ])
    expect(order).toEqual(['A', 'B', 'A', 'B', 'A', 'B'])
    expect(r.get('A')).toEqual([1, 3, 5])
    expect(r.get('B')).toEqual([2, 4, 6])
    await expect(interleave(0, [])).rejects.toThrow(/rounds must be/)
  })

  it('median of odd and even counts; ratios pair rounds', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow()
    const s = ratios([90, 100, 110], [100, 100, 100])
    expect(s).toMatchObject({ median: 1, min: 0.9, max: 1.1 })
    expect(() => ratios([1], [1, 2])).toThrow(/same non-zero length/)
  })

  it.each([
    // values, target, direction, verdict
    [[0.95, 0.96, 0.97], 0.9, 'at-least', 'met'],
    [[0.5, 0.55, 0.6], 0.9, 'at-least', 'NOT met'],
    [[0.8, 0.9, 1.0], 0.9, 'at-least', 'no verdict'], // straddles
    [[0.85, 0.95, 1.2], 0.9, 'at-least', 'no verdict'], // median above, but range 0.35 > margin 0.05
    [[38, 40, 42], 50, 'at-most', 'met'],
    [[60, 70, 75], 50, 'at-most', 'NOT met']
  ] as const)('%j against %d (%s) → %s', (values, target, direction, expected) => {
    expect(verdict(spread(values), target, direction).verdict).toBe(expected)
  })

  it('writes a table row that names the verdict or why it is withheld', () => {
    expect(verdictRow('broker / Mosquitto', spread([0.95, 0.96, 0.97]), 0.9)).toBe('| broker / Mosquitto | 0.96 | 0.95–0.97 | ≥ 0.90 | met |')
    expect(verdictRow('x', spread([0.8, 0.9, 1.0]), 0.9)).toMatch(/no verdict \(range 0\.20 is wider than the margin 0\.00/)
    expect(verdictRow('p99', spread([60, 70, 75]), 50, 'at-most', 'ms')).toBe('| p99 | 70 ms | 60–75 ms | ≤ 50 ms | **NOT met** |')
  })

  it('reports the load average and CPU steal around a run', () => {
    const m = watchMachine()()
    expect(m.loadBefore).toBeGreaterThanOrEqual(0)
    expect(describeMachine(m)).toMatch(/load average \(1 min\) [\d.]+ before, [\d.]+ after; CPU steal/)
  })
})
