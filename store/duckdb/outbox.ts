/**
 * OutboxStore on the state file: alert deliveries waiting to be (re)tried. enqueue is
 * idempotent per delivery id (a replayed enqueue after a crash is ignored);
 * delivered() removes the item; failed() counts the attempt and reschedules it;
 * deadLetter() moves it to dead_letters, retryDeadLetter() moves it back.
 */
import { MinewatchError } from '../../core/errors.js'
import type { Metrics } from '../../core/metrics.js'
import type { DeadLetter, DeadLetterQuery, NewOutboxItem, OutboxItem, OutboxStore } from '../state.js'
import { OUTBOX_COLUMNS } from './state-schema.js'
import { int, runPrepared, type Row, type StateDb } from './state-db.js'
import type { DuckDBConnection } from '@duckdb/node-api'

type TxConnection = DuckDBConnection
import { ident } from './schema.js'

const INSERT = `INSERT INTO outbox (${OUTBOX_COLUMNS.map(ident).join(', ')}, ord) ` +
  `VALUES ($id, $subscription, $transitionSeq::BIGINT, 0, $dueAt::BIGINT, NULL, $payload, $ord::BIGINT) ON CONFLICT (id) DO NOTHING`

export function rowToItem (r: Row): OutboxItem {
  return {
    id: r.id as string,
    subscription: r.subscription as string,
    transitionSeq: int(r.transitionSeq),
    attempts: int(r.attempts),
    dueAt: int(r.dueAt),
    lastError: r.lastError as string | null,
    payload: r.payload as string
  }
}

export function rowToDeadLetter (r: Row): DeadLetter {
  return {
    id: r.id as string,
    subscription: r.subscription as string,
    transitionSeq: int(r.transitionSeq),
    attempts: int(r.attempts),
    deadAt: int(r.deadAt),
    error: r.error as string,
    answer: r.answer as string | null,
    payload: r.payload as string
  }
}

export function checkItem (it: NewOutboxItem, i: number): void {
  const bad = (p: string): never => { throw new MinewatchError('MW_BAD_REQUEST', `outbox item [${i}]: ${p}`) }
  if (typeof it.id !== 'string' || it.id === '') bad('id must be a non-empty string')
  if (typeof it.subscription !== 'string' || it.subscription === '') bad('subscription must be a non-empty string')
  if (!Number.isSafeInteger(it.transitionSeq)) bad(`transitionSeq must be an integer, got ${String(it.transitionSeq)}`)
  if (!Number.isSafeInteger(it.dueAt)) bad(`dueAt must be an integer of epoch ms, got ${String(it.dueAt)}`)
  if (typeof it.payload !== 'string') bad('payload must be a string')
}

export class DuckDBOutboxStore implements OutboxStore {
  private constructor (private readonly db: StateDb, private nextOrd: number, private readonly metrics?: Metrics) {}

  static async open (db: StateDb, metrics?: Metrics): Promise<DuckDBOutboxStore> {
    const [row] = await db.rows('SELECT coalesce(max(ord), 0) AS last, count(*) AS n FROM outbox')
    metrics?.outboxPending.set(int(row!.n))
    return new DuckDBOutboxStore(db, int(row!.last) + 1, metrics)
  }

  async enqueue (items: readonly NewOutboxItem[]): Promise<void> {
    items.forEach(checkItem)
    if (items.length === 0) { this.db.check(); return }
    await this.db.tx((conn) => this.insertWithin(conn, items))
    await this.updateGauge()
  }

  /** Inserts items inside a transaction the caller runs (the alert store's transition); call updateGauge() after it commits. */
  async insertWithin (conn: TxConnection, items: readonly NewOutboxItem[]): Promise<void> {
    items.forEach(checkItem)
    let ord = this.nextOrd
    for (const it of items) {
      await runPrepared(conn, INSERT, { id: it.id, subscription: it.subscription, transitionSeq: it.transitionSeq, dueAt: it.dueAt, payload: it.payload, ord: ord++ })
    }
    // Advanced before COMMIT: a failed commit leaves a gap in ord, never a reused one.
    this.nextOrd = ord
  }

  async due (now: number, limit: number): Promise<OutboxItem[]> {
    if (!Number.isSafeInteger(now)) throw new MinewatchError('MW_BAD_REQUEST', `now must be an integer of epoch ms, got ${String(now)}`)
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MinewatchError('MW_BAD_REQUEST', `limit must be a positive integer, got ${String(limit)}`)
    const rows = await this.db.rows('SELECT * FROM outbox WHERE "dueAt" <= $now::BIGINT ORDER BY "dueAt", ord LIMIT $limit', { now, limit })
    return rows.map(rowToItem)
  }

