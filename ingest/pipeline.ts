/** The ingest pipeline: runs the steps for each message and owns the two group commits. */
import { MinewatchError } from '../core/errors.js'
import type { Kind } from '../core/kinds.js'
import { MAX_FUTURE_MS, type Reading } from '../core/readings.js'
import type { TelemetryStore } from '../store/telemetry.js'
import type { Reject, RejectReason } from '../core/rejects.js'
import { MINUTE } from '../core/time.js'
import { parseTelemetryTopic, telemetryTopic } from '../core/topics.js'
import type { Ingest, IngestMessage, IngestOptions, IngestOutcome } from './index.js'
import { decode } from './decode.js'
import { validate } from './validate.js'
import { normalise } from './normalise.js'
import { Dedup } from './dedup.js'
import { DedupLookup } from './dedup-lookup.js'
import { GroupCommit } from './group-commit.js'
import { toReject } from './reject-record.js'
import type { Rejection } from './step.js'

/** start() seeds duplicate detection with the keys of readings stamped within this window; older ones are looked up in the store. */
export const DEDUP_SEED_WINDOW_MS = 10 * MINUTE
/** Readings quoted in the payload of a store_rejected record. */
const STORE_REJECTED_QUOTED = 5
/** Reject records per RejectStore.add. */
const REJECT_BATCH_MAX = 1000

/** Detail stored for a publish the broker refused, when the broker gives none. */
const DENIED_DETAIL: Partial<Record<RejectReason, string>> = {
  topic_mismatch: 'refused by the broker: a device may publish only to mines/{its site}/{its kind}/{its id}',
  bad_topic: 'refused by the broker: topic is not mines/{siteId}/{kind}/{deviceId}',
  payload_too_large: 'refused by the broker: payload larger than the limit',
  rate_limited: 'refused by the broker: the device publishes faster than broker.rate allows'
}

export class Pipeline implements Ingest {
  private readonly dedup: Dedup
  private readonly lookup: DedupLookup
  private readonly readingBatches: GroupCommit<Reading>
  private readonly rejectBatches: GroupCommit<Reject>
  private readonly listeners = new Set<(readings: readonly Reading[]) => void>()
  private closed = false

  constructor (private readonly opts: IngestOptions) {
    const c = opts.config
    this.dedup = new Dedup(c.dedupPerDevice)
    this.lookup = new DedupLookup(opts.store, opts.clock, opts.logger)
    this.readingBatches = new GroupCommit({
      write: (batch) => this.writeReadings(batch),
      maxItems: c.batchMaxReadings,
      maxWaitMs: c.batchMaxWaitMs
    })
    this.rejectBatches = new GroupCommit({
      write: (batch) => opts.rejects.add(batch),
      maxItems: REJECT_BATCH_MAX,
      maxWaitMs: c.batchMaxWaitMs
    })
  }

  async start (): Promise<void> {
    const since = this.opts.clock.now() - DEDUP_SEED_WINDOW_MS
    let keys: Awaited<ReturnType<TelemetryStore['recentKeys']>>
    try {
      keys = await this.opts.store.recentKeys(since)
    } catch (err) {
      // A store that is down (InfluxDB in an outage) must not stop intake: its spool takes the
      // writes. Duplicates of the last minutes may then be written again; InfluxDB keeps one
      // point per series and timestamp, so they overwrite rather than add.
      if (!(err instanceof MinewatchError) || !err.canRetry()) throw err
      // Nothing is known: readings stamped before now (+ the future allowance) are looked up.
      this.dedup.seed([], this.opts.clock.now() + MAX_FUTURE_MS)
      this.opts.logger.warn({ err }, 'ingest: the store is unavailable; duplicate detection starts empty')
      return
    }
    this.dedup.seed(keys, since)
    this.opts.logger.info({ keys: keys.length, sinceMs: DEDUP_SEED_WINDOW_MS }, 'ingest: duplicate detection seeded from the store')
  }

