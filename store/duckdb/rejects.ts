/**
 * RejectStore on the state file: bounded (the oldest rows beyond rejectsMaxRows are
 * deleted in the same transaction that adds new ones), newest first, group-committed
 * so a flood of bad messages costs one commit per burst, not one per message.
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import { REJECT_REASONS, REJECT_PAYLOAD_MAX_BYTES, type Reject, type RejectReason } from '../../core/rejects.js'
import { MinewatchError } from '../../core/errors.js'
import type { Metrics } from '../../core/metrics.js'
import type { RejectQuery, RejectStore, StoredReject } from '../state.js'
import { GroupCommit } from './group-commit.js'
import { int, type Bind, type StateDb } from './state-db.js'

/** Largest page list() returns. */
export const REJECTS_MAX_PAGE = 10_000

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Cuts a payload to REJECT_PAYLOAD_MAX_BYTES of UTF-8 without splitting a character. */
export function truncatePayload (payload: string): string {
  if (payload.length * 3 <= REJECT_PAYLOAD_MAX_BYTES) return payload
  const buf = new Uint8Array(REJECT_PAYLOAD_MAX_BYTES)
  const { read, written } = encoder.encodeInto(payload, buf)
  return read === payload.length ? payload : decoder.decode(buf.subarray(0, written))
}

export function checkReject (r: Reject, i: number): void {
  const bad = (p: string): never => { throw new MinewatchError('MW_STORE_REJECTED', `reject [${i}]: ${p}`) }
  if (r === null || typeof r !== 'object') bad('not an object')
  if (!Number.isSafeInteger(r.at)) bad(`at must be an integer of epoch ms, got ${String(r.at)}`)
  if (!(REJECT_REASONS as readonly string[]).includes(r.reason)) bad(`unknown reason ${JSON.stringify(r.reason)}`)
  if (r.site !== null && typeof r.site !== 'string') bad('site must be a string or null')
  if (r.device !== null && typeof r.device !== 'string') bad('device must be a string or null')
  for (const k of ['topic', 'detail', 'payload'] as const) if (typeof r[k] !== 'string') bad(`${k} must be a string`)
  if (!Number.isSafeInteger(r.count) || r.count < 0) bad(`count must be a non-negative integer, got ${String(r.count)}`)
}

export class DuckDBRejectStore implements RejectStore {
  private readonly group: GroupCommit<readonly Reject[]>

  private constructor (private readonly db: StateDb, private readonly maxRows: number, private nextId: number, private rowCount: number, private readonly metrics?: Metrics) {
    this.group = new GroupCommit({ commit: (items) => this.commit(items), sizeOf: (b) => b.length, maxSize: 10_000 })
  }

  static async open (db: StateDb, maxRows: number, metrics?: Metrics): Promise<DuckDBRejectStore> {
    if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new MinewatchError('MW_CONFIG_INVALID', `rejectsMaxRows must be a positive integer, got ${String(maxRows)}`)
    const [row] = await db.rows('SELECT coalesce(max(id), 0) AS last, count(*) AS n FROM rejects')
    return new DuckDBRejectStore(db, maxRows, int(row!.last) + 1, int(row!.n), metrics)
  }

  async add (rejects: readonly Reject[]): Promise<void> {
    this.db.check()
    rejects.forEach(checkReject)
    if (rejects.length > 0) await this.group.submit(rejects)
  }

  private async commit (batches: readonly (readonly Reject[])[]): Promise<void> {
    const firstId = this.nextId
    let dropped = 0
    await this.db.tx(async (conn) => {
      const appender = await conn.createAppender('rejects')
      try {
        let id = firstId
        for (const batch of batches) {
          for (const r of batch) {
            appender.appendBigInt(BigInt(id++))
            appender.appendBigInt(BigInt(r.at))
            nullable(appender, r.site)
            nullable(appender, r.device)
            appender.appendVarchar(r.topic)
            appender.appendVarchar(r.reason)
            appender.appendVarchar(r.detail)
            appender.appendBigInt(BigInt(r.count))
            appender.appendVarchar(truncatePayload(r.payload))
            appender.endRow()
          }
        }
        appender.flushSync()
        const rows = this.rowCount + (id - firstId)
        if (rows > this.maxRows) {
          dropped = await dropOldest(conn, id - this.maxRows)
        }
        this.nextId = id
      } finally {
        appender.closeSync()
      }
    }).catch((err: unknown) => {
      this.nextId = firstId
      throw err
    })
    let added = 0
    for (const b of batches) added += b.length
    this.rowCount += added - dropped
    if (dropped > 0) this.metrics?.rejectsDropped.inc(dropped)
  }

  async list (q: RejectQuery): Promise<StoredReject[]> {
    if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > REJECTS_MAX_PAGE) {
      throw new MinewatchError('MW_BAD_REQUEST', `limit must be an integer from 1 to ${REJECTS_MAX_PAGE}, got ${String(q.limit)}`)
    }
    const { where, params } = filters(q)
    if (q.before !== undefined) {
      if (!Number.isSafeInteger(q.before)) throw new MinewatchError('MW_BAD_REQUEST', `before must be an integer reject id, got ${String(q.before)}`)
      where.push('id < $before')
      params.before = q.before
    }
    params.limit = q.limit
    const rows = await this.db.rows(`SELECT * FROM rejects${clause(where)} ORDER BY id DESC LIMIT $limit`, params)
    return rows.map((r) => ({
      id: int(r.id),
      at: int(r.at),
      site: r.site as string | null,
      device: r.device as string | null,
      topic: r.topic as string,
      reason: r.reason as RejectReason,
      detail: r.detail as string,
      count: int(r.count),
      payload: r.payload as string
    }))
  }

  async count (q: { site?: string, reason?: RejectReason } = {}): Promise<number> {
    const { where, params } = filters(q)
    const [row] = await this.db.rows(`SELECT count(*) AS n FROM rejects${clause(where)}`, params)
    return int(row!.n)
  }

  /** Waits for queued adds to commit. */
  drain (): Promise<void> {
    return this.group.drain()
  }
}

function nullable (a: { appendNull(): void, appendVarchar(v: string): void }, v: string | null): void {
  if (v === null) a.appendNull()
  else a.appendVarchar(v)
}

/** Deletes rows with id < keepFrom; returns how many. */
async function dropOldest (conn: DuckDBConnection, keepFrom: number): Promise<number> {
  const res = await conn.run('DELETE FROM rejects WHERE id < $keep::BIGINT', { keep: keepFrom })
  return res.rowsChanged
}

function filters (q: { site?: string, sites?: readonly string[], device?: string, reason?: RejectReason }): { where: string[], params: Bind } {
  const where: string[] = []
  const params: Bind = {}
  if (q.site !== undefined) { where.push('site = $site'); params.site = q.site }
  if (q.sites !== undefined) {
    // one parameter per site: the list is the caller's sites (bounded by the registry)
    where.push(q.sites.length === 0 ? 'false' : `site IN (${q.sites.map((_, i) => `$s${i}`).join(', ')})`)
    q.sites.forEach((site, i) => { params[`s${i}`] = site })
  }
  if (q.device !== undefined) { where.push('device = $device'); params.device = q.device }
  if (q.reason !== undefined) { where.push('reason = $reason'); params.reason = q.reason }
  return { where, params }
}

function clause (where: string[]): string {
  return where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
}
