/**
 * One uplink target, site side: a durable queue (store/segments, the spool's format and
 * fsync policy) fed with stored readings and alert transitions, drained in order over one
 * MQTT connection. A batch leaves the queue only after the upstream's QoS 1 PUBACK; one
 * batch is in flight at a time, so the upstream receives each device's readings in order.
 * The same connection receives the upstream's downlink (acknowledgements by a regulator).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import type { Config } from '../core/config.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Reading } from '../core/readings.js'
import { MinewatchError } from '../core/errors.js'
import { uplinkTopic } from '../core/topics.js'
import { SegmentQueue } from '../store/segments/queue.js'
import { captureQueueDir, type QueueDirCapture } from '../store/segments/snapshot.js'
import { encodeBatch } from './codec.js'
import type { DownlinkAck, ForwardedTransition, UplinkItem } from './items.js'
import type { UplinkMetrics } from './metrics.js'

export type UplinkTarget = Config['uplink']['targets'][number]

/** Acks counted for the rate shown in status, ms. */
const RATE_WINDOW_MS = 60_000

export interface TargetStatus {
  name: string
  url: string
  site: string
  connected: boolean
  /** Items (readings and alert transitions) waiting, and their bytes on disk. */
  backlogItems: number
  backlogBytes: number
  maxBytes: number
  onFull: 'drop-oldest' | 'refuse-new'
  /** True while the queue is at its bound (items are being dropped or refused). */
  full: boolean
  ackedItems: number
  ackedBatches: number
  /** Compressed bytes of acknowledged batches. */
  wireBytes: number
  droppedItems: number
  refusedItems: number
  /** Epoch ms of the last PUBACK, null before the first. */
  lastAckAt: number | null
  /** Items acknowledged per second over the last minute. */
  ratePerS: number
  lastError: string | null
  downlinkApplied: number
}

export interface ForwarderOptions {
  target: UplinkTarget
  /** Directory of this target's queue. */
  dir: string
  password: string
  clock: Clock
  logger: Logger
  metrics: UplinkMetrics
  /** Applies an upstream acknowledgement through the local alert lifecycle. */
  applyAck: (ack: DownlinkAck, target: UplinkTarget) => Promise<void>
}

export class Forwarder {
  private readonly queue: SegmentQueue<UplinkItem>
  private client: MqttClient | null = null
  private closed = false
  /** Settles when close() starts: a publish waiting for a PUBACK that cannot come (upstream unreachable) must not hold the shutdown. */
  private readonly closing: Promise<void>
  private signalClose: () => void = () => {}
  private wakeUp: (() => void) | null = null
  private pumping: Promise<void> | null = null
  private readonly acks: Array<[number, number]> = []
  private readonly s: TargetStatus
  private readonly kinds: Set<string> | null
  private readonly labels: { target: string }

  /** This target's queue dir as of now, for a backup (store/segments/snapshot.ts). Synchronous. */
  get queueDir (): string { return this.o.dir }

  captureQueue (): QueueDirCapture {
    return captureQueueDir(this.o.dir)
  }

  constructor (private readonly o: ForwarderOptions) {
    const t = o.target
    this.queue = SegmentQueue.create<UplinkItem>({ dir: o.dir, segmentBytes: t.queue.segmentBytes, fsync: t.queue.fsync, fsyncIntervalMs: t.queue.fsyncIntervalMs, logger: o.logger, label: `uplink queue ${t.name}` })
    this.kinds = t.forward.kinds === '*' ? null : new Set(t.forward.kinds)
    this.labels = { target: t.name }
    this.closing = new Promise<void>((resolve) => { this.signalClose = resolve })
    this.s = {
      name: t.name, url: t.url, site: t.site, connected: false, backlogItems: 0, backlogBytes: 0, maxBytes: t.queue.maxBytes, onFull: t.queue.onFull, full: false,
      ackedItems: 0, ackedBatches: 0, wireBytes: 0, droppedItems: 0, refusedItems: 0, lastAckAt: null, ratePerS: 0, lastError: null, downlinkApplied: 0
    }
    this.gauges()
  }

  get name (): string { return this.o.target.name }

