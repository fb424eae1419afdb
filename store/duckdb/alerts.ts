/**
 * AlertStore on the state file. transition() upserts the alert and appends its
 * transition in one transaction; seq is max(seq)+1, read once at open and then kept
 * in memory (one process owns the file: DuckDB locks it), so it survives restarts.
 */
import { ALERT_KINDS, ALERT_STATES, type Alert, type AlertTransition, type TransitionEvidence } from '../../core/alerts.js'
import { SEVERITIES } from '../../core/sites.js'
import { MinewatchError } from '../../core/errors.js'
import type { AlertQuery, AlertStore, NewOutboxItem } from '../state.js'
import type { DuckDBOutboxStore } from './outbox.js'
import type { DuckDBAuditStore } from './audit.js'
import type { NewAuditEntry } from '../../core/audit.js'
import { ALERT_COLUMNS, TRANSITION_COLUMNS } from './state-schema.js'
import { int, intOrNull, runPrepared, type Bind, type Row, type StateDb } from './state-db.js'
import { ident } from './schema.js'

/** Largest page list(), history() and transitionsSince() return. */
export const ALERTS_MAX_PAGE = 10_000

const ALERT_INSERT = `INSERT INTO alerts (${ALERT_COLUMNS.map(ident).join(', ')}) VALUES (${ALERT_COLUMNS.map((c) => `$${c}`).join(', ')}) ` +
  `ON CONFLICT (id) DO UPDATE SET ${ALERT_COLUMNS.filter((c) => c !== 'id').map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}`
const TRANSITION_INSERT = `INSERT INTO alert_transitions (${TRANSITION_COLUMNS.map(ident).join(', ')}) VALUES (${TRANSITION_COLUMNS.map((c) => `$${c}`).join(', ')})`

function badRequest (detail: string): MinewatchError {
  return new MinewatchError('MW_BAD_REQUEST', detail)
}

export function oneOf (name: string, v: unknown, allowed: readonly string[]): void {
  if (typeof v !== 'string' || !allowed.includes(v)) throw badRequest(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`)
}

export function checkAlert (a: Alert, t: Omit<AlertTransition, 'seq'>): void {
  if (typeof a.id !== 'string' || a.id === '') throw badRequest('alert id must be a non-empty string')
  if (t.alertId !== a.id) throw badRequest(`transition is for alert ${JSON.stringify(t.alertId)}, not ${JSON.stringify(a.id)}`)
  oneOf('alert kind', a.kind, ALERT_KINDS)
  oneOf('alert state', a.state, ALERT_STATES)
  oneOf('alert severity', a.severity, SEVERITIES)
  oneOf('transition to', t.to, ALERT_STATES)
  if (t.from !== null) oneOf('transition from', t.from, ALERT_STATES)
  if (t.to !== a.state) throw badRequest(`transition to ${t.to} but the alert's state is ${a.state}`)
  for (const [name, v] of [['firedAt', a.firedAt], ['updatedAt', a.updatedAt], ['at', t.at]] as const) {
    if (!Number.isSafeInteger(v)) throw badRequest(`${name} must be an integer of epoch ms, got ${String(v)}`)
  }
  if (a.noDataSince !== undefined && a.noDataSince !== null && !Number.isSafeInteger(a.noDataSince)) {
    throw badRequest(`noDataSince must be null or an integer of epoch ms, got ${String(a.noDataSince)}`)
  }
}

export function rowToAlert (r: Row): Alert {
  return {
    id: r.id as string,
    site: r.site as string,
    kind: r.kind as Alert['kind'],
    subject: r.subject as string,
    device: r.device as string | null,
    severity: r.severity as Alert['severity'],
    state: r.state as Alert['state'],
    firedAt: int(r.firedAt),
    updatedAt: int(r.updatedAt),
    resolvedAt: intOrNull(r.resolvedAt),
    ackedBy: r.ackedBy as string | null,
    ackNote: r.ackNote as string | null,
    value: r.value as number | null,
    limit: r.limit as number | null,
    unit: r.unit as string,
    standard: r.standard as string,
    message: r.message as string,
    noDataSince: intOrNull(r.noDataSince)
  }
}

export function rowToTransition (r: Row): AlertTransition {
  return {
    seq: int(r.seq),
    alertId: r.alertId as string,
    site: r.site as string,
    kind: r.kind as AlertTransition['kind'],
    from: r.from as AlertTransition['from'],
    to: r.to as AlertTransition['to'],
    severity: r.severity as AlertTransition['severity'],
    at: int(r.at),
    reason: r.reason as string,
    value: r.value as number | null,
    limit: r.limit as number | null,
    by: r.by as string | null,
    message: r.message as string,
    ...(typeof r.evidence === 'string' ? { evidence: JSON.parse(r.evidence) as TransitionEvidence } : {}) // absent when none, as transition() was given it
  }
}

export function evidenceJson (e: TransitionEvidence | null | undefined): string | null {
  if (e === null || e === undefined) return null
  if (!Number.isFinite(e.beyondM) || !Array.isArray(e.fixes)) throw badRequest('transition evidence needs a finite beyondM and a list of fixes')
  return JSON.stringify({ beyondM: e.beyondM, fixes: e.fixes.map((f) => ({ ts: f.ts, lon: f.lon, lat: f.lat, alt: f.alt, accuracyM: f.accuracyM, beyondM: f.beyondM })) })
}

export function checkLimit (limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > ALERTS_MAX_PAGE) throw badRequest(`limit must be an integer from 1 to ${ALERTS_MAX_PAGE}, got ${String(limit)}`)
}

/** Opaque list cursor: the (firedAt, id) of the last alert of the page. */
export function encodeCursor (a: Alert): string {
  return Buffer.from(JSON.stringify([a.firedAt, a.id])).toString('base64url')
}

