/**
 * AlertStore on PostgreSQL. transition() upserts the alert, appends its transition, enqueues its
 * deliveries and appends its audit record in ONE transaction. The transition's seq is max+1 under
 * the transitions advisory lock (held to COMMIT), so seqs follow commit order even with several
 * processes on the database, and an SSE client resuming after seq N misses nothing.
 */
import { ALERT_KINDS, ALERT_STATES, type Alert, type AlertTransition } from '../../core/alerts.js'
import { SEVERITIES } from '../../core/sites.js'
import { MinewatchError } from '../../core/errors.js'
import type { NewAuditEntry } from '../../core/audit.js'
import type { AlertQuery, AlertStore, NewOutboxItem } from '../state.js'
import { ALERT_COLUMNS, TRANSITION_COLUMNS } from '../duckdb/state-schema.js'
import { checkAlert, checkLimit, decodeCursor, encodeCursor, evidenceJson, oneOf, rowToAlert, rowToTransition } from '../duckdb/alerts.js'
import { LOCKS, Params, checkText, lockTx, q, type PgDb } from './db.js'
import type { PgOutboxStore } from './outbox.js'
import type { PgAuditStore } from './audit.js'

const ALERT_UPSERT = `INSERT INTO alerts (${ALERT_COLUMNS.map(q).join(', ')}) VALUES (${ALERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ` +
  `ON CONFLICT (id) DO UPDATE SET ${ALERT_COLUMNS.filter((c) => c !== 'id').map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`
const NON_SEQ = TRANSITION_COLUMNS.filter((c) => c !== 'seq')
const TRANSITION_INSERT = `INSERT INTO alert_transitions (seq, ${NON_SEQ.map(q).join(', ')}) ` +
  `SELECT coalesce(max(seq), 0) + 1, ${NON_SEQ.map((_, i) => `$${i + 1}`).join(', ')} FROM alert_transitions RETURNING seq`

function checkTexts (a: Alert, t: Omit<AlertTransition, 'seq'>): void {
  for (const k of ['id', 'site', 'subject', 'device', 'ackedBy', 'ackNote', 'unit', 'standard', 'message'] as const) checkText(`alert ${k}`, a[k])
  for (const k of ['reason', 'by', 'message'] as const) checkText(`transition ${k}`, t[k])
}

export class PgAlertStore implements AlertStore {
  constructor (private readonly db: PgDb, private readonly outbox: PgOutboxStore, private readonly audit: PgAuditStore) {}

  async transition (alert: Alert, t: Omit<AlertTransition, 'seq'>, deliveries?: (stored: AlertTransition) => readonly NewOutboxItem[], audit?: NewAuditEntry): Promise<AlertTransition> {
    checkAlert(alert, t)
    checkTexts(alert, t)
    const { evidence, ...rest } = t
    const evidenceText = evidenceJson(evidence)
    let enqueued = 0
    const result = await this.db.tx(async (c) => {
      await lockTx(c, LOCKS.transitions)
      await c.query(ALERT_UPSERT, ALERT_COLUMNS.map((k) => alert[k] ?? null))
      const r = await c.query(TRANSITION_INSERT, NON_SEQ.map((k) => k === 'evidence' ? evidenceText : rest[k] ?? null))
      const stored: AlertTransition = { ...rest, ...(evidence ? { evidence } : {}), seq: (r.rows[0] as { seq: number }).seq }
      const items = deliveries?.(stored) ?? []
      if (items.length > 0) await this.outbox.insertWithin(c, items)
      if (audit !== undefined) await this.audit.appendWithin(c, [{ ...audit, detail: { ...audit.detail, transitionSeq: stored.seq } }])
      enqueued = items.length
      return stored
    }, 'alert transition not stored')
    if (enqueued > 0) await this.outbox.updateGauge()
    return result
  }

  async open (): Promise<Alert[]> {
    return (await this.db.rows(`SELECT * FROM alerts WHERE state <> 'resolved' ORDER BY "firedAt", id`)).map(rowToAlert)
  }

  async get (id: string): Promise<Alert | undefined> {
    const [row] = await this.db.rows('SELECT * FROM alerts WHERE id = $1', [id])
    return row === undefined ? undefined : rowToAlert(row)
  }

  async history (alertId: string): Promise<AlertTransition[]> {
    return (await this.db.rows('SELECT * FROM alert_transitions WHERE "alertId" = $1 ORDER BY seq', [alertId])).map(rowToTransition)
  }

  async transitionsSince (afterSeq: number, limit: number): Promise<AlertTransition[]> {
    if (!Number.isSafeInteger(afterSeq)) throw new MinewatchError('MW_BAD_REQUEST', `afterSeq must be an integer, got ${String(afterSeq)}`)
    checkLimit(limit)
    return (await this.db.rows('SELECT * FROM alert_transitions WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(rowToTransition)
  }

  async list (query: AlertQuery): Promise<{ items: Alert[], nextCursor: string | null }> {
    checkLimit(query.limit)
    const p = new Params()
    const where: string[] = []
    if (query.sites !== undefined) {
      if (query.sites.length === 0) return { items: [], nextCursor: null }
      where.push(`site = ANY(${p.add([...query.sites])}::text[])`)
    }
    if (query.site !== undefined) where.push(`site = ${p.add(query.site)}`)
    if (query.kind !== undefined) { oneOf('kind', query.kind, ALERT_KINDS); where.push(`kind = ${p.add(query.kind)}`) }
    if (query.state !== undefined) { oneOf('state', query.state, ALERT_STATES); where.push(`state = ${p.add(query.state)}`) }
    if (query.severity !== undefined) { oneOf('severity', query.severity, SEVERITIES); where.push(`severity = ${p.add(query.severity)}`) }
    for (const [name, op] of [['from', '>='], ['to', '<']] as const) {
      const v = query[name]
      if (v === undefined) continue
      if (!Number.isSafeInteger(v)) throw new MinewatchError('MW_BAD_REQUEST', `${name} must be an integer of epoch ms, got ${String(v)}`)
      where.push(`"firedAt" ${op} ${p.add(v)}`)
    }
    if (query.cursor !== undefined) {
      const [firedAt, id] = decodeCursor(query.cursor)
      const cf = p.add(firedAt)
      where.push(`("firedAt" < ${cf} OR ("firedAt" = ${cf} AND id COLLATE "C" < ${p.add(id)}))`)
    }
    // COLLATE "C": ids compare byte-wise, as DuckDB compares them (the cursor relies on one order)
    const sql = `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "firedAt" DESC, id COLLATE "C" DESC LIMIT ${p.add(query.limit + 1)}`
    const items = (await this.db.rows(sql, p.values)).map(rowToAlert)
    const more = items.length > query.limit
    if (more) items.pop()
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!) : null }
  }
}
