import { describe, it, expect } from 'vitest'
import { Rng, hashSeed, valueNoise } from '../../../simulators/prng.js'

describe('prng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(42); const b = new Rng(42); const c = new Rng(43)
    const xa = Array.from({ length: 100 }, () => a.next())
    const xb = Array.from({ length: 100 }, () => b.next())
    const xc = Array.from({ length: 100 }, () => c.next())
    expect(xa).toEqual(xb)
    expect(xa).not.toEqual(xc)
    for (const x of xa) expect(x >= 0 && x < 1).toBe(true)
  })

  it('has roughly uniform and normal distributions', () => {
    const r = Rng.of('test', 1)
    const n = 20_000
    let sum = 0; let sumN = 0; let sumN2 = 0
    for (let i = 0; i < n; i++) { sum += r.next(); const g = r.normal(); sumN += g; sumN2 += g * g }
    expect(sum / n).toBeGreaterThan(0.48)
    expect(sum / n).toBeLessThan(0.52)
    expect(Math.abs(sumN / n)).toBeLessThan(0.03)
    expect(sumN2 / n).toBeGreaterThan(0.95)
    expect(sumN2 / n).toBeLessThan(1.05)
  })

  it('int covers its inclusive range', () => {
    const r = new Rng(7)
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) seen.add(r.int(1, 6))
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('hashSeed separates parts', () => {
    expect(hashSeed('a', 'bc')).toBe(hashSeed('a', 'bc'))
    expect(hashSeed('a', 'bc')).not.toBe(hashSeed('ab', 'c'))
  })

  it('valueNoise is smooth, in [0, 1] and independent of evaluation order', () => {
    const ts = Array.from({ length: 500 }, (_, i) => 1_700_000_000_000 + i * 60_000)
    const forward = ts.map((t) => valueNoise(5, t, 3_600_000))
    const backward = [...ts].reverse().map((t) => valueNoise(5, t, 3_600_000)).reverse()
    expect(forward).toEqual(backward)
    for (let i = 0; i < forward.length; i++) {
      expect(forward[i]).toBeGreaterThanOrEqual(0)
      expect(forward[i]).toBeLessThanOrEqual(1)
      if (i > 0) expect(Math.abs(forward[i]! - forward[i - 1]!)).toBeLessThan(0.1)
    }
  })
})