export function decodeCursor (c: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') return [v[0] as number, v[1]]
  } catch { /* reported below */ }
  throw badRequest('cursor is not one returned by this API (pass nextCursor unchanged)')
}

export class DuckDBAlertStore implements AlertStore {
  private constructor (private readonly db: StateDb, private nextSeq: number, private readonly outbox: DuckDBOutboxStore, private readonly audit: DuckDBAuditStore) {}

  /** `outbox` and `audit`: the same file's outbox and audit log, written with each transition. */
  static async open (db: StateDb, outbox: DuckDBOutboxStore, audit: DuckDBAuditStore): Promise<DuckDBAlertStore> {
    const [row] = await db.rows('SELECT coalesce(max(seq), 0) AS last FROM alert_transitions')
    return new DuckDBAlertStore(db, int(row!.last) + 1, outbox, audit)
  }

  async transition (alert: Alert, t: Omit<AlertTransition, 'seq'>, deliveries?: (stored: AlertTransition) => readonly NewOutboxItem[], audit?: NewAuditEntry): Promise<AlertTransition> {
    checkAlert(alert, t)
    let enqueued = 0
    const result = await this.db.tx(async (conn) => {
      const { evidence, ...rest } = t
      const stored: AlertTransition = { ...rest, ...(evidence ? { evidence } : {}), seq: this.nextSeq }
      await runPrepared(conn, ALERT_INSERT, Object.fromEntries(ALERT_COLUMNS.map((c) => [c, alert[c] ?? null])) as Bind)
      const row = Object.fromEntries(TRANSITION_COLUMNS.map((c) => [c, c === 'evidence' ? evidenceJson(stored.evidence) : stored[c] ?? null])) as Bind
      await runPrepared(conn, TRANSITION_INSERT, row)
      const items = deliveries?.(stored) ?? []
      if (items.length > 0) await this.outbox.insertWithin(conn, items)
      if (audit !== undefined) await this.audit.appendWithin(conn, [{ ...audit, detail: { ...audit.detail, transitionSeq: stored.seq } }])
      enqueued = items.length
      // Advanced before COMMIT: a failed commit leaves a gap, never a reused seq.
      this.nextSeq++
      return stored
    }).catch((err: unknown) => {
      throw err instanceof MinewatchError ? err : new MinewatchError('MW_STORE_UNAVAILABLE', `alert transition not stored: ${(err as Error).message}`, { cause: err })
    })
    if (enqueued > 0) await this.outbox.updateGauge()
    return result
  }

  async open (): Promise<Alert[]> {
    const rows = await this.db.rows(`SELECT * FROM alerts WHERE state <> 'resolved' ORDER BY "firedAt", id`)
    return rows.map(rowToAlert)
  }

  async get (id: string): Promise<Alert | undefined> {
    const [row] = await this.db.rows('SELECT * FROM alerts WHERE id = $id', { id })
    return row === undefined ? undefined : rowToAlert(row)
  }

  async history (alertId: string): Promise<AlertTransition[]> {
    const rows = await this.db.rows('SELECT * FROM alert_transitions WHERE "alertId" = $id ORDER BY seq', { id: alertId })
    return rows.map(rowToTransition)
  }

  async transitionsSince (afterSeq: number, limit: number): Promise<AlertTransition[]> {
    if (!Number.isSafeInteger(afterSeq)) throw badRequest(`afterSeq must be an integer, got ${String(afterSeq)}`)
    checkLimit(limit)
    const rows = await this.db.rows('SELECT * FROM alert_transitions WHERE seq > $after::BIGINT ORDER BY seq LIMIT $limit', { after: afterSeq, limit })
    return rows.map(rowToTransition)
  }

  async list (q: AlertQuery): Promise<{ items: Alert[], nextCursor: string | null }> {
    checkLimit(q.limit)
    const where: string[] = []
    const params: Bind = {}
    if (q.sites !== undefined) {
      if (q.sites.length === 0) return { items: [], nextCursor: null }
      where.push(`site IN (${q.sites.map((_, i) => `$s${i}`).join(', ')})`)
      q.sites.forEach((s, i) => { params[`s${i}`] = s })
    }
    if (q.site !== undefined) { where.push('site = $site'); params.site = q.site }
    if (q.kind !== undefined) { oneOf('kind', q.kind, ALERT_KINDS); where.push('kind = $kind'); params.kind = q.kind }
    if (q.state !== undefined) { oneOf('state', q.state, ALERT_STATES); where.push('state = $state'); params.state = q.state }
    if (q.severity !== undefined) { oneOf('severity', q.severity, SEVERITIES); where.push('severity = $severity'); params.severity = q.severity }
    if (q.from !== undefined) {
      if (!Number.isSafeInteger(q.from)) throw badRequest(`from must be an integer of epoch ms, got ${String(q.from)}`)
      where.push('"firedAt" >= $from::BIGINT'); params.from = q.from
    }
    if (q.to !== undefined) {
      if (!Number.isSafeInteger(q.to)) throw badRequest(`to must be an integer of epoch ms, got ${String(q.to)}`)
      where.push('"firedAt" < $to::BIGINT'); params.to = q.to
    }
    if (q.cursor !== undefined) {
      const [firedAt, id] = decodeCursor(q.cursor)
      where.push('("firedAt" < $cf::BIGINT OR ("firedAt" = $cf::BIGINT AND id < $cid))')
      params.cf = firedAt
      params.cid = id
    }
    params.limit = q.limit + 1
    const sql = `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "firedAt" DESC, id DESC LIMIT $limit`
    const items = (await this.db.rows(sql, params)).map(rowToAlert)
    const more = items.length > q.limit
    if (more) items.pop()
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!) : null }
  }
}