  /** Connects and starts draining the queue (what a previous process left first). */
  start (): void {
    const t = this.o.target
    const options: IClientOptions = {
      clientId: t.clientId ?? `minewatch-uplink-${t.site}-${t.name}`,
      username: t.username,
      password: this.o.password,
      protocolVersion: 4,
      clean: false, // the upstream keeps the downlink subscription and its messages while the link is down
      reconnectPeriod: t.reconnectMs,
      connectTimeout: 10_000,
      ...(t.tls ? tlsOptions(t.tls) : {})
    }
    const client = this.client = connect(t.url, options)
    // a downlink message is acknowledged once applied: mqtt.js sends the PUBACK when this calls back
    client.handleMessage = (packet, done) => {
      this.downlink(packet.payload as Buffer).then(() => done(), (err: unknown) => {
        this.o.logger.error({ err, target: t.name }, 'uplink: could not apply a downlink message; it is acknowledged and dropped')
        done()
      })
    }
    client.on('connect', () => {
      this.s.connected = true
      this.s.lastError = null
      this.o.metrics.connected.set(this.labels, 1)
      this.o.logger.info({ target: t.name, url: t.url, backlog: this.queue.readings }, 'uplink: connected')
      client.subscribe(uplinkTopic(t.site, 'down'), { qos: 1 }, (err) => { if (err) this.o.logger.error({ err, target: t.name }, 'uplink: downlink subscription failed') })
    })
    client.on('close', () => {
      if (this.s.connected) this.o.logger.warn({ target: t.name, backlog: this.queue.readings }, 'uplink: connection lost; queueing')
      this.s.connected = false
      this.o.metrics.connected.set(this.labels, 0)
    })
    client.on('error', (err) => { this.s.lastError = err.message })
    this.pumping = this.pump()
  }

  /** Queues the readings this target forwards (its site, its kinds). Called after they are stored. */
  offerReadings (readings: readonly Reading[]): void {
    const items: UplinkItem[] = []
    for (const r of readings) if (r.site === this.o.target.site && (this.kinds === null || this.kinds.has(r.kind))) items.push({ r })
    if (items.length > 0) void this.enqueue(items)
  }

  /** Queues an alert transition of this target's site; resolves once it is durable in the queue. */
  offerTransition (ft: ForwardedTransition): Promise<void> {
    if (!this.o.target.forward.alerts || ft.alert.site !== this.o.target.site) return Promise.resolve()
    return this.enqueue([{ a: ft }])
  }

  forwardsAlertsOf (site: string): boolean {
    return this.o.target.forward.alerts && site === this.o.target.site
  }

  private enqueue (items: UplinkItem[]): Promise<void> {
    if (this.closed) return Promise.resolve()
    const record = SegmentQueue.encode(items)
    const max = this.o.target.queue.maxBytes
    this.s.full = false
    while (this.queue.bytes + record.length > max) {
      this.s.full = true
      if (this.o.target.queue.onFull === 'refuse-new') {
        this.s.refusedItems += items.length
        this.o.metrics.refused.inc(this.labels, items.length)
        this.o.logger.error({ target: this.name, items: items.length, maxBytes: max }, 'uplink: queue full (onFull: refuse-new); items not forwarded')
        return Promise.resolve()
      }
      const dropped = this.queue.dropOldest()
      if (dropped === null) break // only the batch in flight is left: take this one anyway
      this.s.droppedItems += dropped.readings
      this.o.metrics.dropped.inc(this.labels, dropped.readings)
      this.o.logger.error({ target: this.name, ...dropped }, 'uplink: queue full (onFull: drop-oldest); oldest items dropped')
    }
    const durable = this.queue.append(record, items.length)
    this.gauges()
    this.wakeUp?.()
    return durable.catch((err: unknown) => { this.o.logger.error({ err, target: this.name }, 'uplink: queue append not fsynced') })
  }

