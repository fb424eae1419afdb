/**
 * Embedded state: rejects, alerts with their history, and the delivery outbox.
 * Kept apart from telemetry so it stays embedded whichever telemetry store is used.
 */
import type { Reject, RejectReason } from '../core/rejects.js'
import type { Alert, AlertState, AlertTransition, AlertKind } from '../core/alerts.js'
import type { Severity } from '../core/sites.js'

export interface RejectQuery {
  site?: string
  /** Only rejects filed under one of these sites (never those without a site): a caller's visibility, filtered by the store in one query. */
  sites?: readonly string[]
  device?: string
  reason?: RejectReason
  /** Newest first; at most this many. */
  limit: number
  /** Only rejects with id < before (paging). */
  before?: number
}

export interface StoredReject extends Reject {
  id: number
}

export interface RejectStore {
  /** Durable when resolved. Drops the oldest rows past the configured bound. */
  add(rejects: readonly Reject[]): Promise<void>
  list(q: RejectQuery): Promise<StoredReject[]>
  count(q?: { site?: string, reason?: RejectReason }): Promise<number>
}

export interface AlertQuery {
  sites?: readonly string[]
  site?: string
  kind?: AlertKind
  state?: AlertState
  severity?: Severity
  /** firedAt ≥ from */
  from?: number
  /** firedAt < to */
  to?: number
  limit: number
  /** Opaque paging cursor from the previous page. */
  cursor?: string
}

/** A delivery to enqueue: the outbox fills in attempts and lastError. */
export type NewOutboxItem = Omit<OutboxItem, 'attempts' | 'lastError'>

export interface AlertStore {
  /** Open (not resolved) alerts, to rebuild engine state on start-up. */
  open(): Promise<Alert[]>
  get(id: string): Promise<Alert | undefined>
  /**
   * Stores the alert's new state and its transition atomically; returns the transition with its seq.
   * `deliveries`, built from the stored transition (its seq), are enqueued in the outbox in the
   * same transaction, so a crash can never keep a transition and lose its deliveries.
   */
  transition(alert: Alert, t: Omit<AlertTransition, 'seq'>, deliveries?: (stored: AlertTransition) => readonly NewOutboxItem[]): Promise<AlertTransition>
  history(alertId: string): Promise<AlertTransition[]>
  /** Transitions with seq > afterSeq, oldest first (SSE resume). */
  transitionsSince(afterSeq: number, limit: number): Promise<AlertTransition[]>
  list(q: AlertQuery): Promise<{ items: Alert[], nextCursor: string | null }>
}

export interface OutboxItem {
  /** Delivery id: stable across retries, sent to receivers for idempotency. */
  id: string
  subscription: string
  transitionSeq: number
  attempts: number
  /** Epoch ms when the next attempt is due. */
  dueAt: number
  lastError: string | null
  /** Serialised body to deliver. */
  payload: string
}

export interface OutboxStore {
  enqueue(items: readonly NewOutboxItem[]): Promise<void>
  /** Items due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxItem[]>
  delivered(id: string): Promise<void>
  failed(id: string, error: string, nextDueAt: number): Promise<void>
  pending(subscription?: string): Promise<number>
}
