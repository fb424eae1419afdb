/**
 * Embedded state: rejects, alerts with their history, and the delivery outbox.
 * Kept apart from telemetry so it stays embedded whichever telemetry store is used.
 */
import type { Reject, RejectReason } from '../core/rejects.js'
import type { Alert, AlertState, AlertTransition, AlertKind } from '../core/alerts.js'
import type { Device, Severity } from '../core/sites.js'
import type { AuditRecord, NewAuditEntry } from '../core/audit.js'

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
   * `audit`, when given, is appended to the audit log (AuditStore) in that transaction too, with
   * the stored transition's seq added to its detail (`transitionSeq`).
   */
  transition(alert: Alert, t: Omit<AlertTransition, 'seq'>, deliveries?: (stored: AlertTransition) => readonly NewOutboxItem[], audit?: NewAuditEntry): Promise<AlertTransition>
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

/** A delivery its receiver refused for good: out of the outbox, kept with the receiver's answer. */
export interface DeadLetter {
  id: string
  subscription: string
  transitionSeq: number
  /** Attempts made, the refused one included. */
  attempts: number
  /** Epoch ms of the refusal. */
  deadAt: number
  /** Why it failed (the error message). */
  error: string
  /** What the receiver answered (HTTP status and body, or robot errcode and errmsg), when it answered. */
  answer: string | null
  payload: string
}

export interface DeadLetterQuery {
  subscription?: string
  /** Newest first; at most this many. */
  limit: number
}

export interface OutboxStore {
  enqueue(items: readonly NewOutboxItem[]): Promise<void>
  /** Items due at `now`, oldest first (never dead letters). */
  due(now: number, limit: number): Promise<OutboxItem[]>
  delivered(id: string): Promise<void>
  failed(id: string, error: string, nextDueAt: number): Promise<void>
  /** Items waiting for delivery (not dead letters). */
  pending(subscription?: string): Promise<number>
  /** Moves an item to the dead letters, atomically; MW_NOT_FOUND for an unknown id. */
  deadLetter(id: string, error: string, answer: string | null, at: number): Promise<void>
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]>
  /** Puts a dead letter back in the outbox, due at `dueAt` with its attempts kept; undefined for an unknown id. */
  retryDeadLetter(id: string, dueAt: number): Promise<OutboxItem | undefined>
}

/** What the API needs of alert delivery (the alert engine implements it): dead letters, and retrying one. */
export interface DeadLetterService {
  deadLetters(q: DeadLetterQuery): Promise<DeadLetter[]>
  /** Puts a dead letter back in the outbox, due now, and starts delivering it; undefined when there is none with that id. */
  retryDeadLetter(id: string): Promise<OutboxItem | undefined>
}

export interface AuditQuery {
  /** Only records of one of these sites, plus those of no site (digests): a caller's visibility. */
  sites?: readonly string[]
  site?: string
  /** Records acting on this target (an alert id). */
  target?: string
  action?: string
  /** at ≥ from */
  from?: number
  /** at < to */
  to?: number
  /** Only seq > afterSeq (paging), oldest first. */
  afterSeq?: number
  limit: number
}

/**
 * The append-only, hash-chained audit log (core/audit.ts): every alert transition and operator
 * action, and other parts' operator actions. There is no update or delete.
 */
export interface AuditStore {
  /**
   * Appends entries in order, each chained to the one before; before the first entry of a later
   * Beijing day than the newest record's, a digest record closes that day. Returns the stored
   * records (digests included). Atomic: all or none. `deliveries`, when given, are enqueued in the
   * outbox in the same transaction (an operator action and the message it sends are kept together
   * or not at all, e.g. a shift handover: alerts/handover.ts).
   */
  append(entries: readonly NewAuditEntry[], deliveries?: readonly NewOutboxItem[]): Promise<AuditRecord[]>
  /** Records matching q, oldest first (by seq), at most limit. */
  list(q: AuditQuery): Promise<AuditRecord[]>
  /** Every record with seq > afterSeq, oldest first, at most limit, unfiltered (verification). */
  page(afterSeq: number, limit: number): Promise<AuditRecord[]>
}
// ---- device lifecycle (devices/, docs/operations.md): the audited changes, the overrides on top of the config file
export const DEVICE_ACTIONS = ['add', 'disable', 'enable', 'replace', 'retire'] as const
export type DeviceAction = (typeof DEVICE_ACTIONS)[number]

/** One device change made through the API: who, when, why and what; stored append-only. */
export interface DeviceChange {
  /** 1, 2, ... in the order the changes were made (and are applied on top of the file). */
  seq: number
  /** Epoch ms. */
  at: number
  /** The API token (account) that made it. */
  by: string
  action: DeviceAction
  /** The device changed (for replace: the one replaced; for add: the one added). */
  device: string
  site: string
  reason: string
  /** add: the device added; replace: its replacement (secrets as scrypt hashes only); else null. */
  spec: Device | null
}

export interface DeviceChangeStore {
  /** Appends one change, durable when resolved; seq is given by the store. */
  append(c: Omit<DeviceChange, 'seq'>): Promise<DeviceChange>
  /** Every change, oldest first (optionally of one device: changed, added or replacing it). */
  list(q?: { device?: string }): Promise<DeviceChange[]>
}
// ---- end device lifecycle
// ---- forwarded daily reports (uplink/, docs/uplink.md): a site's own daily reports, kept at the province
/** A site's daily report as its minewatch computed and forwarded it. */
export interface ForwardedReport {
  site: string
  /** Beijing calendar day, YYYY-MM-DD. */
  date: string
  /** 1, 2, … per site-day at the site: a report re-stated by late data carries the next revision. */
  revision: number
  /** When the site computed it (site clock), epoch ms. */
  computedAt: number
  /** When this minewatch stored it (first receipt of this revision), epoch ms. */
  receivedAt: number
  /** The report as the site's API gives it (api/reports/schema.ts dailyReportSchema, checked on receipt). */
  report: Record<string, unknown>
}

export interface ForwardedReportStore {
  /**
   * Stores a site's report, durable when resolved: 'stored' (first for its day), 'replaced' (a later
   * revision or computation replaced the one held), 'kept' (the same or an older one: a replay or a
   * late re-send; the one held stays, with its receivedAt).
   */
  put(r: ForwardedReport): Promise<'stored' | 'replaced' | 'kept'>
  get(site: string, date: string): Promise<ForwardedReport | undefined>
}

/** True when `a` supersedes `b` (a later computation at the site, or a later revision of the same one). */
export function supersedes (a: Pick<ForwardedReport, 'computedAt' | 'revision'>, b: Pick<ForwardedReport, 'computedAt' | 'revision'>): boolean {
  return a.computedAt > b.computedAt || (a.computedAt === b.computedAt && a.revision > b.revision)
}
// ---- end forwarded daily reports

/** Every state store of one database (DuckDB file or PostgreSQL), as bin/up.ts opens it. */
export interface StateStore {
  rejects: RejectStore
  alerts: AlertStore
  outbox: OutboxStore
  /** The hash-chained audit log (alert transitions and operator actions, and other parts' actions). */
  audit: AuditStore
  /** Device lifecycle changes (devices/), append-only. */
  deviceChanges: DeviceChangeStore
  /** Daily reports forwarded by sites (uplink receiver). */
  forwardedReports: ForwardedReportStore
  /** Waits for queued writes, then closes. Idempotent; later calls reject with MW_STORE_CLOSED. */
  close(): Promise<void>
}
