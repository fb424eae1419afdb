/**
 * Failed-login throttle (config.broker.failedLogins), per client address AND per account:
 * after `max` failures within `windowMs` an address is refused for `blockMs`; an account
 * (username) is refused after `perAccountMax` failures from addresses it never logged in
 * from. Counting is atomic: an attempt takes its slot BEFORE its secret is checked (`begin`),
 * so parallel CONNECTs cannot slip more than `max` guesses past the limit while scrypt runs.
 *
 * A correct secret from a good address is never locked out: once a username has logged in from
 * an address, that pair is remembered; a later login of the pair whose secret is already
 * verified (no scrypt) is admitted even while the address or the account is blocked by
 * someone else's failures. Such a pair loses that standing after `max` failures of its own.
 * Time comes from the injected Clock, so tests drive it without sleeping.
 */
import type { Clock } from '../core/clock.js'

export interface ThrottleOptions {
  /** Failures tolerated within the window per address; the max-th failure blocks the address. */
  max: number
  /** Failures tolerated per account from addresses that are not good for it. */
  perAccountMax: number
  /** Window the failures are counted in, ms. */
  windowMs: number
  /** How long a blocked address or account is refused, ms. */
  blockMs: number
}

interface Entry { windowStart: number, failures: number, pending: number, blockedUntil: number }

/** Keys remembered before expired entries are swept (bounds memory under a spray of addresses or usernames). */
const SWEEP_AT = 10_000
/** Good (username, address) pairs remembered, oldest forgotten first. */
const GOOD_PAIRS_MAX = 100_000

export type Begin =
  | { ok: true, attempt: Attempt }
  | { ok: false, scope: 'address' | 'account', retryAfterMs: number }

/** One login attempt holding its slot; end it exactly once. */
export interface Attempt {
  /** The secret was right: the (username, address) pair becomes good. */
  succeeded(): void
  /** The secret was wrong (or missing): counts as a failure; true when this blocks the address. */
  failed(): boolean
  /** Nothing was checked (verifier busy): the slot is released, nothing counted. */
  abandoned(): void
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>()
  private readonly good = new Map<string, number>()
  /** Good pairs per address: an address with none can be refused at accept time while it is blocked. */
  private readonly goodAt = new Map<string, number>()

  constructor (private readonly opts: ThrottleOptions, private readonly clock: Clock) {}

  /** True when `username` has logged in from `address` and the pair has not failed `max` times since. */
  isGoodPair (username: string, address: string): boolean {
    return this.good.has(pairKey(username, address))
  }

  /** True while `address` is blocked. */
  isBlocked (address: string): boolean {
    const e = this.entries.get(`a:${address}`)
    return e !== undefined && e.blockedUntil > this.clock.now()
  }

  /**
   * True when a connection from `address` can be refused as soon as it is accepted, before any
   * MQTT is parsed: the address is blocked and no username ever logged in from it, so no login
   * from it could be admitted (a blocked address admits only its known-good pairs).
   */
  refusesAtAccept (address: string): boolean {
    return this.isBlocked(address) && !this.goodAt.has(address)
  }

  /** Takes a slot for one login attempt of `username` from `address`, or says why not. */
  begin (address: string, username: string | undefined): Begin {
    const now = this.clock.now()
    const byAddress = this.entry(`a:${address}`, now)
    const refusal = this.refusal(byAddress, this.opts.max, now)
    if (refusal !== undefined) return { ok: false, scope: 'address', retryAfterMs: refusal }
    // a username never seen from this address is also limited per account
    const byAccount = username && !this.isGoodPair(username, address) ? this.entry(`u:${username}`, now) : undefined
    if (byAccount) {
      const r = this.refusal(byAccount, this.opts.perAccountMax, now)
      if (r !== undefined) return { ok: false, scope: 'account', retryAfterMs: r }
    }
    byAddress.pending++
    if (byAccount) byAccount.pending++
    let done = false
    const release = (): void => {
      if (done) throw new Error('login attempt ended twice')
      done = true
      byAddress.pending--
      if (byAccount) byAccount.pending--
    }
    return {
      ok: true,
      attempt: {
        succeeded: () => {
          release()
          if (username) this.markGood(username, address)
        },
        failed: () => {
          release()
          if (username) this.pairFailed(username, address)
          if (byAccount) this.fail(byAccount, this.opts.perAccountMax)
          return this.fail(byAddress, this.opts.max)
        },
        abandoned: release
      }
    }
  }

  /** Number of addresses and accounts currently tracked (for tests). */
  get size (): number { return this.entries.size }

  /** ms until `e` may try again, or undefined when it may now (failures and attempts in flight both count). */
  private refusal (e: Entry, max: number, now: number): number | undefined {
    if (e.blockedUntil > now) return e.blockedUntil - now
    if (e.failures + e.pending >= max) return Math.max(1, e.windowStart + this.opts.windowMs - now)
    return undefined
  }

  private entry (key: string, now: number): Entry {
    let e = this.entries.get(key)
    if (!e || (now - e.windowStart >= this.opts.windowMs && e.blockedUntil <= now)) {
      if (!e && this.entries.size >= SWEEP_AT) this.sweep(now)
      e = { windowStart: now, failures: 0, pending: e?.pending ?? 0, blockedUntil: 0 }
      this.entries.set(key, e)
    }
    return e
  }

  private fail (e: Entry, max: number): boolean {
    const now = this.clock.now()
    e.failures++
    if (e.failures >= max && e.blockedUntil <= now) {
      e.blockedUntil = now + this.opts.blockMs
      // a fresh window starts when the block ends
      e.windowStart = e.blockedUntil
      e.failures = 0
      return true
    }
    return false
  }

  private markGood (username: string, address: string): void {
    const k = pairKey(username, address)
    if (!this.good.delete(k)) {
      if (this.good.size >= GOOD_PAIRS_MAX) this.forget(this.good.keys().next().value as string)
      this.goodAt.set(address, (this.goodAt.get(address) ?? 0) + 1)
    }
    this.good.set(k, 0)
  }

  private pairFailed (username: string, address: string): void {
    const k = pairKey(username, address)
    const n = this.good.get(k)
    if (n === undefined) return
    if (n + 1 >= this.opts.max) this.forget(k)
    else this.good.set(k, n + 1)
  }

  /** Drops a good pair (and its address's count). */
  private forget (k: string): void {
    if (!this.good.delete(k)) return
    const address = k.slice(0, k.indexOf('\0'))
    const n = (this.goodAt.get(address) ?? 1) - 1
    if (n <= 0) this.goodAt.delete(address)
    else this.goodAt.set(address, n)
  }

  private sweep (now: number): void {
    for (const [k, e] of this.entries) {
      if (e.pending === 0 && e.blockedUntil <= now && now - e.windowStart >= this.opts.windowMs) this.entries.delete(k)
    }
  }
}

function pairKey (username: string, address: string): string {
  return `${address}\0${username}`
}
