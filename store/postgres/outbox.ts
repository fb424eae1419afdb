/**
 * OutboxStore on PostgreSQL, safe for several minewatch processes sharing the database.
 * due() claims what it returns: in one statement it picks due rows that nobody else holds
 * (`FOR UPDATE SKIP LOCKED`, so two processes asking at once never get the same row) and marks
 * them claimed by this store instance until now + leaseMs. Another instance does not see a row
 * while its claim runs; the claiming instance does (its delivery engine already keeps one worker
 * per subscription, and asks again for what it has not finished). delivered() deletes the row,
 * failed() and deadLetter() end the claim with the row; a claim never completed (the process
 * died) lapses at claimedUntil and the row is due again for anyone.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { MinewatchError } from '../../core/errors.js'
import type { Metrics } from '../../core/metrics.js'
import type { DeadLetter, DeadLetterQuery, NewOutboxItem, OutboxItem, OutboxStore } from '../state.js'
import { checkItem, rowToDeadLetter, rowToItem } from '../duckdb/outbox.js'
import { checkText, type PgDb, type Row } from './db.js'

const INSERT = 'INSERT INTO outbox (id, subscription, "transitionSeq", attempts, "dueAt", "lastError", payload) ' +
  'SELECT id, sub, seq, 0, due, NULL, body FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS t(id, sub, seq, due, body) ' +
  'ON CONFLICT (id) DO NOTHING'

// one statement: the rows are locked (others skip them) from the SELECT until this statement's transaction ends
const CLAIM = `WITH picked AS (
    SELECT id FROM outbox
    WHERE "dueAt" <= $1 AND ("claimedUntil" IS NULL OR "claimedUntil" <= $1 OR "claimedBy" = $3)
    ORDER BY "dueAt", ord LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE outbox o SET "claimedBy" = $3, "claimedUntil" = $1 + $4::bigint FROM picked WHERE o.id = picked.id
  RETURNING o.*`

function checkPgItem (it: NewOutboxItem, i: number): void {
  checkItem(it, i)
  for (const k of ['id', 'subscription', 'payload'] as const) checkText(`outbox item [${i}] ${k}`, it[k])
}

function checkMs (name: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new MinewatchError('MW_BAD_REQUEST', `${name} must be an integer of epoch ms, got ${String(v)}`)
}

export class PgOutboxStore implements OutboxStore {
  /** This instance's name on its claims. */
  readonly claimer = randomUUID()

  /** `leaseMs`: how long a claim holds a row for this instance (longer than a batch of deliveries takes). */
  constructor (private readonly db: PgDb, private readonly leaseMs: number, private readonly metrics?: Metrics) {
    if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) throw new MinewatchError('MW_CONFIG_INVALID', `outbox claim lease must be a positive integer of ms, got ${String(leaseMs)}`)
  }

  async enqueue (items: readonly NewOutboxItem[]): Promise<void> {
    items.forEach(checkPgItem)
    if (items.length === 0) { this.db.check(); return }
    await this.db.tx((c) => this.insertWithin(c, items), 'outbox items not stored')
    await this.updateGauge()
  }

  /** Inserts items inside a transaction the caller runs (the alert store's transition); call updateGauge() after it commits. */
  async insertWithin (c: pg.ClientBase, items: readonly NewOutboxItem[]): Promise<void> {
    items.forEach(checkPgItem)
    if (items.length === 0) return
    await c.query(INSERT, [items.map((i) => i.id), items.map((i) => i.subscription), items.map((i) => i.transitionSeq), items.map((i) => i.dueAt), items.map((i) => i.payload)])
  }

  async due (now: number, limit: number): Promise<OutboxItem[]> {
    checkMs('now', now)
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MinewatchError('MW_BAD_REQUEST', `limit must be a positive integer, got ${String(limit)}`)
    const rows = await this.db.rows(CLAIM, [now, limit, this.claimer, this.leaseMs])
    // RETURNING keeps no order: oldest first as the contract says
    return rows.sort((a, b) => (a.dueAt as number) - (b.dueAt as number) || (a.ord as number) - (b.ord as number)).map(rowToItem)
  }

  /** Removes the item; an unknown id (already delivered) is not an error. */
  async delivered (id: string): Promise<void> {
    await this.db.rows('DELETE FROM outbox WHERE id = $1', [id])
    await this.updateGauge()
  }

  /** Counts a failed attempt, reschedules and ends the claim; MW_NOT_FOUND for an unknown id. */
  async failed (id: string, error: string, nextDueAt: number): Promise<void> {
    checkMs('nextDueAt', nextDueAt)
    const r = await this.db.tx((c) => c.query(
      'UPDATE outbox SET attempts = attempts + 1, "lastError" = $2, "dueAt" = $3, "claimedBy" = NULL, "claimedUntil" = NULL WHERE id = $1',
      [id, String(error).replaceAll('\u0000', '\uFFFD'), nextDueAt]
    ), 'outbox attempt not recorded')
    if (r.rowCount === 0) throw new MinewatchError('MW_NOT_FOUND', `outbox item ${JSON.stringify(id)}`)
  }

  async deadLetter (id: string, error: string, answer: string | null, at: number): Promise<void> {
    checkMs('at', at)
    const clean = (s: string): string => s.replaceAll('\u0000', '\uFFFD') // a receiver's answer is foreign text
    const moved = await this.db.tx(async (c) => {
      const del = await c.query('DELETE FROM outbox WHERE id = $1 RETURNING *', [id])
      const row = del.rows[0] as Row | undefined
      if (row === undefined) return 0
      await c.query(
        'INSERT INTO dead_letters (id, subscription, "transitionSeq", attempts, "deadAt", error, answer, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ' +
        'ON CONFLICT (id) DO UPDATE SET subscription = excluded.subscription, "transitionSeq" = excluded."transitionSeq", attempts = excluded.attempts, ' +
        '"deadAt" = excluded."deadAt", error = excluded.error, answer = excluded.answer, payload = excluded.payload',
        [id, row.subscription, row.transitionSeq, (row.attempts as number) + 1, at, clean(String(error)), answer === null ? null : clean(String(answer)), row.payload]
      )
      return 1
    }, 'dead letter not stored')
    if (moved === 0) throw new MinewatchError('MW_NOT_FOUND', `outbox item ${JSON.stringify(id)}`)
    await this.updateGauge()
  }

  async deadLetters (q: DeadLetterQuery): Promise<DeadLetter[]> {
    if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new MinewatchError('MW_BAD_REQUEST', `limit must be a positive integer, got ${String(q.limit)}`)
    const rows = q.subscription === undefined
      ? await this.db.rows('SELECT * FROM dead_letters ORDER BY "deadAt" DESC, id LIMIT $1', [q.limit])
      : await this.db.rows('SELECT * FROM dead_letters WHERE subscription = $2 ORDER BY "deadAt" DESC, id LIMIT $1', [q.limit, q.subscription])
    return rows.map(rowToDeadLetter)
  }

  async retryDeadLetter (id: string, dueAt: number): Promise<OutboxItem | undefined> {
    checkMs('dueAt', dueAt)
    const row = await this.db.tx(async (c) => {
      const ins = await c.query(
        'INSERT INTO outbox (id, subscription, "transitionSeq", attempts, "dueAt", "lastError", payload) ' +
        'SELECT id, subscription, "transitionSeq", attempts, $2, error, payload FROM dead_letters WHERE id = $1 ON CONFLICT (id) DO NOTHING RETURNING *',
        [id, dueAt]
      )
      if (ins.rows.length > 0) await c.query('DELETE FROM dead_letters WHERE id = $1', [id])
      return ins.rows[0] as Row | undefined
    }, 'dead letter not retried')
    if (row === undefined) return undefined
    await this.updateGauge()
    return rowToItem(row)
  }

  async pending (subscription?: string): Promise<number> {
    const [row] = subscription === undefined
      ? await this.db.rows('SELECT count(*) AS n FROM outbox')
      : await this.db.rows('SELECT count(*) AS n FROM outbox WHERE subscription = $1', [subscription])
    return row!.n as number
  }

  /** Sets the outboxPending gauge from the table. */
  async updateGauge (): Promise<void> {
    if (this.metrics !== undefined) this.metrics.outboxPending.set(await this.pending())
  }
}
