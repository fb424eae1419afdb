/** The alert engine's public API (wired by bin/ to ingest.onStored, the API and the broker). */
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import type { AlertService } from '../core/alerts.js'
import type { Reading } from '../core/readings.js'
import type { Metrics } from '../core/metrics.js'
import type { Logger } from '../core/log.js'
import type { Clock } from '../core/clock.js'
import type { AlertStore, AuditStore, DeadLetterService, OutboxStore } from '../store/state.js'
import type { TelemetryStore } from '../store/telemetry.js'
import type { ScheduleService } from '../core/schedules.js'
import type { HandoverService, RosterService } from '../core/rosters.js'
import { Engine } from './engine.js'

export interface AlertEngineOptions {
  registry: Registry; config: Config; alertStore: AlertStore; outbox: OutboxStore; telemetry: TelemetryStore
  /** Publishes to the embedded broker (alerts/{site}/{kind}). */
  publish: (topic: string, payload: string) => Promise<void>
  metrics: Metrics; logger: Logger; clock: Clock
  /** fetch to use for webhooks (default global fetch). */
  fetch?: typeof fetch
  /** The audit log, for operator comments and the API's schedules (transitions are audit-logged by the AlertStore itself). */
  audit?: AuditStore
}

export interface AlertEngine extends AlertService, DeadLetterService, ScheduleService, HandoverService, RosterService {   // AlertService from core/alerts.ts: ack(), onTransition(); DeadLetterService from store/state.ts
  /** Restores open alerts and rule state, starts the offline timer and the delivery loop. */
  start(): Promise<void>
  /** Evaluates readings that are already durable (wired to ingest.onStored). Serialised internally. */
  evaluate(readings: readonly Reading[]): Promise<void>
  /** Clock-driven checks (device_offline) and due deliveries; also run by timers started in start(). */
  tick(): Promise<void>
  /** Writes the day facts of every site-day with new data now (the tick does so every 30 s; alerts/day-facts.ts). */
  refreshDayFacts(): Promise<void>
  /**
   * A config reload (the registry already holds the new config): rebuilds the rule state for the
   * new sites, devices and limits, carrying over what is still configured (open alerts stay
   * open, averaging windows keep their data); alerts whose rule, device or zone left the
   * config are resolved as no_longer_configured. Serialised with evaluation: no reading is
   * judged half under the old rules and half under the new. Resolves with the alerts closed.
   */
  reload(): Promise<{ closed: number }>
  /** Waits until nothing is being evaluated or delivered right now (for tests). */
  idle(): Promise<void>
  close(): Promise<void>
}

/** Builds the alert engine; call start() before feeding it readings. */
export function createAlertEngine (opts: AlertEngineOptions): AlertEngine {
  return new Engine(opts)
}

export { webhookSignature, SIGNATURE_HEADER, DELIVERY_HEADER } from './notify/webhook.js'
export { dingtalkSign, dingtalkSignedUrl } from './notify/dingtalk.js'
export type { AlertEvent } from './notify/payload.js'
