/**
 * DuckDBTelemetryStore: the embedded default telemetry store. One file (or memory),
 * one table per kind (store/duckdb/schema.ts). Writes go through one writer
 * connection with group commit and the Appender; reads use a small pool of
 * separate connections, so a long query never holds up ingest.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { KINDS, MEASUREMENT, FIELDS, ALERT_EVENTS_MEASUREMENT, DAY_FACTS_MEASUREMENT, type Kind } from '../../core/kinds.js'
import { MinewatchError, isMinewatchError } from '../../core/errors.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { ExportQuery } from '../telemetry.js'
import type { CountQuery, DayFacts, DayFactsQuery, KeyRange, LatestQuery, ReadingKey, SeriesPoint, SeriesQuery, StoreHealth, TelemetryStore } from '../telemetry.js'
import { telemetryDdl, ident, ALERT_EVENT_COLUMNS, DAY_FACT_COLUMNS, TELEMETRY_SCHEMA } from './schema.js'
import { upgradeSchema } from './schema-meta.js'
import { ChunkAppender, type ColumnSpec } from './chunk-appender.js'
import { GroupCommit } from './group-commit.js'
import { LanePool } from './lanes.js'
import { LatestCache } from './latest-cache.js'
import { snapshotDatabase, type DatabaseSnapshot } from './backup.js'
import { validateBatch } from '../validate.js'
import { validateAlertEvents } from '../validate-events.js'
import { validateDayFacts, validateDayFactsQuery } from '../day-facts.js'
import { validateCount, validateKeyRange, validateSeries } from '../validate-queries.js'
import { countSql, copyToSql, exportSql, keysBetweenSql, latestSql, num, recentKeysSql, rowToReading, seriesSql, type Sql } from './telemetry-sql.js'
import { ROLLUP_DIRTY_TABLE, missingRollupColumnsDdl, rollupTable, type RollupLevel } from './rollup-schema.js'
import { cleanSeriesSql, dirtyMinutesSql, rollupExportSelect, rollupSeriesSql, seriesSource, toRanges, type Range, type SeriesSource } from './rollup-sql.js'
import { RollupJob } from './rollups.js'
import { MINUTE } from '../../core/time.js'

export interface DuckDBTelemetryStoreOptions {
  /** Database file (created when missing), or ':memory:'. */
  path: string
  logger?: Logger
  /** Accepted like every store's options; unused, since ingest times store.write() for every store. */
  metrics?: Metrics
  /** Read connections: reads run in parallel up to this many (each holds a libuv thread while it runs). */
  readers?: number // default 2
  /** Write connections: transactions in flight at once (one commits while the next is appended). */
  writers?: number // default 2
  /** A second writer starts a transaction only when this many readings wait (smaller groups wait for the busy one). */
  extraWriterMinRows?: number // default 2_000
  /** A group commit takes queued batches up to this many rows. */
  maxRowsPerCommit?: number // default 100_000
  /** DuckDB settings passed to the instance, e.g. { threads: '2', memory_limit: '1GB' }. */
  duckdb?: Record<string, string>
  /**
   * Rollups (docs/storage.md *Rollups*), on by default: commits mark the minutes they touch and a
   * background job rolls them up. false: no marks, no job, every query reads the raw readings
   * (the ingest benchmark's reference; a file written so lacks rollups of those readings).
   */
  rollups?: false | {
    /** Pause between passes of the rollup job, ms. */
    intervalMs?: number // default 10_000 (10 s)
    /** Marked minutes one pass rolls up per kind, oldest first (a backlog goes in passes of this, back to back). */
    maxMinutesPerPass?: number // default 120: a pass of dust (20 fields × 12 stats) stays well inside the default 160MB memoryLimit
  }
}

/** A mark of one kind's minute that received readings (rollup_dirty). */
interface Mark { kind: Kind, t: number }
const MARK_COLUMNS: ColumnSpec<Mark>[] = [{ kind: 'varchar', get: (m) => m.kind }, { kind: 'timestamp', get: (m) => m.t }]

/** What one write() or writeAlertEvents() hands to the group commit. */
type WriteItem = { readings: readonly Reading[] } | { events: readonly AlertTransition[] }

/** A write connection with its appenders (one per table). */
interface Writer {
  conn: DuckDBConnection
  tables: Record<Kind, ChunkAppender<Reading>>
  events: ChunkAppender<AlertTransition>
  /** Rollup marks (absent with rollups off). */
  marks?: ChunkAppender<Mark>
}

