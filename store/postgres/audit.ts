/**
 * AuditStore on PostgreSQL (table audit_log), chained exactly as the DuckDB store chains it
 * (core/audit.ts chainRecord, canonical JSON detail, a digest closing each Beijing day). Every
 * append takes the audit advisory lock for its transaction and reads the chain head under it, so
 * appends of several processes sharing the database never fork the chain.
 */
import type pg from 'pg'
import { canonicalJson, chainRecord, DIGEST_ACTION, SYSTEM_ACTOR, type AuditRecord, type DigestDetail, type NewAuditEntry } from '../../core/audit.js'
import { beijingDate, beijingDayStart } from '../../core/time.js'
import { MinewatchError } from '../../core/errors.js'
import type { AuditQuery, AuditStore, NewOutboxItem } from '../state.js'
import { checkItem } from '../duckdb/outbox.js'
import type { PgOutboxStore } from './outbox.js'
import { checkAuditLimit, checkEntry, rowToRecord } from '../duckdb/audit.js'
import { LOCKS, Params, checkText, lockTx, type PgDb } from './db.js'

const INSERT = 'INSERT INTO audit_log (seq, "at", site, actor, action, target, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)'

function checkPgEntry (e: NewAuditEntry, i: number): void {
  checkEntry(e, i)
  for (const k of ['site', 'actor', 'target'] as const) checkText(`audit entry [${i}] ${k}`, e[k])
}

export class PgAuditStore implements AuditStore {
  constructor (private readonly db: PgDb, private readonly outbox?: PgOutboxStore) {}

  async append (entries: readonly NewAuditEntry[], deliveries: readonly NewOutboxItem[] = []): Promise<AuditRecord[]> {
    entries.forEach(checkPgEntry)
    deliveries.forEach(checkItem)
    if (deliveries.length > 0 && this.outbox === undefined) throw new MinewatchError('MW_BAD_REQUEST', 'this audit store has no outbox for deliveries')
    if (entries.length === 0 && deliveries.length === 0) { this.db.check(); return [] }
    const out = await this.db.tx(async (c) => {
      const records = await this.appendWithin(c, entries)
      if (deliveries.length > 0) await this.outbox!.insertWithin(c, deliveries)
      return records
    }, 'audit records not stored')
    if (deliveries.length > 0) await this.outbox!.updateGauge()
    return out
  }

  /** Appends inside a transaction the caller runs (the alert store's transition). */
  async appendWithin (c: pg.ClientBase, entries: readonly NewAuditEntry[]): Promise<AuditRecord[]> {
    entries.forEach(checkPgEntry)
    await lockTx(c, LOCKS.audit)
    const head = (await c.query('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0] as Record<string, unknown> | undefined
    let last: AuditRecord | undefined = head === undefined ? undefined : rowToRecord(head)
    const out: AuditRecord[] = []
    const write = async (e: NewAuditEntry): Promise<void> => {
      const r = chainRecord(last, e)
      await c.query(INSERT, [r.seq, r.at, r.site, r.actor, r.action, r.target, canonicalJson(r.detail), r.prev, r.hash])
      out.push(r)
      last = r
    }
    for (const e of entries) {
      // a record of a later Beijing day than the head's: first a digest closes the head's day
      if (last !== undefined && last.action !== DIGEST_ACTION && beijingDayStart(e.at) > beijingDayStart(last.at)) {
        const since = (await c.query(`SELECT count(*) AS n FROM audit_log WHERE seq > (SELECT coalesce(max(seq), 0) FROM audit_log WHERE action = '${DIGEST_ACTION}')`)).rows[0] as { n: number }
        const detail: DigestDetail = { day: beijingDate(last.at), head: last.hash, records: since.n }
        await write({ at: e.at, site: null, actor: SYSTEM_ACTOR, action: DIGEST_ACTION, target: detail.day, detail: { ...detail } })
      }
      await write(e)
    }
    return out
  }

  async list (q: AuditQuery): Promise<AuditRecord[]> {
    checkAuditLimit(q.limit)
    const p = new Params()
    const where: string[] = []
    if (q.sites !== undefined) where.push(`(site IS NULL OR site = ANY(${p.add([...q.sites])}::text[]))`)
    if (q.site !== undefined) where.push(`(site = ${p.add(q.site)} OR site IS NULL)`)
    if (q.target !== undefined) where.push(`target = ${p.add(q.target)}`)
    if (q.action !== undefined) where.push(`action = ${p.add(q.action)}`)
    for (const [name, op] of [['from', '>='], ['to', '<'], ['afterSeq', '>']] as const) {
      const v = q[name]
      if (v === undefined) continue
      if (!Number.isSafeInteger(v)) throw new MinewatchError('MW_BAD_REQUEST', `${name} must be an integer, got ${String(v)}`)
      where.push(`${name === 'afterSeq' ? 'seq' : '"at"'} ${op} ${p.add(v)}`)
    }
    const rows = await this.db.rows(`SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ${p.add(q.limit)}`, p.values)
    return rows.map(rowToRecord)
  }

  async page (afterSeq: number, limit: number): Promise<AuditRecord[]> {
    if (!Number.isSafeInteger(afterSeq)) throw new MinewatchError('MW_BAD_REQUEST', `afterSeq must be an integer, got ${String(afterSeq)}`)
    checkAuditLimit(limit)
    return (await this.db.rows('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(rowToRecord)
  }
}
