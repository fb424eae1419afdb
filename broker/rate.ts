/**
 * Per-device publish rate: a token bucket refilled at `messagesPerSecond`, holding `burst`
 * (config.broker.rate). A message over the rate is held (its PUBACK, and the reading of
 * that device's socket, wait) until a token is due; a device with more than `burst`
 * messages already held is refused. Time comes from the injected Clock.
 */
import type { Clock } from '../core/clock.js'

export interface RateOptions {
  /** Refill rate, messages per second. */
  messagesPerSecond: number
  /** Bucket size: messages a device may send back to back. */
  burst: number
}

/** Verdict for one message: refuse, or go at `at` (clock ms; now or earlier means at once). */
export type RateVerdict = { refused: true } | { refused: false, at: number }

interface Bucket { tokens: number, last: number }

export class DeviceRateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMs: number

  constructor (private readonly opts: RateOptions, private readonly clock: Clock) {
    this.perMs = opts.messagesPerSecond / 1000
  }

  /** Takes a token for one message of `device`. Tokens may go negative by up to `burst` (held messages). */
  take (device: string): RateVerdict {
    const now = this.clock.now()
    let b = this.buckets.get(device)
    if (!b) {
      b = { tokens: this.opts.burst, last: now }
      this.buckets.set(device, b)
    } else if (now > b.last) {
      b.tokens = Math.min(this.opts.burst, b.tokens + (now - b.last) * this.perMs)
      b.last = now
    }
    if (b.tokens >= 1) {
      b.tokens -= 1
      return { refused: false, at: now }
    }
    if (b.tokens - 1 < -this.opts.burst) return { refused: true }
    b.tokens -= 1
    // the message may go once the bucket is back to zero
    return { refused: false, at: now + Math.ceil(-b.tokens / this.perMs) }
  }
}