interface Open {
  instance: DuckDBInstance
  writers: Writer[]
  readers: LanePool
  group: GroupCommit<WriteItem>
  rollups: RollupJob | null
  /** Set once close() has drained the queue: later operations reject. */
  closed: boolean
}

function readingColumns (kind: Kind): ColumnSpec<Reading>[] {
  const cols: ColumnSpec<Reading>[] = [
    { kind: 'varchar', get: (r) => r.site },
    { kind: 'varchar', get: (r) => r.device },
    { kind: 'timestamp', get: (r) => r.ts },
    { kind: 'bigint', get: (r) => r.seq }
  ]
  for (const f of FIELDS[kind]) {
    const name = f.name
    cols.push({ kind: f.type === 'string' ? 'varchar' : f.type === 'int' ? 'bigint' : 'double', get: (r) => r.values[name] })
  }
  return cols
}

const EVENT_GETTERS: Readonly<Record<(typeof ALERT_EVENT_COLUMNS)[number][0], ColumnSpec<AlertTransition>>> = {
  ts: { kind: 'timestamp', get: (t) => t.at },
  seq: { kind: 'bigint', get: (t) => t.seq },
  alertId: { kind: 'varchar', get: (t) => t.alertId },
  site: { kind: 'varchar', get: (t) => t.site },
  kind: { kind: 'varchar', get: (t) => t.kind },
  from: { kind: 'varchar', get: (t) => t.from },
  to: { kind: 'varchar', get: (t) => t.to },
  severity: { kind: 'varchar', get: (t) => t.severity },
  reason: { kind: 'varchar', get: (t) => t.reason },
  value: { kind: 'double', get: (t) => t.value },
  limit: { kind: 'double', get: (t) => t.limit },
  by: { kind: 'varchar', get: (t) => t.by },
  message: { kind: 'varchar', get: (t) => t.message }
}

/** (Re)creates a writer's appenders, one per table. */
async function attachAppenders (w: Writer, marks: boolean): Promise<void> {
  const tables = {} as Record<Kind, ChunkAppender<Reading>>
  for (const k of KINDS) tables[k] = new ChunkAppender(await w.conn.createAppender(MEASUREMENT[k]), readingColumns(k))
  w.events = new ChunkAppender(await w.conn.createAppender(ALERT_EVENTS_MEASUREMENT), ALERT_EVENT_COLUMNS.map(([n]) => EVENT_GETTERS[n]))
  if (marks) w.marks = new ChunkAppender(await w.conn.createAppender(ROLLUP_DIRTY_TABLE), MARK_COLUMNS)
  w.tables = tables
}

/** One mark per kind and minute of the readings (a Set per kind: a batch spans few minutes). */
function marksOf (byKind: Partial<Record<Kind, Reading[]>>): Mark[] {
  const out: Mark[] = []
  for (const k of KINDS) {
    const rows = byKind[k]
    if (rows === undefined) continue
    const minutes = new Set<number>()
    for (const r of rows) minutes.add(r.ts - (r.ts % MINUTE))
    for (const t of minutes) out.push({ kind: k, t })
  }
  return out
}

function rowToKey (r: Record<string, unknown>): ReadingKey {
  return { device: r.device as string, ts: num(r.ts), seq: r.seq === null ? null : num(r.seq), entityId: (r.entityId as string | null) ?? null }
}

export class DuckDBTelemetryStore implements TelemetryStore {
  readonly name = 'duckdb'
  private opening: Promise<Open> | null = null
  private readonly latestCache = new LatestCache()
  /**
   * Commits in progress. A reader connection can see a commit's rows before the writer's COMMIT
   * promise resolves here and its readings are merged into latestCache; latest() waits for the
   * commits running when it is called, so what count() or series() already show, latest() shows too.
   */
  private readonly committing = new Set<Promise<void>>()
  private closing: Promise<void> | null = null

  constructor (private readonly opts: DuckDBTelemetryStoreOptions) {}

  /** Opens the file, creates the tables. Idempotent; other methods call it when needed. */
  async init (): Promise<void> {
    await this.ready()
  }

  private closedError (): MinewatchError {
    return new MinewatchError('MW_STORE_CLOSED', `duckdb telemetry store ${this.opts.path}`)
  }

  private ready (): Promise<Open> {
    if (this.closing !== null) return Promise.reject(this.closedError())
    if (this.opening === null) {
      this.opening = this.open()
      this.opening.catch(() => { this.opening = null }) // a failed open may be retried
    }
    return this.opening
  }

