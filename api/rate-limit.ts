/**
 * Per-key token buckets (one per API token, plus one per client address for failed
 * logins): `perMin` requests a minute on average, bursts up to `perMin`.
 */
import type { Clock } from '../core/clock.js'
import { MINUTE } from '../core/time.js'

interface Bucket {
  tokens: number
  /** Last refill, epoch ms. */
  at: number
}

export interface TakeResult {
  ok: boolean
  /** When refused: milliseconds until one request is allowed again. */
  retryAfterMs: number
}

/** Buckets idle this long are full again and forgotten. */
const IDLE_FORGET_MS = 10 * MINUTE // 10 min
/** Keys kept before idle buckets are swept. */
const SWEEP_AT = 10_000

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMs: number

  /** `perMin`: requests per minute per key (also the burst size). */
  constructor (private readonly perMin: number, private readonly clock: Clock) {
    this.perMs = perMin / MINUTE
  }

  private refill (key: string): Bucket {
    const now = this.clock.now()
    let b = this.buckets.get(key)
    if (!b) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now)
      b = { tokens: this.perMin, at: now }
      this.buckets.set(key, b)
    } else if (now > b.at) {
      b.tokens = Math.min(this.perMin, b.tokens + (now - b.at) * this.perMs)
      b.at = now
    }
    return b
  }

  /** Takes one request from `key`'s bucket, or says how long to wait. */
  take (key: string): TakeResult {
    const b = this.refill(key)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return { ok: true, retryAfterMs: 0 }
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / this.perMs) }
  }

  /** Gives back one request taken from `key` (it turned out not to count, e.g. a token check that succeeded). */
  give (key: string): void {
    const b = this.buckets.get(key)
    if (b) b.tokens = Math.min(this.perMin, b.tokens + 1)
  }

  /** Whether `key` has a request left, without taking it. */
  peek (key: string): TakeResult {
    const b = this.refill(key)
    return b.tokens >= 1 ? { ok: true, retryAfterMs: 0 } : { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / this.perMs) }
  }

  private sweep (now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at >= IDLE_FORGET_MS) this.buckets.delete(k)
  }
}
