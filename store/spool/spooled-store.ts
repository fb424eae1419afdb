/**
 * SpooledStore: wraps a TelemetryStore (InfluxDB) so that an outage loses nothing.
 *
 * - write() resolves once the batch is confirmed by the inner store or fsynced into
 *   the on-disk spool (DiskSpool); it rejects only when neither happened.
 * - The inner store answering "retry" (MW_STORE_UNAVAILABLE, or any error that is not
 *   a MinewatchError) sends the batch to the spool; from then on every new batch goes
 *   to the spool's tail, so the order is kept, until the replay loop has drained it.
 * - Replay sends several spooled batches per write (up to replayMaxReadings) and
 *   removes them only after the inner store confirmed them.
 * - MW_STORE_REJECTED (bad data) is bisected: bad readings go to onRejected, the rest is written.
 * - At spool.maxBytes: 'drop-oldest' drops the oldest segment (metrics.spoolDropped, a log
 *   line); 'backpressure' rejects write() with MW_SPOOL_FULL (retryable) so PUBACKs are withheld.
 * Reads pass through to the inner store; alert events are not spooled (the AlertStore keeps them).
 */
import type { z } from 'zod'
import type { spoolSchema } from '../../core/config.js'
import { MinewatchError, isMinewatchError } from '../../core/errors.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { CountQuery, DayFacts, DayFactsQuery, KeyRange, LatestQuery, ReadingKey, SeriesPoint, SeriesQuery, StoreHealth, TelemetryStore } from '../telemetry.js'
import { DiskSpool } from './disk-spool.js'
import { existsSync } from 'node:fs'
import { captureQueueDir, writeQueueCapture } from '../segments/snapshot.js'
import { PartialDelivery, writeBisecting } from './bisect.js'

/** store.spool of the config file. */
export type SpoolConfig = z.infer<typeof spoolSchema>

export interface SpooledStoreOptions {
  /** The store to protect; its write errors are MinewatchErrors that say canRetry(). */
  inner: TelemetryStore
  /** Spool directory (created when missing); one process at a time. */
  dir: string
  config: SpoolConfig
  logger?: Logger
  metrics?: Metrics
  /** Readings the inner store refused as malformed (reason store_rejected), one call per bad reading. */
  onRejected?: (readings: Reading[], detail: string) => void | Promise<void>
  /** Bytes the spool may still add before its filesystem reaches the free-space floor (disk/watch.ts); undefined: unknown. */
  diskRoom?: () => number | undefined
  /** Readings per replay write (several spooled batches joined). */
  replayMaxReadings?: number // default 50_000
  /** Replay retry backoff: first delay and ceiling (Retry-After wins when the server sends one), ms. */
  retryInitialMs?: number // default 200 (0.2 s)
  retryMaxMs?: number // default 5_000 (5 s)
}

/** Longest Retry-After honoured, ms. */
const MAX_RETRY_AFTER_MS = 5 * 60_000 // 5 min

/** Is this an error after which retrying the same write can succeed? */
function retryable (err: unknown): boolean {
  return !isMinewatchError(err) || err.canRetry()
}

export class SpooledStore implements TelemetryStore {
  readonly name: string
  private readonly inner: TelemetryStore
  private spool: DiskSpool | null = null
  private innerReady = false
  /** Serialises routing decisions, so batches reach the store or the spool in call order. */
  private chain: Promise<unknown> = Promise.resolve()
  private replaying: Promise<void> | null = null
  private wake: (() => void) | null = null
  private closing = false
  private closed: Promise<void> | null = null
  private outageSince: number | null = null
  /** Set when a write was refused with MW_SPOOL_FULL, cleared once the spool takes one again. */
  private full = false
  private readonly maxReplay: number
  /** Replay met an error retrying cannot fix (e.g. the inner store closed): no new loop starts. */
  private halted = false

  constructor (private readonly opts: SpooledStoreOptions) {
    this.inner = opts.inner
    this.name = `${opts.inner.name}+spool`
    this.maxReplay = opts.replayMaxReadings ?? 50_000
  }

  /** Copies the spool dir as of now into `target` for a backup (store/segments/snapshot.ts); the files written, relative to target. */
  async snapshotSpool (target: string): Promise<string[]> {
    if (!existsSync(this.opts.dir)) return []
    return await writeQueueCapture(captureQueueDir(this.opts.dir), target)
  }

  /** Opens the spool (resuming a previous run's batches) and initialises the inner store if it answers. */
  async init (): Promise<void> {
    if (this.spool === null) {
      const c = this.opts.config
      this.spool = DiskSpool.open({ dir: this.opts.dir, segmentBytes: c.segmentBytes, fsync: c.fsync, fsyncIntervalMs: c.fsyncIntervalMs, logger: this.opts.logger })
      this.gauges()
    }
    try {
      await this.ensureInner()
    } catch (err) {
      if (!retryable(err)) throw err
      this.opts.logger?.warn({ err, store: this.inner.name }, 'telemetry store unavailable at start; spooling until it answers')
    }
    this.kick()
  }

