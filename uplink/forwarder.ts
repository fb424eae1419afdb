/**
 * One uplink target, site side: a durable queue (store/segments, the spool's format and
 * fsync policy) fed with stored readings, alert transitions and daily reports, drained in order over one
 * MQTT connection. A batch leaves the queue only after the upstream's QoS 1 PUBACK; one
 * batch is in flight at a time, so the upstream receives each device's readings in order.
 * The same connection receives the upstream's downlink (a regulator's acknowledgements, comments, closes).
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
import { parseDownlink, type DownlinkMessage, type ForwardedDailyReport, type ForwardedTransition, type UplinkItem } from './items.js'
import type { UplinkMetrics } from './metrics.js'
import { TargetState, type TargetStatus } from './target-state.js'

export type UplinkTarget = Config['uplink']['targets'][number]
export type { TargetStatus }

export interface ForwarderOptions {
  target: UplinkTarget
  /** Directory of this target's queue. */
  dir: string
  password: string
  clock: Clock
  logger: Logger
  metrics: UplinkMetrics
  /** Applies an upstream acknowledgement, comment or close through the local alert lifecycle. */
  applyDownlink: (msg: DownlinkMessage, target: UplinkTarget) => Promise<void>
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
  private readonly state: TargetState<UplinkItem>
  private readonly kinds: Set<string> | null

  /** This target's queue dir as of now, for a backup (store/segments/snapshot.ts). Synchronous. */
  get queueDir (): string { return this.o.dir }

  captureQueue (): QueueDirCapture {
    return captureQueueDir(this.o.dir)
  }

  constructor (private readonly o: ForwarderOptions) {
    const t = o.target
    this.queue = SegmentQueue.create<UplinkItem>({ dir: o.dir, segmentBytes: t.queue.segmentBytes, fsync: t.queue.fsync, fsyncIntervalMs: t.queue.fsyncIntervalMs, logger: o.logger, label: `uplink queue ${t.name}` })
    this.kinds = t.forward.kinds === '*' ? null : new Set(t.forward.kinds)
    this.closing = new Promise<void>((resolve) => { this.signalClose = resolve })
    this.state = new TargetState({ name: t.name, url: t.url, site: t.site, protocol: 'mqtt' }, this.queue, t.queue, o)
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
      this.state.setConnected(true)
      this.o.logger.info({ target: t.name, url: t.url, backlog: this.queue.readings }, 'uplink: connected')
      client.subscribe(uplinkTopic(t.site, 'down'), { qos: 1 }, (err) => { if (err) this.o.logger.error({ err, target: t.name }, 'uplink: downlink subscription failed') })
    })
    client.on('close', () => {
      if (this.state.s.connected) this.o.logger.warn({ target: t.name, backlog: this.queue.readings }, 'uplink: connection lost; queueing')
      this.state.setConnected(false)
    })
    client.on('error', (err) => { this.state.s.lastError = err.message })
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

  /** Queues a daily report of this target's site; resolves once it is durable in the queue. */
  offerReport (d: ForwardedDailyReport): Promise<void> {
    if (!this.o.target.forward.dailyReports || d.site !== this.o.target.site) return Promise.resolve()
    return this.enqueue([{ d }])
  }

  forwardsAlertsOf (site: string): boolean {
    return this.o.target.forward.alerts && site === this.o.target.site
  }

  private enqueue (items: UplinkItem[]): Promise<void> {
    if (this.closed) return Promise.resolve()
    const durable = this.state.append(items)
    this.wakeUp?.()
    return durable
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
        this.state.s.lastError = (err as Error).message
        await new Promise((resolve) => setTimeout(resolve, t.reconnectMs))
        continue
      }
      this.queue.ack(batch.records)
      this.state.acked(batch.readings.length, payload.length)
    }
  }

  private async downlink (payload: Buffer): Promise<void> {
    const msg = parseDownlink(payload, this.o.clock.now())
    try {
      await this.o.applyDownlink(msg, this.o.target)
      this.state.s.downlinkApplied++
      this.o.metrics.downlinkApplied.inc({ target: this.name, outcome: 'applied' })
    } catch (err) {
      // already done here (a redelivery), or the alert moved on (acknowledged, closed at the site): nothing to do
      if (err instanceof MinewatchError && (err.code === 'MW_CONFLICT' || err.code === 'MW_NOT_FOUND')) {
        this.o.metrics.downlinkApplied.inc({ target: this.name, outcome: 'skipped' })
        this.o.logger.warn({ target: this.name, alertId: msg.alertId, type: msg.type, reason: err.message }, 'uplink: upstream request not applied')
        return
      }
      throw err
    }
  }

  status (): TargetStatus {
    return this.state.status()
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
