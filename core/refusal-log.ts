/**
 * Refusal logging that a flood cannot turn into a log flood (issue 13): refused MQTT logins and
 * refused API tokens are logged one line per address per interval, with a count. The first
 * refusal of an address in an interval is logged at once (an operator sees a misconfigured
 * device straight away); the rest are counted and written as one summary line per address when
 * the interval ends. At most `maxAddresses` addresses get lines of their own per interval; the
 * refusals of any others are folded into a single line. So whatever the attack, an interval
 * writes at most 2 × maxAddresses + 1 lines, and each refusal costs a map lookup.
 */
import type { Logger } from './log.js'

export interface RefusalLogOptions {
  /** Message of every line, e.g. 'MQTT login refused'. */
  message: string
  /** Length of an interval, ms (default 10 s). */
  intervalMs?: number
  /** Addresses given lines of their own per interval (default 100). */
  maxAddresses?: number
  /** 'warn' (default) or 'info'. */
  level?: 'warn' | 'info'
}

interface Tally { suppressed: number, reasons: Record<string, number> }

/** Usernames and other values from the wire: cap what reaches the log. */
export function shown (s: string | undefined): string | undefined {
  return s && s.length > 64 ? `${s.slice(0, 64)}…` : s
}

export class RefusalLog {
  private tallies = new Map<string, Tally>()
  private others = { refusals: 0, addresses: new Set<string>(), reasons: {} as Record<string, number> }
  private readonly timer: NodeJS.Timeout
  private readonly maxAddresses: number
  private readonly level: 'warn' | 'info'

  constructor (private readonly log: Logger, private readonly opts: RefusalLogOptions) {
    this.maxAddresses = opts.maxAddresses ?? 100
    this.level = opts.level ?? 'warn'
    this.timer = setInterval(() => this.flush(), opts.intervalMs ?? 10_000) // 10 s
    this.timer.unref()
  }

  /** One refusal from `address`; `fields` (reason, username...) are logged only for the first of the interval. */
  note (address: string, reason: string, fields: Record<string, unknown> = {}): void {
    const t = this.tallies.get(address)
    if (t) {
      t.suppressed++
      t.reasons[reason] = (t.reasons[reason] ?? 0) + 1
      return
    }
    if (this.tallies.size >= this.maxAddresses) {
      // past the per-interval address budget: folded into one line (bounded: other addresses are counted, at most 10,000 kept)
      this.others.refusals++
      if (this.others.addresses.size < 10_000) this.others.addresses.add(address)
      this.others.reasons[reason] = (this.others.reasons[reason] ?? 0) + 1
      return
    }
    this.tallies.set(address, { suppressed: 0, reasons: {} })
    this.log[this.level]({ address, reason, ...fields }, this.opts.message)
  }

  /** Writes the summary lines of the interval now ending and starts a new one. */
  flush (): void {
    for (const [address, t] of this.tallies) {
      if (t.suppressed > 0) this.log[this.level]({ address, refusals: t.suppressed, reasons: t.reasons, aggregated: true }, `${this.opts.message} (more from this address)`)
    }
    const o = this.others
    if (o.refusals > 0) {
      this.log[this.level]({ refusals: o.refusals, addresses: o.addresses.size, reasons: o.reasons, aggregated: true }, `${this.opts.message} (from addresses past the per-interval log budget)`)
    }
    this.tallies = new Map()
    this.others = { refusals: 0, addresses: new Set(), reasons: {} }
  }

  /** Flushes and stops the interval timer. */
  close (): void {
    clearInterval(this.timer)
    this.flush()
  }
}
