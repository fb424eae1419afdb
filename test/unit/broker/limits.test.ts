import { describe, it, expect } from 'vitest'
import { ManualClock } from '../../../core/clock.js'
import { LoginThrottle } from '../../../broker/throttle.js'
import { DeviceRateLimiter } from '../../../broker/rate.js'
import { PendingConnects } from '../../../broker/pending-connects.js'

describe('LoginThrottle', () => {
  const opts = { max: 3, perAccountMax: 5, windowMs: 60_000, blockMs: 300_000 }
  const failN = (t: LoginThrottle, address: string, user: string, n: number): boolean[] =>
    Array.from({ length: n }, () => { const b = t.begin(address, user); if (!b.ok) throw new Error('refused'); return b.attempt.failed() })

  it('blocks an address at the max-th failure within the window, for blockMs', () => {
    const clock = new ManualClock(1_000)
    const t = new LoginThrottle(opts, clock)
    expect(failN(t, '10.0.0.1', 'x', 3)).toEqual([false, false, true])
    expect(t.isBlocked('10.0.0.1')).toBe(true)
    expect(t.begin('10.0.0.1', 'y')).toEqual({ ok: false, scope: 'address', retryAfterMs: 300_000 })
    expect(t.begin('10.0.0.2', 'y').ok).toBe(true)
    clock.advance(300_000)
    expect(t.isBlocked('10.0.0.1')).toBe(false)
    // a fresh window after the block: one failure does not block again
    expect(failN(t, '10.0.0.1', 'x', 1)).toEqual([false])
  })

  it('counts attempts in flight: parallel attempts cannot exceed max', () => {
    const t = new LoginThrottle(opts, new ManualClock(0))
    const slots = Array.from({ length: 10 }, () => t.begin('10.0.0.1', 'x'))
    expect(slots.filter((s) => s.ok)).toHaveLength(3)
    // an abandoned attempt (verifier busy) gives its slot back without counting
    const first = slots[0]!
    if (first.ok) first.attempt.abandoned()
    expect(t.begin('10.0.0.1', 'x').ok).toBe(true)
  })

  it('limits an account guessed from many addresses, but not from an address it logged in from', () => {
    const t = new LoginThrottle(opts, new ManualClock(0))
    const good = t.begin('10.0.0.9', 'dev')
    if (good.ok) good.attempt.succeeded()
    expect(t.isGoodPair('dev', '10.0.0.9')).toBe(true)
    for (let a = 1; a <= 5; a++) failN(t, `10.0.1.${a}`, 'dev', 1)
    expect(t.begin('10.0.1.99', 'dev')).toMatchObject({ ok: false, scope: 'account' })
    expect(t.begin('10.0.0.9', 'dev').ok).toBe(true)
  })

  it('a good pair loses its standing after max failures of its own', () => {
    const t = new LoginThrottle({ ...opts, max: 2 }, new ManualClock(0))
    const s = t.begin('10.0.0.9', 'dev')
    if (s.ok) s.attempt.succeeded()
    failN(t, '10.0.0.9', 'dev', 2)
    expect(t.isGoodPair('dev', '10.0.0.9')).toBe(false)
  })

  it('refuses at accept time only a blocked address no username ever logged in from', () => {
    const clock = new ManualClock(0)
    const t = new LoginThrottle(opts, clock)
    failN(t, '10.0.0.1', 'x', 3)
    expect(t.refusesAtAccept('10.0.0.1')).toBe(true)
    expect(t.refusesAtAccept('10.0.0.2')).toBe(false) // not blocked
    // a NAT address where a device logged in: blocked, but its connections must reach the login check
    const s = t.begin('10.0.0.3', 'dev')
    if (s.ok) s.attempt.succeeded()
    failN(t, '10.0.0.3', 'other', 3)
    expect(t.isBlocked('10.0.0.3')).toBe(true)
    expect(t.refusesAtAccept('10.0.0.3')).toBe(false)
    // once that pair lost its standing (max failures of its own), nothing from there could pass
    clock.advance(300_000)
    failN(t, '10.0.0.3', 'dev', 3)
    expect(t.isGoodPair('dev', '10.0.0.3')).toBe(false)
    expect(t.refusesAtAccept('10.0.0.3')).toBe(true)
    clock.advance(300_000)
    expect(t.refusesAtAccept('10.0.0.1')).toBe(false) // the block ended
  })
})

describe('PendingConnects', () => {
  it('bounds connections without CONNACK overall and per address; a release is given back once', () => {
    const p = new PendingConnects(4, 2)
    const a1 = p.take('a')!
    p.take('a')
    expect(p.take('a')).toBeUndefined() // per address
    p.take('b')
    p.take('c')
    expect(p.take('d')).toBeUndefined() // overall
    expect(p.size).toBe(4)
    a1()
    a1() // a second call gives back nothing more
    expect(p.size).toBe(3)
    expect(p.take('a')).toBeDefined()
    expect(p.take('d')).toBeUndefined()
  })
})

describe('DeviceRateLimiter', () => {
  it('lets a burst through, holds up to burst more, then refuses', () => {
    const clock = new ManualClock(0)
    const r = new DeviceRateLimiter({ messagesPerSecond: 2, burst: 2 }, clock)
    expect(r.take('d')).toEqual({ refused: false, at: 0 })
    expect(r.take('d')).toEqual({ refused: false, at: 0 })
    expect(r.take('d')).toEqual({ refused: false, at: 500 })
    expect(r.take('d')).toEqual({ refused: false, at: 1000 })
    expect(r.take('d')).toEqual({ refused: true })
    // another device has its own bucket
    expect(r.take('e')).toEqual({ refused: false, at: 0 })
  })

  it('refills at the configured rate, never above burst', () => {
    const clock = new ManualClock(0)
    const r = new DeviceRateLimiter({ messagesPerSecond: 10, burst: 3 }, clock)
    for (let i = 0; i < 3; i++) expect(r.take('d')).toEqual({ refused: false, at: 0 })
    clock.advance(100)
    expect(r.take('d')).toEqual({ refused: false, at: 100 })
    clock.advance(60_000)
    for (let i = 0; i < 3; i++) expect(r.take('d')).toEqual({ refused: false, at: 60_100 })
    expect(r.take('d')).toEqual({ refused: false, at: 60_200 })
  })
})