  handle (msg: IngestMessage): Promise<IngestOutcome> {
    if (this.closed) return Promise.reject(new MinewatchError('MW_STORE_CLOSED', 'ingest is closed'))
    const { registry, config, metrics, clock } = this.opts
    const rejections: Rejection[] = []
    let readings: Reading[] = []
    let kind: Kind | 'unknown' = 'unknown'
    let site: string | null = null
    let device: string | null = msg.deviceId

    // The checking steps are pure and should never throw; if one ever does (a bug, or input no
    // test foresaw), the message is rejected and acknowledged rather than left to crash the
    // process or wedge the device in a redelivery loop.
    try {
      const decoded = decode(msg.topic, msg.payload)
      if (!decoded.ok) {
        rejections.push(decoded.rejection)
        if (decoded.topic) { kind = decoded.topic.kind; site = decoded.topic.site; device ??= decoded.topic.device }
      } else {
        const d = decoded.value
        kind = d.topic.kind; site = d.topic.site; device ??= d.topic.device
        const v = validate(d, registry, msg.deviceId)
        if (!v.ok) {
          rejections.push(v.rejection)
        } else {
          if (v.rejection) rejections.push(v.rejection)
          const n = normalise(v.valid, v.entry, { now: clock.now(), maxLateMs: config.maxLateMs, isArray: d.isArray, total: d.items.length })
          readings = n.readings
          rejections.push(...n.rejections)
        }
      }
    } catch (err) {
      this.opts.logger.error({ err, topic: msg.topic.slice(0, 256) }, 'ingest: a checking step threw; the message is rejected')
      readings = []
      rejections.length = 0
      rejections.push({ reason: 'invalid_reading', detail: `the message could not be checked: ${err instanceof Error ? err.message : String(err)}`.slice(0, 512), count: 0 })
    }
    metrics.messagesIn.inc({ kind })

    const waits: Promise<void>[] = []
    let stored = 0
    let duplicates = 0
    let checked: Promise<{ stored: number, duplicates: number }> | null = null
    if (readings.length > 0) {
      const d = this.dedup.filter(readings)
      duplicates = d.duplicates
      if (duplicates > 0) metrics.duplicates.inc(duplicates)
      waits.push(...d.waits)
      if (d.unsure.length === 0) {
        if (d.fresh.length > 0) {
          const written = this.readingBatches.add(d.fresh)
          this.dedup.pending(d.fresh, written, d.keys)
          waits.push(written)
          stored = d.fresh.length
        }
      } else {
        // Some need the store's answer: the whole message waits for it and is written in its own order.
        const keyOf = new Map<Reading, string>()
        d.fresh.forEach((r, i) => keyOf.set(r, d.keys[i]!))
        d.unsure.forEach((r, i) => keyOf.set(r, d.unsureKeys[i]!))
        const ordered = readings.filter((r) => keyOf.has(r))
        const keys = ordered.map((r) => keyOf.get(r)!)
        checked = this.storeUnlessStored(ordered, keys, d.unsure, d.unsureKeys)
        this.dedup.pending(ordered, checked.then(() => undefined), keys)
      }
    }
    let rejected = 0
    if (rejections.length > 0) {
      // a reject is filed under the device's registered site when the device is known
      const ownSite = device !== null ? registry.device(device)?.site.id ?? site : site
      const ctx = { at: clock.now(), site: ownSite, device, topic: msg.topic, payload: msg.payload }
      for (const r of rejections) {
        metrics.rejects.inc({ reason: r.reason })
        rejected += Math.max(r.count, 1)
      }
      waits.push(this.rejectBatches.add(rejections.map((r) => toReject(r, ctx))))
    }
    if (checked === null) return Promise.all(waits).then(() => ({ stored, duplicates, rejected }))
    return Promise.all([checked, ...waits]).then(([c]) => ({ stored: stored + c.stored, duplicates: duplicates + c.duplicates, rejected }))
  }

