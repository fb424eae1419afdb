/** What the uplink queue holds and forwards: stored readings, alert transitions (with the alert as it stood) and daily reports. */
import type { Reading } from '../core/readings.js'
import { CLOSE_REASONS, type Alert, type AlertTransition, type CloseReason } from '../core/alerts.js'

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

/**
 * What the province publishes down to a site: a regulator's acknowledgement, comment or close,
 * applied through the site's own lifecycle (the site stays the authority on its alerts).
 */
export type DownlinkMessage = DownlinkAck | DownlinkComment | DownlinkClose

interface DownlinkBase {
  alertId: string
  /** Who, at the province. */
  by: string
  /** When, at the province, epoch ms. */
  at: number
}

export interface DownlinkAck extends DownlinkBase {
  type: 'ack'
  note: string
}

export interface DownlinkComment extends DownlinkBase {
  type: 'comment'
  text: string
}

export interface DownlinkClose extends DownlinkBase {
  type: 'close'
  /** One of core/alerts.ts CLOSE_REASONS. */
  reason: CloseReason
  text: string
}

/** Parses a downlink payload; throws an Error saying what is wrong. */
export function parseDownlink (payload: Buffer, now: number): DownlinkMessage {
  let msg: Record<string, unknown>
  try { msg = JSON.parse(payload.toString('utf8')) as Record<string, unknown> } catch { throw new Error('downlink message is not JSON') }
  if (msg === null || typeof msg !== 'object') throw new Error('downlink message is not an object')
  const { type, alertId, by } = msg
  if (typeof alertId !== 'string' || alertId === '' || typeof by !== 'string' || by === '') throw new Error('downlink message needs alertId and by')
  const at = Number.isSafeInteger(msg.at) ? msg.at as number : now
  const text = (k: string) => typeof msg[k] === 'string' ? msg[k] as string : ''
  switch (type) {
    case 'ack': return { type, alertId, by, at, note: text('note') }
    case 'comment':
      if (text('text').trim() === '') throw new Error('downlink comment needs a text')
      return { type, alertId, by, at, text: text('text') }
    case 'close':
      if (!CLOSE_REASONS.includes(msg.reason as CloseReason)) throw new Error(`downlink close reason must be one of ${CLOSE_REASONS.join(', ')}, got ${JSON.stringify(msg.reason)}`)
      return { type, alertId, by, at, reason: msg.reason as CloseReason, text: text('text') }
    default: throw new Error(`downlink message type must be ack, comment or close, got ${JSON.stringify(type)}`)
  }
}
