/**
 * The PostgreSQL state database: one connection pool of a configured size shared by the state
 * stores. Several minewatch processes may share the database: every write that hands out a
 * sequence number (alert transitions, audit records, device changes) takes a transaction-scoped
 * advisory lock, so numbers follow commit order across processes.
 */
import pg from 'pg'
import { MinewatchError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'

export type Row = Record<string, unknown>

/** Advisory lock keys (per database): one per numbered sequence, one for migrations. */
export const LOCKS = { migrate: 7_212_001, transitions: 7_212_002, audit: 7_212_003, deviceChanges: 7_212_004 } as const

// BIGINT (int8, oid 20) as a JS number: epoch ms and counters stay below 2^53
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser
}

export interface PgDbOptions {
  /** postgres://user@host:port/db (no password in it: see password). */
  url: string
  password?: string
  /** Connections in the pool. */
  poolSize: number
  logger?: Logger
}

/** Where the database is, for messages: the URL without any password. */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    u.password = ''
    return u.toString()
  } catch {
    return '(unparseable url)'
  }
}

export class PgDb {
  private closed = false

  private constructor (readonly where: string, private readonly pool: pg.Pool) {}

  static open (opts: PgDbOptions): PgDb {
    if (!Number.isSafeInteger(opts.poolSize) || opts.poolSize < 1) throw new MinewatchError('MW_CONFIG_INVALID', `postgres pool size must be a positive integer, got ${String(opts.poolSize)}`)
    const where = redactUrl(opts.url)
    let url: URL
    try {
      url = new URL(opts.url)
    } catch {
      throw new MinewatchError('MW_CONFIG_INVALID', `postgres url is not a URL: ${where}`)
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new MinewatchError('MW_CONFIG_INVALID', `postgres url must start with postgres://, got ${where}`)
    if (url.password !== '') throw new MinewatchError('MW_CONFIG_INVALID', `postgres url ${where} holds a password: give it in an environment variable instead`)
    // pg lets the connection string's fields win over separate options: the password goes into the URL here, in memory only
    if (opts.password !== undefined) url.password = encodeURIComponent(opts.password)
    const pool = new pg.Pool({ connectionString: url.toString(), max: opts.poolSize, types, connectionTimeoutMillis: 10_000 })
    // an idle connection that breaks (server restart) must not crash the process: the next query reconnects
    pool.on('error', (err) => opts.logger?.warn({ err, where }, 'postgres state connection lost; the pool reconnects'))
    return new PgDb(where, pool)
  }

  /** Throws MW_STORE_CLOSED once close() was called. */
  check (): void {
    if (this.closed) throw new MinewatchError('MW_STORE_CLOSED', `postgres state store ${this.where}`)
  }

  /** A driver or server error as MW_STORE_UNAVAILABLE (MinewatchErrors pass through). */
  wrap (what: string): (err: unknown) => never {
    return (err: unknown) => {
      if (err instanceof MinewatchError) throw err
      throw new MinewatchError('MW_STORE_UNAVAILABLE', `${what} (postgres ${this.where}): ${(err as Error).message}`, { cause: err })
    }
  }

  /** Runs `fn` in one transaction on a pooled connection: committed when it resolves, rolled back when it throws. */
  async tx<R> (fn: (c: pg.PoolClient) => Promise<R>, what = 'state not stored'): Promise<R> {
    this.check()
    const c = await this.pool.connect().catch(this.wrap(what))
    try {
      await c.query('BEGIN')
      try {
        const r = await fn(c)
        await c.query('COMMIT')
        return r
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    } catch (err) {
      return this.wrap(what)(err)
    } finally {
      c.release()
    }
  }

  /** Rows of one statement outside any transaction. */
  async rows (sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    this.check()
    const r = await this.pool.query(sql, params as unknown[]).catch(this.wrap('state not read'))
    return r.rows as Row[]
  }

  /** A pooled connection for the caller to release (migrations). */
  async client (): Promise<pg.PoolClient> {
    this.check()
    return await this.pool.connect().catch(this.wrap('cannot connect'))
  }

  /** Closes the pool after the queries under way. Idempotent. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}

/** Takes a transaction-scoped advisory lock (released at COMMIT or ROLLBACK). */
export async function lockTx (c: pg.ClientBase, key: number): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [key])
}

/** Text PostgreSQL can store: it refuses NUL in text. Caller-given text with one is a bad request. */
export function checkText (name: string, v: string | null | undefined): void {
  if (typeof v === 'string' && v.includes('\u0000')) throw new MinewatchError('MW_BAD_REQUEST', `${name} holds a NUL character, which the state store cannot keep`)
}

/** Builds positional parameters: p.add(v) returns "$n". */
export class Params {
  readonly values: unknown[] = []
  add (v: unknown): string {
    this.values.push(v)
    return `$${this.values.length}`
  }
}

/** Quotes a column name (the tables use the TypeScript field names, camelCase). */
export function q (c: string): string {
  return `"${c}"`
}
