/** Alert data shapes shared by the alert engine, the state store, the API and dashboards. */
import type { Severity } from './sites.js'

export const ALERT_KINDS = [
  'dust_exceedance', 'water_recycling_low', 'boundary_breach', 'zone_intrusion',
  'over_capacity', 'device_offline', 'data_quality'
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const
export type AlertState = (typeof ALERT_STATES)[number]

export interface Alert {
  /** Stable id, e.g. a UUID. */
  id: string
  site: string
  kind: AlertKind
  /** Device id or entity id (person/vehicle) or metric-qualified key: one open alert per (site, kind, subject). */
  subject: string
  device: string | null
  severity: Severity
  state: AlertState
  /** Event time (reading time) it first fired, epoch ms. */
  firedAt: number
  /** Last transition's event time, epoch ms. */
  updatedAt: number
  resolvedAt: number | null
  ackedBy: string | null
  ackNote: string | null
  /** Observed value and limit at the last transition (units in `unit`). */
  value: number | null
  limit: number | null
  unit: string
  /** Standard or rule source quoted in the text. */
  standard: string
  message: string
}

export interface AlertTransition {
  /** Monotonic id (per store), usable as an SSE event id. */
  seq: number
  alertId: string
  site: string
  kind: AlertKind
  from: AlertState | null
  to: AlertState
  severity: Severity
  /** Event time, epoch ms. */
  at: number
  reason: string
  value: number | null
  limit: number | null
  by: string | null
  message: string
}

/** What the API needs from the alert engine: acknowledge, and a live feed of transitions. */
export interface AlertService {
  /** Acknowledges a firing alert. Throws MinewatchError MW_NOT_FOUND, or MW_CONFLICT when it is not firing. */
  ack(id: string, by: string, note: string): Promise<Alert>
  /** Calls `listener` after each stored transition; returns an unsubscribe function. */
  onTransition(listener: (t: AlertTransition) => void): () => void
}