  private open (): DiskSpool {
    if (this.closing) throw new MinewatchError('MW_STORE_CLOSED', this.name)
    if (this.spool === null) throw new MinewatchError('MW_STORE_UNAVAILABLE', `${this.name}: init() was not called`)
    return this.spool
  }

  private async ensureInner (): Promise<void> {
    if (this.innerReady) return
    await this.inner.init()
    this.innerReady = true
  }

  /** Resolves when the batch is confirmed or fsynced into the spool. */
  write (batch: readonly Reading[]): Promise<void> {
    let spool: DiskSpool
    try { spool = this.open() } catch (err) { return Promise.reject(err) }
    if (batch.length === 0) return Promise.resolve()
    const routed = this.chain.then(() => this.route(spool, batch))
    this.chain = routed.catch(() => undefined)
    // route() returns the fsync wait wrapped, so the next batch is routed without waiting for it.
    return routed.then((r) => r.durable)
  }

  private async route (spool: DiskSpool, batch: readonly Reading[]): Promise<{ durable: Promise<void> }> {
    let rest: readonly Reading[] = batch
    if (spool.isEmpty() && this.replaying === null) {
      try {
        await this.deliver(batch)
        return { durable: Promise.resolve() }
      } catch (err) {
        if (!(err instanceof PartialDelivery)) throw err
        rest = err.remaining
        if (this.outageSince === null) {
          this.outageSince = Date.now()
          this.opts.logger?.warn({ err: err.cause, store: this.inner.name }, 'telemetry store unavailable; spooling batches to disk')
        }
      }
    }
    return { durable: this.enqueue(spool, rest) }
  }

  /** Writes through the inner store, bisecting rejected data; PartialDelivery when it must be retried. */
  private async deliver (readings: readonly Reading[]): Promise<void> {
    try {
      await this.ensureInner()
    } catch (err) {
      if (!retryable(err)) throw err
      throw new PartialDelivery(err, [...readings])
    }
    try {
      await writeBisecting((part) => this.inner.write(part), readings, (r, detail) => this.rejected(r, detail))
    } catch (err) {
      if (err instanceof PartialDelivery && !retryable(err.cause)) throw err.cause
      if (err instanceof PartialDelivery && !isMinewatchError(err.cause)) {
        this.opts.logger?.error({ err: err.cause, store: this.inner.name }, 'unexpected error from the telemetry store; keeping the batch in the spool')
      }
      throw err
    }
  }

  private async rejected (readings: Reading[], detail: string): Promise<void> {
    this.opts.metrics?.rejects.inc({ reason: 'store_rejected' }, readings.length)
    const r = readings[0]
    this.opts.logger?.warn({ site: r?.site, device: r?.device, kind: r?.kind, ts: r?.ts, detail }, 'telemetry store rejected a reading')
    try {
      await this.opts.onRejected?.(readings, detail)
    } catch (err) {
      this.opts.logger?.error({ err }, 'onRejected failed')
    }
  }

  /** Appends to the spool tail (synchronously, so order is kept); resolves after fsync. */
  private enqueue (spool: DiskSpool, batch: readonly Reading[]): Promise<void> {
    const c = this.opts.config
    const record = DiskSpool.encode(batch)
    // the bound is spool.maxBytes, or less when the disk has less room than that above its free-space floor
    const room = this.opts.diskRoom?.()
    const bound = room === undefined ? c.maxBytes : Math.min(c.maxBytes, spool.bytes + Math.max(0, room))
    const by = bound < c.maxBytes ? `the free space of its disk above store.diskFreeFloorBytes (${bound} bytes in all)` : `spool.maxBytes (${c.maxBytes})`
    if (spool.bytes + record.length > bound) {
      if (c.onFull === 'backpressure') {
        const detail = record.length > bound
          ? `a batch of ${record.length} bytes is larger than ${by}`
          : `${spool.bytes} bytes (${spool.readings} readings) wait in ${this.opts.dir}, bounded by ${by}`
        this.full = true
        return Promise.reject(new MinewatchError('MW_SPOOL_FULL', detail, { retryAfterMs: 1_000 }))
      }
      while (spool.bytes + record.length > bound) {
        const dropped = spool.dropOldest()
        if (dropped === null) break // only batches being replayed are left: they go once confirmed
        this.opts.metrics?.spoolDropped.inc(dropped.readings)
        this.opts.logger?.error({ dir: this.opts.dir, ...dropped, maxBytes: c.maxBytes, bound }, 'spool full: oldest segment dropped (onFull: drop-oldest)')
      }
    }
    const durable = spool.append(record, batch.length)
    this.full = false
    this.gauges()
    this.kick()
    return durable
  }

  private gauges (): void {
    const s = this.spool
    if (s === null || this.opts.metrics === undefined) return
    this.opts.metrics.spoolBytes.set(s.bytes)
    this.opts.metrics.spoolBatches.set(s.batches)
  }