  private async open (): Promise<Open> {
    let instance: DuckDBInstance
    try {
      instance = await DuckDBInstance.create(this.opts.path, this.opts.duckdb)
    } catch (err) {
      throw new MinewatchError('MW_STORE_UNAVAILABLE', `cannot open duckdb file ${this.opts.path}: ${(err as Error).message}`, { cause: err })
    }
    const writers: Writer[] = []
    for (let i = 0; i < (this.opts.writers ?? 2); i++) {
      const conn = await instance.connect()
      if (i === 0) {
        try {
          await upgradeSchema(conn, TELEMETRY_SCHEMA, { path: this.opts.path, baseDdl: telemetryDdl(), logger: this.opts.logger })
          const cols = (await conn.runAndReadAll("SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_name LIKE 'rollup_%'")).getRowObjectsJS()
          for (const ddl of missingRollupColumnsDdl(new Set(cols.map((r) => r.c as string)))) await conn.run(ddl)
        } catch (err) {
          conn.closeSync()
          instance.closeSync()
          throw err
        }
      }
      const w = { conn } as Writer
      await attachAppenders(w, this.opts.rollups !== false)
      writers.push(w)
    }
    const readers = await LanePool.open(instance, this.opts.readers ?? 2)
    const r = this.opts.rollups
    const rollups = r === false
      ? null
      : new RollupJob({ run: (fn) => readers.run(fn), intervalMs: r?.intervalMs ?? 10_000, maxMinutesPerPass: r?.maxMinutesPerPass ?? 120, logger: this.opts.logger })
    const o: Open = { instance, writers, readers, group: undefined as unknown as GroupCommit<WriteItem>, rollups, closed: false }
    o.group = new GroupCommit<WriteItem>({
      commit: (items, lane) => this.commit(o, o.writers[lane]!, items),
      sizeOf: (it) => 'readings' in it ? it.readings.length : it.events.length,
      maxSize: this.opts.maxRowsPerCommit ?? 100_000,
      lanes: writers.length,
      extraLaneMinSize: this.opts.extraWriterMinRows ?? 2_000
    })
    rollups?.start()
    this.opts.logger?.info({ path: this.opts.path }, 'duckdb telemetry store open')
    return o
  }

  /** One transaction: every table's rows appended, then COMMIT (DuckDB's WAL makes it durable). */
  private async commit (o: Open, w: Writer, items: readonly WriteItem[]): Promise<void> {
    if (o.closed) throw this.closedError()
    let done!: () => void
    const running = new Promise<void>((resolve) => { done = resolve })
    this.committing.add(running)
    try {
      await this.commitItems(o, w, items)
    } finally {
      this.committing.delete(running)
      done()
    }
  }