  /** Step 4b: a message's readings, written unless the store already holds one of `unsure` (older than dedup remembers). */
  private async storeUnlessStored (readings: Reading[], keys: string[], unsure: Reading[], unsureKeys: string[]): Promise<{ stored: number, duplicates: number }> {
    // Writes in flight may hold keys dedup already forgot (a message larger than dedupPerDevice): let them land first.
    await this.readingBatches.settled()
    const inStore = await this.lookup.stored(unsure, unsureKeys)
    if (inStore === null || inStore.size === 0) {
      await this.readingBatches.add(readings)
      return { stored: readings.length, duplicates: 0 }
    }
    const fresh = readings.filter((_, i) => !inStore.has(keys[i]!))
    this.opts.metrics.duplicates.inc(readings.length - fresh.length)
    if (fresh.length > 0) await this.readingBatches.add(fresh)
    return { stored: fresh.length, duplicates: readings.length - fresh.length }
  }

  async recordDenied (d: { deviceId: string | null, topic: string, reason: RejectReason, payload: Buffer, at: number, detail?: string }): Promise<void> {
    if (this.closed) throw new MinewatchError('MW_STORE_CLOSED', 'ingest is closed')
    const topic = parseTelemetryTopic(d.topic)
    const topicSite = 'error' in topic ? null : topic.site
    const site = (d.deviceId !== null ? this.opts.registry.device(d.deviceId)?.site.id : undefined) ?? topicSite
    const detail = d.detail ?? DENIED_DETAIL[d.reason] ?? `refused by the broker: ${d.reason}`
    this.opts.metrics.rejects.inc({ reason: d.reason })
    await this.rejectBatches.add([toReject({ reason: d.reason, detail, count: 0 }, { at: d.at, site, device: d.deviceId, topic: d.topic, payload: d.payload })])
  }

  recordStoreRejected (readings: readonly Reading[], detail: string): Promise<void> {
    // one record per device, filed under its site and telemetry topic; the payload quotes its first readings
    const byDevice = new Map<string, Reading[]>()
    for (const r of readings) {
      let list = byDevice.get(r.device)
      if (!list) byDevice.set(r.device, list = [])
      list.push(r)
    }
    const at = this.opts.clock.now()
    const records: Reject[] = []
    for (const [device, rs] of byDevice) {
      const first = rs[0]!
      const payload = Buffer.from(JSON.stringify(rs.slice(0, STORE_REJECTED_QUOTED)))
      records.push(toReject({ reason: 'store_rejected', detail, count: rs.length }, { at, site: first.site, device, topic: telemetryTopic(first.site, first.kind, device), payload }))
    }
    return this.rejectBatches.add(records)
  }

  onStored (listener: (readings: readonly Reading[]) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  async close (): Promise<void> {
    this.closed = true
    await Promise.all([this.readingBatches.flush(), this.rejectBatches.flush()])
  }

  /** One group commit: the store write, then metrics and listeners (dedup state follows the write's promise). */
  private async writeReadings (batch: Reading[]): Promise<void> {
    const { store, metrics, logger } = this.opts
    const end = metrics.storeWriteSeconds.startTimer({ store: store.name })
    try {
      await store.write(batch)
    } catch (err) {
      metrics.storeWriteErrors.inc({ store: store.name })
      logger.error({ err, readings: batch.length }, 'ingest: store write failed; its messages are not acknowledged')
      throw err
    }
    end()
    metrics.batchSize.observe(batch.length)
    const perKind = new Map<Kind, number>()
    for (const r of batch) perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1)
    for (const [kind, n] of perKind) metrics.readingsStored.inc({ kind }, n)
    for (const listener of this.listeners) {
      try {
        listener(batch)
      } catch (err) {
        logger.error({ err }, 'ingest: onStored listener failed')
      }
    }
  }
}