  /** Starts the replay loop when the spool holds batches and none runs. */
  private kick (): void {
    if (this.replaying !== null || this.closing || this.spool === null || this.spool.isEmpty()) return
    this.replaying = this.replay(this.spool).finally(() => {
      this.replaying = null
      if (!this.halted) this.kick() // a batch spooled between the loop's last check and now still needs a loop
    })
  }

  private async replay (spool: DiskSpool): Promise<void> {
    let failures = 0
    let replayed = 0
    const started = Date.now()
    while (!this.closing && !spool.isEmpty()) {
      const group = spool.peek(this.maxReplay)
      try {
        if (group.readings.length > 0) await this.deliver(group.readings)
        spool.ack(group.records)
        this.full = false
        replayed += group.readings.length
        failures = 0
        this.gauges()
      } catch (err) {
        spool.unpeek()
        const cause = err instanceof PartialDelivery ? err.cause : err
        if (!retryable(cause)) {
          this.opts.logger?.error({ err: cause }, 'spool replay stopped: the telemetry store refused for good')
          this.halted = true
          return
        }
        failures++
        await this.sleep(this.delay(cause, failures))
      }
    }
    if (spool.isEmpty() && replayed > 0) {
      const outageMs = this.outageSince === null ? undefined : Date.now() - this.outageSince
      this.opts.logger?.info({ replayed, replayMs: Date.now() - started, outageMs }, 'spool drained: telemetry store has every spooled reading')
    }
    if (spool.isEmpty()) this.outageSince = null
  }

  /** Backoff before retry n: Retry-After when the server gave one, else doubling from retryInitialMs. */
  private delay (err: unknown, n: number): number {
    const after = isMinewatchError(err) ? err.retryAfterMs : undefined
    if (after !== undefined) return Math.min(after, MAX_RETRY_AFTER_MS)
    const first = this.opts.retryInitialMs ?? 200
    const max = this.opts.retryMaxMs ?? 5_000
    return Math.min(max, first * 2 ** Math.min(n - 1, 20))
  }

  private sleep (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve() }, ms)
      this.wake = () => { clearTimeout(t); this.wake = null; resolve() }
    })
  }

  latest (q: LatestQuery): Promise<Reading[]> { return this.inner.latest(q) }
  series (q: SeriesQuery): Promise<SeriesPoint[]> { return this.inner.series(q) }
  count (q: CountQuery): Promise<number> { return this.inner.count(q) }
  recentKeys (sinceTs: number): Promise<ReadingKey[]> { return this.inner.recentKeys(sinceTs) }
  /**
   * Asks the inner store. Readings still waiting in the spool are not seen: ingest then stores a
   * re-sent one again, and InfluxDB keeps one point per series and timestamp, so it overwrites.
   */
  keysBetween (q: KeyRange): Promise<ReadingKey[]> { return this.inner.keysBetween(q) }
  writeAlertEvents (events: readonly AlertTransition[]): Promise<void> { return this.inner.writeAlertEvents(events) }
  /** Not spooled either: the alert engine keeps facts it could not write and writes them again later. */
  writeDayFacts (facts: readonly DayFacts[]): Promise<void> { return this.inner.writeDayFacts(facts) }
  dayFacts (q: DayFactsQuery): Promise<DayFacts[]> { return this.inner.dayFacts(q) }

  /**
   * ok while the spool takes batches (not ok after a write was refused with MW_SPOOL_FULL, until it takes one again),
   * even when the inner store is down: detail says which.
   */
  async health (): Promise<StoreHealth> {
    const inner = await this.inner.health().catch((err: Error) => ({ ok: false, detail: err.message }))
    const s = this.spool
    const spooledReadings = s?.readings ?? 0
    const spoolBytes = s?.bytes ?? 0
    const full = this.full
    const state = inner.ok ? 'up' : 'DOWN'
    const detail = `${this.inner.name} ${state}${inner.detail ? ` (${inner.detail})` : ''}; spool ${spooledReadings} readings, ${spoolBytes} of ${this.opts.config.maxBytes} bytes${full ? ', FULL: writes refused' : ''}`
    return { ok: s !== null && !this.closing && !full, detail, spooledReadings, spoolBytes }
  }

  /** Refuses new writes, routes those already called, lets the replay attempt in flight finish, closes the spool and the inner store. */
  close (): Promise<void> {
    if (this.closed === null) this.closed = this.shutdown()
    return this.closed
  }

  private async shutdown (): Promise<void> {
    this.closing = true // new writes are refused from here on; those already called are routed
    this.wake?.()
    await this.chain
    await this.replaying
    const s = this.spool
    if (s !== null) {
      if (!s.isEmpty()) this.opts.logger?.info({ dir: this.opts.dir, readings: s.readings, bytes: s.bytes }, 'spool closed with batches waiting; they are replayed on the next start')
      await s.close()
    }
    await this.inner.close()
  }
}