  private async pump (): Promise<void> {
    const t = this.o.target
    const topic = uplinkTopic(t.site, 'up')
    while (!this.closed) {
      if (this.queue.isEmpty()) {
        await new Promise<void>((resolve) => { this.wakeUp = resolve })
        this.wakeUp = null
        continue
      }
      const batch = this.queue.peek(t.batchMaxReadings)
      if (batch.readings.length === 0) { this.queue.ack(batch.records); continue } // damaged on disk (logged by the queue)
      const payload = encodeBatch(t.site, batch.readings)
      try {
        // mqtt.js keeps a QoS 1 message while disconnected and sends it again on reconnect; this resolves on PUBACK
        await Promise.race([this.client!.publishAsync(topic, payload, { qos: 1 }), this.closing])
        if (this.closed) { this.queue.unpeek(); break } // not acknowledged: it stays queued for the next start
      } catch (err) {
        this.queue.unpeek()
        if (this.closed) break
        this.s.lastError = (err as Error).message
        await new Promise((resolve) => setTimeout(resolve, t.reconnectMs))
        continue
      }
      this.queue.ack(batch.records)
      this.s.full = false // the upstream drains the queue: below its bound again
      const now = this.o.clock.now()
      this.s.ackedItems += batch.readings.length
      this.s.ackedBatches++
      this.s.wireBytes += payload.length
      this.s.lastAckAt = now
      this.acks.push([now, batch.readings.length])
      this.o.metrics.sentItems.inc(this.labels, batch.readings.length)
      this.o.metrics.wireBytes.inc(this.labels, payload.length)
      this.o.metrics.lastAck.set(this.labels, now / 1000)
      this.gauges()
    }
  }

  private async downlink (payload: Buffer): Promise<void> {
    let msg: Partial<DownlinkAck>
    try { msg = JSON.parse(payload.toString('utf8')) as Partial<DownlinkAck> } catch { throw new Error('downlink message is not JSON') }
    if (msg.type !== 'ack' || typeof msg.alertId !== 'string' || typeof msg.by !== 'string') throw new Error('downlink message is not { type: "ack", alertId, by, note }')
    try {
      await this.o.applyAck({ type: 'ack', alertId: msg.alertId, by: msg.by, note: typeof msg.note === 'string' ? msg.note : '', at: Number(msg.at) || this.o.clock.now() }, this.o.target)
      this.s.downlinkApplied++
      this.o.metrics.downlinkApplied.inc({ target: this.name, outcome: 'applied' })
    } catch (err) {
      // already acknowledged or resolved here (a redelivered ack, or the alert moved on): nothing to do
      if (err instanceof MinewatchError && (err.code === 'MW_CONFLICT' || err.code === 'MW_NOT_FOUND')) {
        this.o.metrics.downlinkApplied.inc({ target: this.name, outcome: 'skipped' })
        this.o.logger.warn({ target: this.name, alertId: msg.alertId, reason: err.message }, 'uplink: upstream acknowledgement not applied')
        return
      }
      throw err
    }
  }

  private gauges (): void {
    this.s.backlogItems = this.queue.readings
    this.s.backlogBytes = this.queue.bytes
    this.o.metrics.backlogItems.set(this.labels, this.s.backlogItems)
    this.o.metrics.backlogBytes.set(this.labels, this.s.backlogBytes)
  }

  status (): TargetStatus {
    const since = this.o.clock.now() - RATE_WINDOW_MS
    while (this.acks.length > 0 && this.acks[0]![0] < since) this.acks.shift()
    const n = this.acks.reduce((sum, [, k]) => sum + k, 0)
    return { ...this.s, ratePerS: Math.round((n / (RATE_WINDOW_MS / 1000)) * 10) / 10 }
  }

  /** Stops sending (what is not acknowledged stays queued for the next start) and closes the queue. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.signalClose()
    this.wakeUp?.()
    await new Promise<void>((resolve) => { if (this.client) this.client.end(true, {}, () => resolve()); else resolve() })
    await this.pumping
    await this.queue.close()
  }
}

function tlsOptions (tls: NonNullable<UplinkTarget['tls']>): Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> {
  const read = (file: string | undefined) => {
    if (file === undefined) return undefined
    try { return readFileSync(file) } catch (err) { throw new MinewatchError('MW_CONFIG_INVALID', `uplink tls: cannot read ${file}: ${(err as Error).message}`, { cause: err }) }
  }
  return { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile), rejectUnauthorized: true }
}

export function queueDir (dataDir: string, target: string): string {
  return join(dataDir, 'uplink', target)
}
