/**
 * Failed-login throttle per client address: after `max` failures within `windowMs`
 * the address is refused for `blockMs` (config.broker.failedLogins). Time comes from
 * the injected Clock, so tests drive it without sleeping.
 */
import type { Clock } from '../core/clock.js'

export interface ThrottleOptions {
  /** Failures tolerated within the window; the max-th failure blocks the address. */
  max: number
  /** Window the failures are counted in, ms. */
  windowMs: number
  /** How long a blocked address is refused, ms. */
  blockMs: number
}

interface Entry { windowStart: number, failures: number, blockedUntil: number }

/** Addresses remembered before expired entries are swept (bounds memory under a spray of addresses). */
const SWEEP_AT = 10_000

export class FailedLoginThrottle {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly opts: ThrottleOptions, private readonly clock: Clock) {}

  /** True while `address` is blocked. */
  isBlocked (address: string): boolean {
    const e = this.entries.get(address)
    return e !== undefined && e.blockedUntil > this.clock.now()
  }

  /** Records a failed login; returns true when this failure blocks the address. */
  fail (address: string): boolean {
    const now = this.clock.now()
    let e = this.entries.get(address)
    if (!e || now - e.windowStart >= this.opts.windowMs) {
      if (this.entries.size >= SWEEP_AT) this.sweep(now)
      e = { windowStart: now, failures: 0, blockedUntil: e?.blockedUntil ?? 0 }
      this.entries.set(address, e)
    }
    e.failures++
    if (e.failures >= this.opts.max && e.blockedUntil <= now) {
      e.blockedUntil = now + this.opts.blockMs
      // a fresh window starts when the block ends
      e.windowStart = e.blockedUntil
      e.failures = 0
      return true
    }
    return false
  }

  /** Number of addresses currently tracked (for tests). */
  get size (): number { return this.entries.size }

  private sweep (now: number): void {
    for (const [k, e] of this.entries) {
      if (e.blockedUntil <= now && now - e.windowStart >= this.opts.windowMs) this.entries.delete(k)
    }
  }
}
