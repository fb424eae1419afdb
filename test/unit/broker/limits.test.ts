import { describe, it, expect } from 'vitest'
import { ManualClock } from '../../../core/clock.js'
import { FailedLoginThrottle } from '../../../broker/throttle.js'
import { DeviceRateLimiter } from '../../../broker/rate.js'

describe('FailedLoginThrottle', () => {
  it('blocks an address at the max-th failure within the window, for blockMs', () => {
    const clock = new ManualClock(1_000)
    const t = new FailedLoginThrottle({ max: 3, windowMs: 60_000, blockMs: 300_000 }, clock)
    expect(t.fail('10.0.0.1')).toBe(false)
    expect(t.fail('10.0.0.1')).toBe(false)
    expect(t.isBlocked('10.0.0.1')).toBe(false)
    expect(t.fail('10.0.0.1')).toBe(true)
    expect(t.isBlocked('10.0.0.1')).toBe(true)
    expect(t.isBlocked('10.0.0.2')).toBe(false)
    clock.advance(299_999)
    expect(t.isBlocked('10.0.0.1')).toBe(true)
    clock.advance(1)
    expect(t.isBlocked('10.0.0.1')).toBe(false)
    // a fresh window after the block: one failure does not block again
    expect(t.fail('10.0.0.1')).toBe(false)
  })

  it('forgets failures older than the window', () => {
    const clock = new ManualClock(0)
    const t = new FailedLoginThrottle({ max: 2, windowMs: 1_000, blockMs: 5_000 }, clock)
    t.fail('a')
    clock.advance(1_000)
    expect(t.fail('a')).toBe(false)
    expect(t.fail('a')).toBe(true)
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