  private async commitItems (o: Open, w: Writer, items: readonly WriteItem[]): Promise<void> {
    const byKind: Partial<Record<Kind, Reading[]>> = {}
    const events: AlertTransition[] = []
    for (const it of items) {
      if ('events' in it) { for (const e of it.events) events.push(e); continue }
      for (const r of it.readings) (byKind[r.kind] ??= []).push(r)
    }
    try {
      await w.conn.run('BEGIN TRANSACTION')
      for (const k of KINDS) {
        const rows = byKind[k]
        if (rows === undefined) continue
        w.tables[k].append(rows)
        w.tables[k].flush()
      }
      if (events.length > 0) {
        w.events.append(events)
        w.events.flush()
      }
      if (w.marks !== undefined) {
        w.marks.append(marksOf(byKind)) // in this transaction: a minute's mark commits with its readings
        w.marks.flush()
      }
      await w.conn.run('COMMIT')
      for (const k of KINDS) { const rows = byKind[k]; if (rows !== undefined) this.latestCache.merge(rows) }
    } catch (err) {
      // Discard unflushed rows first (closing an appender flushes), then roll back and
      // start from fresh appenders: DuckDB may have invalidated the old ones.
      const old = [...KINDS.map((k) => w.tables[k]), w.events, ...(w.marks === undefined ? [] : [w.marks])]
      for (const a of old) { try { a.clear() } catch { /* invalidated */ } }
      await w.conn.run('ROLLBACK').catch(() => undefined)
      for (const a of old) { try { a.close() } catch { /* invalidated */ } }
      await attachAppenders(w, w.marks !== undefined).catch((err1: unknown) => this.opts.logger?.error({ err: err1 }, 'duckdb telemetry: cannot recreate appenders'))
      this.opts.logger?.error({ err, path: this.opts.path }, 'duckdb telemetry commit failed')
      throw isMinewatchError(err) ? err : new MinewatchError('MW_STORE_UNAVAILABLE', `duckdb commit failed: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Latency and error metrics are ingest's (ingest/pipeline.ts times store.write for every store). */
  async write (batch: readonly Reading[]): Promise<void> {
    const o = await this.ready()
    validateBatch(batch)
    if (batch.length > 0) await o.group.submit({ readings: batch })
  }

  async writeAlertEvents (events: readonly AlertTransition[]): Promise<void> {
    const o = await this.ready()
    validateAlertEvents(events)
    if (events.length > 0) await o.group.submit({ events })
  }

  /**
   * Upserts in a transaction of their own on a read connection, never grouped with readings: a
   * commit of readings must not fail on a facts conflict. The alert engine writes facts one call
   * at a time, so two upserts of one site-day never race.
   */
  async writeDayFacts (facts: readonly DayFacts[]): Promise<void> {
    const o = await this.ready()
    validateDayFacts(facts)
    if (facts.length === 0) return
    if (o.closed) throw this.closedError()
    const cols = DAY_FACT_COLUMNS.map(([n]) => ident(n)).join(', ')
    const sql = `INSERT OR REPLACE INTO ${ident(DAY_FACTS_MEASUREMENT)} (${cols}) VALUES ($site, epoch_ms($day::BIGINT), epoch_ms($to::BIGINT), $recycledM3, $freshM3, $dischargeM3, $rate, $oreOutputT, $dustDayExceedances::BIGINT)`
    await o.readers.run(async (conn) => {
      await conn.run('BEGIN TRANSACTION')
      try {
        for (const f of facts) {
          await conn.run(sql, { site: f.site, day: f.day, to: f.to, recycledM3: f.recycledM3, freshM3: f.freshM3, dischargeM3: f.dischargeM3, rate: f.rate, oreOutputT: f.oreOutputT, dustDayExceedances: f.dustDayExceedances })
        }
        await conn.run('COMMIT')
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined)
        throw isMinewatchError(err) ? err : new MinewatchError('MW_STORE_UNAVAILABLE', `duckdb day facts not written: ${(err as Error).message}`, { cause: err })
      }
    })
  }

  async dayFacts (q: DayFactsQuery): Promise<DayFacts[]> {
    validateDayFactsQuery(q)
    const rows = await this.read({
      sql: `SELECT site, epoch_ms(day) AS day, epoch_ms(${ident('to')}) AS ${ident('to')}, ${ident('recycledM3')}, ${ident('freshM3')}, ${ident('dischargeM3')}, rate, ${ident('oreOutputT')}, ${ident('dustDayExceedances')} ` +
        `FROM ${ident(DAY_FACTS_MEASUREMENT)} WHERE site = $site AND day >= epoch_ms($from::BIGINT) AND day < epoch_ms($to::BIGINT) ORDER BY day`,
      params: { site: q.site, from: q.from, to: q.to }
    })
    return rows.map((r) => ({
      site: r.site as string,
      day: num(r.day),
      to: num(r.to),
      recycledM3: num(r.recycledM3),
      freshM3: num(r.freshM3),
      dischargeM3: num(r.dischargeM3),
      rate: r.rate === null ? null : num(r.rate),
      oreOutputT: num(r.oreOutputT),
      dustDayExceedances: num(r.dustDayExceedances)
    }))
  }

  private async read (q: Sql): Promise<Record<string, unknown>[]> {
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    return await o.readers.run(async (conn) => (await conn.runAndReadAll(q.sql, q.params)).getRowObjectsJS())
  }

  /** Served from memory: each site is read from the file once (its first latest()), then kept current by commits. */
  async latest (q: LatestQuery): Promise<Reading[]> {
    if (this.closing !== null) throw this.closedError()
    if (q.kind !== undefined && !(KINDS as readonly string[]).includes(q.kind)) {
      throw new MinewatchError('MW_BAD_REQUEST', `unknown kind ${JSON.stringify(q.kind)} (expected one of ${KINDS.join(', ')})`)
    }
    if (this.committing.size > 0) await Promise.all([...this.committing])
    const all = await this.latestCache.get(q.site, async () => {
      const seed: Reading[] = []
      for (const k of KINDS) for (const row of await this.read(latestSql(k, { site: q.site }))) seed.push(rowToReading(k, row))
      return seed
    })
    if (this.closing !== null) throw this.closedError()
    return all.filter((r) => (q.kind === undefined || r.kind === q.kind) && (q.device === undefined || r.device === q.device))
  }

  /**
   * Where series(q) reads (rollup-sql.ts seriesSource): the rollups when they give the raw answer,
   * else the raw readings. Always 'raw' with rollups off.
   */
  seriesSource (q: SeriesQuery): SeriesSource {
    return this.opts.rollups === false ? 'raw' : seriesSource(q)
  }

  async series (q: SeriesQuery): Promise<SeriesPoint[]> {
    validateSeries(q)
    const source = this.seriesSource(q)
    const rows = source === 'raw' ? await this.read(seriesSql(q)) : await this.rollupSeries(q, source)
    return rows.map((r) => ({ device: r.device as string, t: num(r.t), value: num(r.value) }))
  }

  /**
   * A series from the rollups: one statement when no minute of the range is marked (rollup-sql.ts
   * cleanSeriesSql; the common case once the job has caught up), else a read transaction with the marks.
   */
  private async rollupSeries (q: SeriesQuery, source: Exclude<SeriesSource, 'raw'>): Promise<Record<string, unknown>[]> {
    const [head, ...points] = await this.read({ sql: cleanSeriesSql(q, source), params: {} })
    if (num(head?.marks) === 0) return points
    return await this.withMarks(q.kind, { from: q.from, to: q.to }, (dirty, conn) => this.readRows(conn, rollupSeriesSql(q, source, dirty)))
  }

  private async readRows (conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS()
  }

  /**
   * Runs fn in one read transaction with the marked minutes of `kind` in `range` (as ranges): the
   * marks and what fn reads are of the same instant.
   */
  private async withMarks<R> (kind: Kind, range: Range, fn: (dirty: Range[], conn: DuckDBConnection) => Promise<R>): Promise<R> {
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    return await o.readers.run((conn) => marksThen(conn, kind, range, fn))
  }

  async count (q: CountQuery): Promise<number> {
    validateCount(q)
    const rows = await this.read(countSql(q))
    return num(rows[0]?.n ?? 0)
  }

  async recentKeys (sinceTs: number): Promise<ReadingKey[]> {
    if (!Number.isSafeInteger(sinceTs)) throw new MinewatchError('MW_BAD_REQUEST', `sinceTs must be an integer of epoch ms, got ${String(sinceTs)}`)
    return (await this.read(recentKeysSql(sinceTs))).map(rowToKey)
  }

  async keysBetween (q: KeyRange): Promise<ReadingKey[]> {
    validateKeyRange(q)
    return (await this.read(keysBetweenSql(q))).map(rowToKey)
  }

  /**
   * Retention (lifecycle/retention.ts): deletes up to `maxRows` readings of `kind` stamped before
   * `before` (epoch ms), in one transaction of their own on a read connection, never grouped with
   * ingest's commits. Returns the rows deleted (fewer than maxRows: nothing older is left).
   */
  async deleteReadingsBefore (kind: Kind, before: number, maxRows: number): Promise<number> {
    if (!(KINDS as readonly string[]).includes(kind)) throw new MinewatchError('MW_BAD_REQUEST', `unknown kind ${JSON.stringify(kind)}`)
    if (!Number.isSafeInteger(before) || !Number.isSafeInteger(maxRows) || maxRows <= 0) throw new MinewatchError('MW_BAD_REQUEST', `before and maxRows must be integers, got ${before}, ${maxRows}`)
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    const t = ident(MEASUREMENT[kind])
    return await o.readers.run(async (conn) => {
      const r = await conn.run(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ts < epoch_ms($before::BIGINT) LIMIT $n)`, { before, n: maxRows })
      return r.rowsChanged
    })
  }

  /**
   * Writes the readings (telemetry-sql.ts exportSql), or with q.what a rollup level (rollup-sql.ts
   * rollupExportSelect), to a file on a read connection, so ingest keeps committing.
   */
  async exportReadings (q: ExportQuery, path: string): Promise<number> {
    const sql = exportSql(q, path) // checks the query
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    return await o.readers.run((conn) => exportTo(conn, q, path, sql))
  }

  /**
   * Retention of the rollups (lifecycle/retention.ts): deletes up to `maxRows` rollup rows of `kind`
   * at `level` whose bucket starts before `before` (epoch ms), in a transaction of its own.
   */
  async deleteRollupsBefore (level: RollupLevel, kind: Kind, before: number, maxRows: number): Promise<number> {
    if (!(KINDS as readonly string[]).includes(kind)) throw new MinewatchError('MW_BAD_REQUEST', `unknown kind ${JSON.stringify(kind)}`)
    if (level !== '1m' && level !== '1h') throw new MinewatchError('MW_BAD_REQUEST', `unknown rollup level ${JSON.stringify(level)}`)
    if (!Number.isSafeInteger(before) || !Number.isSafeInteger(maxRows) || maxRows <= 0) throw new MinewatchError('MW_BAD_REQUEST', `before and maxRows must be integers, got ${before}, ${maxRows}`)
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    const t = ident(rollupTable(kind, level))
    return await o.readers.run(async (conn) => {
      const r = await conn.run(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE t < epoch_ms($before::BIGINT) LIMIT $n)`, { before, n: maxRows })
      return r.rowsChanged
    })
  }

  /** Rolls up every marked minute now (tests, the bench, close()); resolves to the minutes rolled up. 0 with rollups off. */
  async rollUp (): Promise<number> {
    const o = await this.ready()
    return await (o.rollups?.drain() ?? Promise.resolve(0))
  }

  /** A consistent copy of the whole file as of one instant into the new file `target` (store/duckdb/backup.ts), on a read connection: ingest keeps committing. */
  async snapshot (target: string): Promise<DatabaseSnapshot> {
    const o = await this.ready()
    if (o.closed) throw this.closedError()
    return await o.readers.run((conn) => snapshotDatabase(conn, target))
  }

  /** Bytes of the file's blocks in use (PRAGMA database_size: used_blocks × block_size); 0 in memory. */
  async usedBytes (): Promise<number> {
    const [row] = await this.read({ sql: 'SELECT used_blocks * block_size AS n FROM pragma_database_size() WHERE database_name = current_database()', params: {} })
    return num(row?.n ?? 0)
  }

  async health (): Promise<StoreHealth> {
    const o = await this.ready()
    try {
      await o.readers.run((conn) => conn.run('SELECT 1'))
      return { ok: true, detail: `duckdb ${this.opts.path}, ${o.group.queued} batches waiting for commit` }
    } catch (err) {
      return { ok: false, detail: `duckdb ${this.opts.path}: ${(err as Error).message}` }
    }
  }

  /** Waits for queued writes to commit, then closes. Idempotent. */
  close (): Promise<void> {
    if (this.closing === null) this.closing = this.shutdown()
    return this.closing
  }

  private async shutdown (): Promise<void> {
    const opening = this.opening
    if (opening === null) return
    let o: Open
    try { o = await opening } catch { return }
    await o.group.drain()
    if (o.rollups !== null) {
      await o.rollups.stop()
      await o.rollups.runOnce() // a cleanly stopped file is rolled up (up to one pass per kind)
    }
    o.closed = true
    await o.readers.close()
    for (const w of o.writers) {
      for (const k of KINDS) w.tables[k].close()
      w.events.close()
      w.conn.closeSync()
    }
    o.instance.closeSync()
    this.opts.logger?.info({ path: this.opts.path }, 'duckdb telemetry store closed')
  }
}

/** Reads the marked minutes of `kind` in `range` and runs fn with them, in one read transaction. */
export async function marksThen<R> (conn: DuckDBConnection, kind: Kind, range: Range, fn: (dirty: Range[], conn: DuckDBConnection) => Promise<R>): Promise<R> {
  await conn.run('BEGIN TRANSACTION')
  try {
    const minutes = (await conn.runAndReadAll(dirtyMinutesSql(kind, range))).getRowObjectsJS().map((r) => Number(r.t))
    const out = await fn(toRanges(minutes, MINUTE), conn)
    await conn.run('COMMIT')
    return out
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/**
 * Runs an export on `conn` (the store's read connection, or `minewatch export`'s read-only one):
 * the readings' COPY `readingsSql`, or the rollup level q.what as of the marks of the same instant.
 */
export async function exportTo (conn: DuckDBConnection, q: ExportQuery, path: string, readingsSql: string): Promise<number> {
  const what = q.what ?? 'readings'
  if (what === 'readings') return (await conn.run(readingsSql)).rowsChanged
  const level: RollupLevel = what === 'rollup-1h' ? '1h' : '1m'
  const range = { from: q.from, to: q.to }
  return await marksThen(conn, q.kind, range, async (dirty) => (await conn.run(copyToSql(rollupExportSelect(q.kind, level, q.site, range, dirty), path, q.format))).rowsChanged)
}
