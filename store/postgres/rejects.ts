/**
 * RejectStore on PostgreSQL: bounded (rows beyond rejectsMaxRows, oldest first, are deleted in the
 * transaction that adds new ones), newest first, group-committed so a flood of bad messages costs
 * one transaction per burst. A NUL character (which PostgreSQL text cannot hold) in a reject's
 * text is kept as U+FFFD: a reject records garbage, and must never be lost because of it.
 */
import type { Reject, RejectReason } from '../../core/rejects.js'
import { MinewatchError } from '../../core/errors.js'
import type { Metrics } from '../../core/metrics.js'
import type { RejectQuery, RejectStore, StoredReject } from '../state.js'
import { GroupCommit } from '../duckdb/group-commit.js'
import { checkReject, truncatePayload, REJECTS_MAX_PAGE } from '../duckdb/rejects.js'
import { Params, type PgDb } from './db.js'

const INSERT = 'INSERT INTO rejects ("at", site, device, topic, reason, detail, count, payload) ' +
  'SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])'

function noNul (s: string): string
function noNul (s: string | null): string | null
function noNul (s: string | null): string | null {
  return s === null ? null : s.replaceAll('\u0000', '\uFFFD')
}

function filters (q: { site?: string, sites?: readonly string[], device?: string, reason?: RejectReason }, p: Params): string[] {
  const where: string[] = []
  if (q.site !== undefined) where.push(`site = ${p.add(q.site)}`)
  if (q.sites !== undefined) where.push(`site = ANY(${p.add([...q.sites])}::text[])`)
  if (q.device !== undefined) where.push(`device = ${p.add(q.device)}`)
  if (q.reason !== undefined) where.push(`reason = ${p.add(q.reason)}`)
  return where
}

function clause (where: string[]): string {
  return where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
}

export class PgRejectStore implements RejectStore {
  private readonly group: GroupCommit<readonly Reject[]>

  constructor (private readonly db: PgDb, private readonly maxRows: number, private readonly metrics?: Metrics) {
    if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new MinewatchError('MW_CONFIG_INVALID', `rejectsMaxRows must be a positive integer, got ${String(maxRows)}`)
    this.group = new GroupCommit({ commit: (items) => this.commit(items), sizeOf: (b) => b.length, maxSize: 10_000 })
  }

  async add (rejects: readonly Reject[]): Promise<void> {
    this.db.check()
    rejects.forEach(checkReject)
    if (rejects.length > 0) await this.group.submit(rejects)
  }

  private async commit (batches: readonly (readonly Reject[])[]): Promise<void> {
    const all = batches.flat()
    const dropped = await this.db.tx(async (c) => {
      await c.query(INSERT, [
        all.map((r) => r.at), all.map((r) => noNul(r.site)), all.map((r) => noNul(r.device)), all.map((r) => noNul(r.topic)),
        all.map((r) => r.reason), all.map((r) => noNul(r.detail)), all.map((r) => r.count), all.map((r) => noNul(truncatePayload(r.payload)))
      ])
      // the newest maxRows rows stay (by id: the order they were added in)
      const del = await c.query('DELETE FROM rejects WHERE id <= (SELECT id FROM rejects ORDER BY id DESC OFFSET $1 LIMIT 1)', [this.maxRows])
      return del.rowCount ?? 0
    }, 'rejects not stored')
    if (dropped > 0) this.metrics?.rejectsDropped.inc(dropped)
  }

  async list (q: RejectQuery): Promise<StoredReject[]> {
    if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > REJECTS_MAX_PAGE) {
      throw new MinewatchError('MW_BAD_REQUEST', `limit must be an integer from 1 to ${REJECTS_MAX_PAGE}, got ${String(q.limit)}`)
    }
    const p = new Params()
    const where = filters(q, p)
    if (q.before !== undefined) {
      if (!Number.isSafeInteger(q.before)) throw new MinewatchError('MW_BAD_REQUEST', `before must be an integer reject id, got ${String(q.before)}`)
      where.push(`id < ${p.add(q.before)}`)
    }
    const rows = await this.db.rows(`SELECT * FROM rejects${clause(where)} ORDER BY id DESC LIMIT ${p.add(q.limit)}`, p.values)
    return rows.map((r) => ({
      id: r.id as number,
      at: r.at as number,
      site: r.site as string | null,
      device: r.device as string | null,
      topic: r.topic as string,
      reason: r.reason as RejectReason,
      detail: r.detail as string,
      count: r.count as number,
      payload: r.payload as string
    }))
  }

  async count (q: { site?: string, reason?: RejectReason } = {}): Promise<number> {
    const p = new Params()
    const [row] = await this.db.rows(`SELECT count(*) AS n FROM rejects${clause(filters(q, p))}`, p.values)
    return row!.n as number
  }

  /** Waits for queued adds to commit. */
  drain (): Promise<void> {
    return this.group.drain()
  }
}
