/** What the uplink queue holds and forwards: stored readings, alert transitions (with the alert as it stood) and daily reports. */
import type { Reading } from '../core/readings.js'
import type { Alert, AlertTransition } from '../core/alerts.js'

/** A site's alert transition as it travels upstream: the province keeps the same id and lifecycle. */
export interface ForwardedTransition {
  alert: Alert
  transition: AlertTransition
}

/** A site's daily report as it travels upstream (uplink/reports.ts); the province keeps the last one per site-day. */
export interface ForwardedDailyReport {
  site: string
  /** Beijing calendar day, YYYY-MM-DD. */
  date: string
  /** 1 when the day was first reported, then 1 more each time late data changed its figures. */
  revision: number
  /** When the site computed it, epoch ms. */
  computedAt: number
  /** The report as the site's API gives it (GET /api/v1/reports/daily). */
  report: Record<string, unknown>
}

export type UplinkItem = { r: Reading } | { a: ForwardedTransition } | { d: ForwardedDailyReport }

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
