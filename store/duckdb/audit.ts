/**
 * AuditStore on the state file (table audit_log). The chain head is read inside each writing
 * transaction (one writer lane: appends never interleave), so a failed commit can never leave a
 * stale head in memory; a record is written once and never updated.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { canonicalJson, chainRecord, DIGEST_ACTION, SYSTEM_ACTOR, type AuditRecord, type DigestDetail, type NewAuditEntry } from '../../core/audit.js'
import { beijingDate, beijingDayStart } from '../../core/time.js'
import { MinewatchError } from '../../core/errors.js'
import type { AuditQuery, AuditStore, NewOutboxItem } from '../state.js'
import { checkItem, type DuckDBOutboxStore } from './outbox.js'
import { int, runPrepared, type Bind, type Row, type StateDb } from './state-db.js'

/** Largest page list() and page() return. */
export const AUDIT_MAX_PAGE = 10_000

const INSERT = 'INSERT INTO audit_log (seq, "at", site, actor, action, target, detail, prev, hash) VALUES ($seq, $at, $site, $actor, $action, $target, $detail, $prev, $hash)'

function badRequest (detail: string): MinewatchError {
  return new MinewatchError('MW_BAD_REQUEST', detail)
}

export function checkEntry (e: NewAuditEntry, i: number): void {
  if (!Number.isSafeInteger(e.at)) throw badRequest(`audit entry [${i}]: at must be an integer of epoch ms, got ${String(e.at)}`)
  if (typeof e.actor !== 'string' || e.actor === '') throw badRequest(`audit entry [${i}]: actor must be a non-empty string`)
  if (typeof e.action !== 'string' || !/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(e.action)) throw badRequest(`audit entry [${i}]: action must be namespaced like alert.comment, got ${JSON.stringify(e.action)}`)
  if (e.action === DIGEST_ACTION) throw badRequest(`audit entry [${i}]: ${DIGEST_ACTION} records are written by the store only`)
  if (e.detail === null || typeof e.detail !== 'object' || Array.isArray(e.detail)) throw badRequest(`audit entry [${i}]: detail must be a JSON object`)
  try { canonicalJson(e.detail) } catch (err) { throw badRequest(`audit entry [${i}]: ${(err as Error).message}`) }
}

export function rowToRecord (r: Row): AuditRecord {
  return {
    seq: int(r.seq),
    at: int(r.at),
    site: r.site as string | null,
    actor: r.actor as string,
    action: r.action as string,
    target: r.target as string | null,
    detail: JSON.parse(r.detail as string) as Record<string, unknown>,
    prev: r.prev as string,
    hash: r.hash as string
  }
}

async function rowsOn (conn: DuckDBConnection, sql: string, params: Bind = {}): Promise<Row[]> {
  return (await conn.runAndReadAll(sql, params as Record<string, DuckDBValue>)).getRowObjectsJS()
}

export function checkAuditLimit (limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > AUDIT_MAX_PAGE) throw badRequest(`limit must be an integer from 1 to ${AUDIT_MAX_PAGE}, got ${String(limit)}`)
}

export class DuckDBAuditStore implements AuditStore {
  constructor (private readonly db: StateDb, private readonly outbox?: DuckDBOutboxStore) {}

  async append (entries: readonly NewAuditEntry[], deliveries: readonly NewOutboxItem[] = []): Promise<AuditRecord[]> {
    entries.forEach(checkEntry)
    deliveries.forEach(checkItem)
    if (deliveries.length > 0 && this.outbox === undefined) throw new MinewatchError('MW_BAD_REQUEST', 'this audit store has no outbox for deliveries')
    if (entries.length === 0 && deliveries.length === 0) return []
    const out = await this.db.tx(async (conn) => {
      const records = await this.appendWithin(conn, entries)
      if (deliveries.length > 0) await this.outbox!.insertWithin(conn, deliveries)
      return records
    }).catch((err: unknown) => {
      throw err instanceof MinewatchError ? err : new MinewatchError('MW_STORE_UNAVAILABLE', `audit records not stored: ${(err as Error).message}`, { cause: err })
    })
    if (deliveries.length > 0) await this.outbox!.updateGauge()
    return out
  }

  /** Appends inside a transaction the caller runs (the alert store's transition). */
  async appendWithin (conn: DuckDBConnection, entries: readonly NewAuditEntry[]): Promise<AuditRecord[]> {
    entries.forEach(checkEntry)
    const [head] = await rowsOn(conn, 'SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1')
    let last: AuditRecord | undefined = head === undefined ? undefined : rowToRecord(head)
    const out: AuditRecord[] = []
    const write = async (e: NewAuditEntry): Promise<void> => {
      const r = chainRecord(last, e)
      await runPrepared(conn, INSERT, { seq: r.seq, at: r.at, site: r.site, actor: r.actor, action: r.action, target: r.target, detail: canonicalJson(r.detail), prev: r.prev, hash: r.hash })
      out.push(r)
      last = r
    }
    for (const e of entries) {
      // a record of a later Beijing day than the head's: first a digest closes the head's day
      if (last !== undefined && last.action !== DIGEST_ACTION && beijingDayStart(e.at) > beijingDayStart(last.at)) {
        const [since] = await rowsOn(conn, `SELECT count(*) AS n FROM audit_log WHERE seq > (SELECT coalesce(max(seq), 0) FROM audit_log WHERE action = '${DIGEST_ACTION}')`)
        const detail: DigestDetail = { day: beijingDate(last.at), head: last.hash, records: int(since!.n) } // this transaction's own records are visible to it
        await write({ at: e.at, site: null, actor: SYSTEM_ACTOR, action: DIGEST_ACTION, target: detail.day, detail: { ...detail } })
      }
      await write(e)
    }
    return out
  }

  async list (q: AuditQuery): Promise<AuditRecord[]> {
    checkAuditLimit(q.limit)
    const where: string[] = []
    const params: Bind = {}
    if (q.sites !== undefined) {
      where.push(q.sites.length === 0 ? 'site IS NULL' : `(site IS NULL OR site IN (${q.sites.map((_, i) => `$s${i}`).join(', ')}))`)
      q.sites.forEach((s, i) => { params[`s${i}`] = s })
    }
    if (q.site !== undefined) { where.push('(site = $site OR site IS NULL)'); params.site = q.site }
    if (q.target !== undefined) { where.push('target = $target'); params.target = q.target }
    if (q.action !== undefined) { where.push('action = $action'); params.action = q.action }
    for (const [name, op] of [['from', '>='], ['to', '<'], ['afterSeq', '>']] as const) {
      const v = q[name]
      if (v === undefined) continue
      if (!Number.isSafeInteger(v)) throw badRequest(`${name} must be an integer, got ${String(v)}`)
      where.push(`${name === 'afterSeq' ? 'seq' : '"at"'} ${op} $${name}::BIGINT`)
      params[name] = v
    }
    params.limit = q.limit
    const rows = await this.db.rows(`SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $limit`, params)
    return rows.map(rowToRecord)
  }

  async page (afterSeq: number, limit: number): Promise<AuditRecord[]> {
    if (!Number.isSafeInteger(afterSeq)) throw badRequest(`afterSeq must be an integer, got ${String(afterSeq)}`)
    checkAuditLimit(limit)
    return (await this.db.rows('SELECT * FROM audit_log WHERE seq > $after::BIGINT ORDER BY seq LIMIT $limit', { after: afterSeq, limit })).map(rowToRecord)
  }
}
