/**
 * What every uplink target (MQTT or HJ 212) keeps about itself: its status counters, the gauges
 * of its queue, the acknowledgement rate, and the bound of its durable queue (drop-oldest or
 * refuse-new, counted). Shared by uplink/forwarder.ts and uplink/hj212/forwarder.ts.
 */
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import { SegmentQueue } from '../store/segments/queue.js'
import type { UplinkMetrics } from './metrics.js'

/** Acks counted for the rate shown in status, ms. */
const RATE_WINDOW_MS = 60_000

export interface TargetStatus {
  name: string
  url: string
  site: string
  /** 'mqtt' (minewatch → minewatch or a broker) or 'hj212' (HJ 212-2017 frames to a platform). */
  protocol: 'mqtt' | 'hj212'
  connected: boolean
  /** Items (readings and alert transitions, or HJ 212 frames) waiting, and their bytes on disk. */
  backlogItems: number
  backlogBytes: number
  maxBytes: number
  onFull: 'drop-oldest' | 'refuse-new'
  /** True while the queue is at its bound (items are being dropped or refused). */
  full: boolean
  ackedItems: number
  /** MQTT messages (PUBACK each) or HJ 212 windows of frames (9014 each frame) acknowledged. */
  ackedBatches: number
  /** Bytes of acknowledged batches (MQTT: compressed payloads; HJ 212: whole frames). */
  wireBytes: number
  droppedItems: number
  refusedItems: number
  /** Epoch ms of the last acknowledgement, null before the first. */
  lastAckAt: number | null
  /** Items acknowledged per second over the last minute. */
  ratePerS: number
  lastError: string | null
  downlinkApplied: number
}

export interface QueueBound {
  maxBytes: number
  onFull: 'drop-oldest' | 'refuse-new'
}

export class TargetState<T> {
  readonly s: TargetStatus
  private readonly acks: Array<[number, number]> = []
  private readonly labels: { target: string }

  private readonly queues: SegmentQueue<T>[]

  /** `queues`: the target's queues (one, or one per device); the bound is over all of them. */
  constructor (
    init: Pick<TargetStatus, 'name' | 'url' | 'site' | 'protocol'>,
    queues: SegmentQueue<T> | SegmentQueue<T>[],
    private readonly bound: QueueBound,
    private readonly o: { clock: Clock, logger: Logger, metrics: UplinkMetrics }
  ) {
    this.queues = Array.isArray(queues) ? queues : [queues]
    this.labels = { target: init.name }
    this.s = {
      ...init, connected: false, backlogItems: 0, backlogBytes: 0, maxBytes: bound.maxBytes, onFull: bound.onFull, full: false,
      ackedItems: 0, ackedBatches: 0, wireBytes: 0, droppedItems: 0, refusedItems: 0, lastAckAt: null, ratePerS: 0, lastError: null, downlinkApplied: 0
    }
    this.gauges()
  }

  setConnected (up: boolean): void {
    this.s.connected = up
    if (up) this.s.lastError = null
    this.o.metrics.connected.set(this.labels, up ? 1 : 0)
  }

  private get bytes (): number { return this.queues.reduce((n, q) => n + q.bytes, 0) }

  /**
   * Appends items to `queue` (default: the target's only queue) under the target's bound; resolves
   * once they are durable. At the bound, drop-oldest drops the oldest segment of that queue not
   * in flight, refuse-new does not queue them (both counted).
   */
  append (items: T[], queue: SegmentQueue<T> = this.queues[0]!): Promise<void> {
    const record = SegmentQueue.encode(items)
    const max = this.bound.maxBytes
    this.s.full = false
    while (this.bytes + record.length > max) {
      this.s.full = true
      if (this.bound.onFull === 'refuse-new') {
        this.s.refusedItems += items.length
        this.o.metrics.refused.inc(this.labels, items.length)
        this.o.logger.error({ target: this.s.name, items: items.length, maxBytes: max }, 'uplink: queue full (onFull: refuse-new); items not forwarded')
        return Promise.resolve()
      }
      const dropped = queue.dropOldest()
      if (dropped === null) break // only the batch in flight is left: take this one anyway
      this.s.droppedItems += dropped.readings
      this.o.metrics.dropped.inc(this.labels, dropped.readings)
      this.o.logger.error({ target: this.s.name, ...dropped }, 'uplink: queue full (onFull: drop-oldest); oldest items dropped')
    }
    const durable = queue.append(record, items.length)
    this.gauges()
    return durable.catch((err: unknown) => { this.o.logger.error({ err, target: this.s.name }, 'uplink: queue append not fsynced') })
  }

  /** The upstream acknowledged `items` items in `wireBytes` bytes. */
  acked (items: number, wireBytes: number): void {
    this.s.full = false // the upstream drains the queue: below its bound again
    const now = this.o.clock.now()
    this.s.ackedItems += items
    this.s.ackedBatches++
    this.s.wireBytes += wireBytes
    this.s.lastAckAt = now
    this.acks.push([now, items])
    this.o.metrics.sentItems.inc(this.labels, items)
    this.o.metrics.wireBytes.inc(this.labels, wireBytes)
    this.o.metrics.lastAck.set(this.labels, now / 1000)
    this.gauges()
  }

  gauges (): void {
    this.s.backlogItems = this.queues.reduce((n, q) => n + q.readings, 0)
    this.s.backlogBytes = this.bytes
    this.o.metrics.backlogItems.set(this.labels, this.s.backlogItems)
    this.o.metrics.backlogBytes.set(this.labels, this.s.backlogBytes)
  }

  status (): TargetStatus {
    const since = this.o.clock.now() - RATE_WINDOW_MS
    while (this.acks.length > 0 && this.acks[0]![0] < since) this.acks.shift()
    const n = this.acks.reduce((sum, [, k]) => sum + k, 0)
    return { ...this.s, ratePerS: Math.round((n / (RATE_WINDOW_MS / 1000)) * 10) / 10 }
  }
}
