/**
 * The state file's connections: one writer lane (every change, one transaction at a
 * time) and one reader lane. The state stores share it; close() closes it once.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api'
import { MinewatchError } from '../../core/errors.js'
import { Lane } from './lanes.js'
import { STATE_DDL, STATE_SCHEMA } from './state-schema.js'
import { upgradeSchema } from './schema-meta.js'
import { snapshotDatabase, type DatabaseSnapshot } from './backup.js'
import type { Logger } from '../../core/log.js'

export type Row = Record<string, unknown>
export type Bind = Record<string, string | number | null>

export class StateDb {
  private closed = false

  private constructor (readonly path: string, private readonly instance: DuckDBInstance, private readonly writer: Lane, private readonly reader: Lane) {}

  static async open (path: string, logger?: Logger): Promise<StateDb> {
    let instance: DuckDBInstance
    try {
      instance = await DuckDBInstance.create(path, { memory_limit: '64MB', threads: '1' }) // state is small: keep its cache small
    } catch (err) {
      throw new MinewatchError('MW_STORE_UNAVAILABLE', `cannot open duckdb state file ${path}: ${(err as Error).message}`, { cause: err })
    }
    const w = await instance.connect()
    try {
      await upgradeSchema(w, STATE_SCHEMA, { path, baseDdl: STATE_DDL, logger })
    } catch (err) {
      w.closeSync()
      instance.closeSync()
      throw err
    }
    return new StateDb(path, instance, new Lane(w), new Lane(await instance.connect()))
  }

  /** Throws MW_STORE_CLOSED once close() was called. */
  check (): void {
    if (this.closed) throw new MinewatchError('MW_STORE_CLOSED', `duckdb state store ${this.path}`)
  }

  /** Runs `fn` in one transaction on the writer lane: committed when it resolves, rolled back when it throws. */
  tx<R> (fn: (conn: DuckDBConnection) => Promise<R>): Promise<R> {
    this.check()
    return this.writer.run(async (conn) => {
      await conn.run('BEGIN TRANSACTION')
      try {
        const r = await fn(conn)
        await conn.run('COMMIT')
        return r
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined)
        throw err
      }
    })
  }

  /** Rows of a query on the reader lane, as JS values (BIGINT as bigint: see int()). */
  async rows (sql: string, params: Bind = {}): Promise<Row[]> {
    this.check()
    return await this.reader.run(async (conn) => (await conn.runAndReadAll(sql, params as Record<string, DuckDBValue>)).getRowObjectsJS())
  }

  /** A consistent copy of the whole state file as of one instant into the new file `target` (backup.ts), on the reader lane: writes go on. */
  async snapshot (target: string): Promise<DatabaseSnapshot> {
    this.check()
    return await this.reader.run((conn) => snapshotDatabase(conn, target))
  }

  /** Closes both connections after the operations already queued. Idempotent. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.writer.idle(), this.reader.idle()])
    this.writer.conn.closeSync()
    this.reader.conn.closeSync()
    this.instance.closeSync()
  }
}

/** A BIGINT column value as a number (epoch ms and counters stay below 2^53). */
export function int (v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number)
}

/** Like int(), keeping NULL. */
export function intOrNull (v: unknown): number | null {
  return v === null || v === undefined ? null : int(v)
}

/**
 * Runs a parameterised statement through a prepared statement kept per connection and SQL
 * text. `conn.run(sql, params)` prepares (parses and plans) on every call, which costs a few
 * ms under load: the alert path runs the same three inserts per transition.
 */
const preparedByConn = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>()

export async function runPrepared (conn: DuckDBConnection, sql: string, params: Record<string, DuckDBValue>): Promise<void> {
  let cache = preparedByConn.get(conn)
  if (!cache) preparedByConn.set(conn, cache = new Map())
  let stmt = cache.get(sql)
  if (!stmt) {
    stmt = await conn.prepare(sql)
    cache.set(sql, stmt)
  }
  stmt.clearBindings()
  stmt.bind(params)
  await stmt.run()
}
