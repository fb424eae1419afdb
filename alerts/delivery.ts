/**
 * The delivery loop over the persisted outbox: at-least-once, retries with exponential
 * backoff (config.alerts.retry: initialMs doubling up to maxMs, or the receiver's Retry-After),
 * one worker per subscription so a receiver that is down or slow never delays the others.
 * Items of one subscription go out in order; when one fails and may be retried, the rest of
 * that subscription's batch is rescheduled with it (the receiver is down, not the item), and
 * they are retried together. An item the receiver refused for good (the notifier's error says
 * it cannot be retried) becomes a dead letter at once and the next item goes out: a dead letter
 * never blocks the deliveries behind it.
 */
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'
import { isMinewatchError } from '../core/errors.js'
import { systemClock } from '../core/clock.js'
import type { OutboxItem, OutboxStore } from '../store/state.js'
import type { Subscription } from './notify/subscriptions.js'
import { createNotifier, type Notifier } from './notify/notifier.js'
import { answerOf } from './notify/http.js'

/** Outbox items fetched per pass. */
export const DELIVERY_BATCH = 500

export interface DeliveryOptions {
  outbox: OutboxStore
  subscriptions: readonly Subscription[]
  clock: Clock
  retry: { initialMs: number, maxMs: number }
  fetch: typeof fetch
  publish: (topic: string, payload: string) => Promise<void>
  metrics: Metrics
  logger: Logger
}

/** Backoff before attempt n+1 after n consecutive failures: initialMs · 2^(n−1), at most maxMs. */
export function backoffMs (failures: number, retry: { initialMs: number, maxMs: number }, retryAfterMs?: number): number {
  const exp = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(40, Math.max(0, failures - 1)))
  return retryAfterMs !== undefined ? Math.min(retry.maxMs, Math.max(exp, retryAfterMs)) : exp
}

export class DeliveryLoop {
  private readonly subs = new Map<string, Subscription>()
  private readonly notifiers = new Map<string, Notifier>()
  private readonly workers = new Map<string, Promise<void>>()
  private readonly failures = new Map<string, number>()
  private readonly blockedUntil = new Map<string, number>()
  /** Workers finished per subscription: a pass skips a subscription whose worker ended while it queried. */
  private readonly finished = new Map<string, number>()
  private pass: Promise<void> | null = null
  private again = false
  private closed = false

  constructor (private readonly o: DeliveryOptions) {
    for (const s of o.subscriptions) {
      this.subs.set(s.id, s)
      this.notifiers.set(s.id, createNotifier(s, { fetch: o.fetch, publish: o.publish, wallClock: systemClock }))
    }
  }

  /** Runs a pass soon (coalesced: at most one pass at a time, one more queued). */
  kick (): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.pass) { this.again = true; return this.pass }
    this.pass = (async () => {
      try {
        do {
          this.again = false
          await this.runPass()
        } while (this.again && !this.closed)
      } catch (err) {
        this.o.logger.error({ err }, 'alert delivery pass failed (outbox unavailable?); retried on the next tick')
      } finally {
        this.pass = null
      }
    })()
    return this.pass
  }

  /** True while a pass or a worker runs. */
  get busy (): boolean { return this.pass !== null || this.workers.size > 0 }

  /** Waits until no pass and no worker is running. */
  async idle (): Promise<void> {
    while (this.pass || this.workers.size > 0) {
      await Promise.allSettled([this.pass, ...this.workers.values()])
    }
  }

  async close (): Promise<void> {
    this.closed = true
    await this.idle()
  }

  private async runPass (): Promise<void> {
    const now = this.o.clock.now()
    const before = new Map(this.finished)
    const items = await this.o.outbox.due(now, DELIVERY_BATCH)
    const groups = new Map<string, OutboxItem[]>()
    for (const it of items) {
      if (this.workers.has(it.subscription)) continue // its worker will come back for it
      // a worker of this subscription ended during the query: the rows may predate its delivered() calls
      if (this.finished.get(it.subscription) !== before.get(it.subscription)) { this.again = true; continue }
      let g = groups.get(it.subscription)
      if (!g) { g = []; groups.set(it.subscription, g) }
      g.push(it)
    }
    for (const [id, list] of groups) {
      const sub = this.subs.get(id)
      if (!sub) {
        // the subscription left the configuration: keep the items (it may come back) but out of the way
        for (const it of list) await this.o.outbox.failed(it.id, `subscription '${id}' is not configured`, now + this.o.retry.maxMs)
        this.o.logger.warn({ subscription: id, items: list.length }, 'outbox holds deliveries for an unknown subscription')
        continue
      }
      const blocked = this.blockedUntil.get(id) ?? 0
      if (blocked > now) {
        for (const it of list) await this.o.outbox.failed(it.id, `deferred: receiver '${id}' is failing`, blocked)
        continue
      }
      const w = this.work(sub, list).finally(() => {
        this.workers.delete(id)
        this.finished.set(id, (this.finished.get(id) ?? 0) + 1)
        if (!this.closed) void this.kick()
      })
      this.workers.set(id, w)
    }
  }

  private async work (sub: Subscription, list: OutboxItem[]): Promise<void> {
    const { metrics, logger, clock } = this.o
    for (let i = 0; i < list.length; i++) {
      if (this.closed) return
      const it = list[i]!
      try {
        await this.notifiers.get(sub.id)!.send({ id: it.id, payload: it.payload })
        await this.o.outbox.delivered(it.id)
        this.failures.set(sub.id, 0)
        metrics.deliveries.inc({ channel: sub.type, outcome: 'ok' })
      } catch (err) {
        if (isMinewatchError(err) && !err.canRetry()) {
          // refused for good: a dead letter, visible in the API; the receiver is up, so go on
          const msg = err.message
          metrics.deliveries.inc({ channel: sub.type, outcome: 'dead' })
          logger.error({ subscription: sub.id, channel: sub.type, delivery: it.id, attempt: it.attempts + 1, error: msg }, 'alert delivery refused by the receiver; kept as a dead letter')
          try {
            await this.o.outbox.deadLetter(it.id, msg, answerOf(err), clock.now())
          } catch (e) {
            logger.error({ err: e, subscription: sub.id }, 'could not store a dead letter; the item stays due')
            return
          }
          continue
        }
        const n = Math.max((this.failures.get(sub.id) ?? 0) + 1, it.attempts + 1)
        this.failures.set(sub.id, n)
        const delay = backoffMs(n, this.o.retry, isMinewatchError(err) ? err.retryAfterMs : undefined)
        const due = clock.now() + delay
        this.blockedUntil.set(sub.id, due)
        const msg = (err as Error).message
        metrics.deliveries.inc({ channel: sub.type, outcome: 'error' })
        metrics.deliveryFailures.inc({ channel: sub.type })
        logger.warn({ subscription: sub.id, channel: sub.type, delivery: it.id, attempt: it.attempts + 1, retryInMs: delay, error: msg }, 'alert delivery failed; will retry')
        try {
          await this.o.outbox.failed(it.id, msg, due)
          for (let j = i + 1; j < list.length; j++) await this.o.outbox.failed(list[j]!.id, `deferred: ${msg}`, due)
        } catch (e) {
          logger.error({ err: e, subscription: sub.id }, 'could not reschedule outbox items; they stay due')
        }
        return
      }
    }
  }
}
