/** What the uplink queue holds and forwards: stored readings and alert transitions (with the alert as it stood). */
import type { Reading } from '../core/readings.js'
import type { Alert, AlertTransition } from '../core/alerts.js'

/** A site's alert transition as it travels upstream: the province keeps the same id and lifecycle. */
export interface ForwardedTransition {
  alert: Alert
  transition: AlertTransition
}

export type UplinkItem = { r: Reading } | { a: ForwardedTransition }

/** What the province publishes down to a site: a regulator's acknowledgement, applied through the site's own lifecycle. */
export interface DownlinkAck {
  type: 'ack'
  alertId: string
  /** Who acknowledged, at the province. */
  by: string
  note: string
  /** When, at the province, epoch ms. */
  at: number
}