  /** Removes the item; an unknown id (already delivered) is not an error. */
  async delivered (id: string): Promise<void> {
    await this.db.tx((conn) => runPrepared(conn, 'DELETE FROM outbox WHERE id = $id', { id }))
    await this.updateGauge()
  }

  /** Counts a failed attempt and reschedules; MW_NOT_FOUND for an unknown id. */
  async failed (id: string, error: string, nextDueAt: number): Promise<void> {
    if (!Number.isSafeInteger(nextDueAt)) throw new MinewatchError('MW_BAD_REQUEST', `nextDueAt must be an integer of epoch ms, got ${String(nextDueAt)}`)
    const changed = await this.db.tx(async (conn) => (await conn.run(
      'UPDATE outbox SET attempts = attempts + 1, "lastError" = $error, "dueAt" = $due::BIGINT WHERE id = $id',
      { id, error: String(error), due: nextDueAt }
    )).rowsChanged)
    if (changed === 0) throw new MinewatchError('MW_NOT_FOUND', `outbox item ${JSON.stringify(id)}`)
  }

  async deadLetter (id: string, error: string, answer: string | null, at: number): Promise<void> {
    if (!Number.isSafeInteger(at)) throw new MinewatchError('MW_BAD_REQUEST', `at must be an integer of epoch ms, got ${String(at)}`)
    const moved = await this.db.tx(async (conn) => {
      const n = (await conn.run(
        'INSERT OR REPLACE INTO dead_letters SELECT id, subscription, "transitionSeq", attempts + 1, $at::BIGINT, $error, $answer, payload FROM outbox WHERE id = $id',
        { id, at, error: String(error), answer: answer === null ? null : String(answer) }
      )).rowsChanged
      if (n > 0) await runPrepared(conn, 'DELETE FROM outbox WHERE id = $id', { id })
      return n
    })
    if (moved === 0) throw new MinewatchError('MW_NOT_FOUND', `outbox item ${JSON.stringify(id)}`)
    await this.updateGauge()
  }

  async deadLetters (q: DeadLetterQuery): Promise<DeadLetter[]> {
    if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new MinewatchError('MW_BAD_REQUEST', `limit must be a positive integer, got ${String(q.limit)}`)
    const rows = q.subscription === undefined
      ? await this.db.rows('SELECT * FROM dead_letters ORDER BY "deadAt" DESC, id LIMIT $limit', { limit: q.limit })
      : await this.db.rows('SELECT * FROM dead_letters WHERE subscription = $s ORDER BY "deadAt" DESC, id LIMIT $limit', { s: q.subscription, limit: q.limit })
    return rows.map(rowToDeadLetter)
  }

  async retryDeadLetter (id: string, dueAt: number): Promise<OutboxItem | undefined> {
    if (!Number.isSafeInteger(dueAt)) throw new MinewatchError('MW_BAD_REQUEST', `dueAt must be an integer of epoch ms, got ${String(dueAt)}`)
    const ord = this.nextOrd++
    const moved = await this.db.tx(async (conn) => {
      const n = (await conn.run(
        'INSERT INTO outbox SELECT id, subscription, "transitionSeq", attempts, $due::BIGINT, error, payload, $ord::BIGINT FROM dead_letters WHERE id = $id ON CONFLICT (id) DO NOTHING',
        { id, due: dueAt, ord }
      )).rowsChanged
      if (n > 0) await runPrepared(conn, 'DELETE FROM dead_letters WHERE id = $id', { id })
      return n
    })
    if (moved === 0) return undefined
    await this.updateGauge()
    const [row] = await this.db.rows('SELECT * FROM outbox WHERE id = $id', { id })
    return row === undefined ? undefined : rowToItem(row)
  }

  async pending (subscription?: string): Promise<number> {
    const [row] = subscription === undefined
      ? await this.db.rows('SELECT count(*) AS n FROM outbox')
      : await this.db.rows('SELECT count(*) AS n FROM outbox WHERE subscription = $s', { s: subscription })
    return int(row!.n)
  }

  /** Sets the outboxPending gauge from the table. */
  async updateGauge (): Promise<void> {
    if (this.metrics !== undefined) this.metrics.outboxPending.set(await this.pending())
  }
}
