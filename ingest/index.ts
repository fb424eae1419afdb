/**
 * Ingest: MQTT messages in, durable readings and recorded rejects out.
 * decode → validate → normalise → dedup → batch → store, one file per step.
 * docs/device-contract.md describes what devices may send and why messages are refused.
 */
import type { Config } from '../core/config.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'
import type { Reading } from '../core/readings.js'
import type { Registry } from '../core/registry.js'
import type { RejectReason } from '../core/rejects.js'
import type { TelemetryStore } from '../store/telemetry.js'
import type { RejectStore } from '../store/state.js'
import { Pipeline } from './pipeline.js'

export interface IngestMessage {
  topic: string
  payload: Buffer
  /** authenticated device, or null when from an external broker */
  deviceId: string | null
  /** Server time the message arrived, epoch ms. */
  receivedAt: number
}

export interface IngestOutcome {
  /** Readings of the message now durable in the store. */
  stored: number
  /** Readings dropped because the same (device, ts, seq, entityId) is already stored. */
  duplicates: number
  /** Readings refused (a message refused before its readings could be counted counts 1). */
  rejected: number
}

export interface IngestOptions {
  registry: Registry
  store: TelemetryStore
  rejects: RejectStore
  config: Config['ingest']
  metrics: Metrics
  logger: Logger
  clock: Clock
}

export interface Ingest {
  /** Resolves once the message's accepted readings are durable in the store and its rejects are recorded.
   *  Rejects only when that could not be done (store failure): the caller must then NOT acknowledge the message. */
  handle(msg: IngestMessage): Promise<IngestOutcome>
  /** Records a publish the broker refused (topic_mismatch, bad_topic, payload_too_large, rate_limited) as a reject. */
  recordDenied(d: { deviceId: string | null, topic: string, reason: RejectReason, payload: Buffer, at: number, /** optional text; a default per reason otherwise */ detail?: string }): Promise<void>
  /** Records readings the store refused as malformed after accepting them (SpooledStore's onRejected) as store_rejected rejects, one per device. */
  recordStoreRejected(readings: readonly Reading[], detail: string): Promise<void>
  /** Listener called with readings after they are durable (the alert engine subscribes). Returns unsubscribe. */
  onStored(listener: (readings: readonly Reading[]) => void): () => void
  /** Seeds duplicate detection from store.recentKeys (readings of the last 10 minutes); older readings are checked with store.keysBetween. */
  start(): Promise<void>
  /** Flushes pending batches and stops. */
  close(): Promise<void>
}

/** Builds the ingest pipeline (call start() before handle()). */
export function createIngest (opts: IngestOptions): Ingest {
  return new Pipeline(opts)
}

export { DEDUP_SEED_WINDOW_MS } from './pipeline.js'
