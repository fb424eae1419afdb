/**
 * Tables of the PostgreSQL state database and their versions. The database records its layout
 * version in `schema_meta` (one row per version applied), with the same discipline as the DuckDB
 * files (store/duckdb/schema-meta.ts, docs/storage.md *Schema versions*): an empty database gets
 * every migration in order; an older one gets the migrations above its version, in order, each in
 * its own transaction with its schema_meta row; one written by a newer minewatch is refused with
 * MW_SCHEMA_TOO_NEW and one holding tables minewatch never made with MW_SCHEMA_UNKNOWN, before
 * anything is written. Migrations run under an advisory lock: processes starting together on one
 * database migrate it once. Times are BIGINT epoch ms; column names match the TypeScript fields.
 */
import type pg from 'pg'
import { MinewatchError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { packageVersion } from '../../core/package.js'
import { LOCKS } from './db.js'

export const PG_SCHEMA_META = 'schema_meta'
const FILE = 'state'

export interface PgMigration {
  to: number
  name: string
  sql: readonly string[]
}

/** Ordered by `to` = 1, 2, …; the last one's `to` is the current version. A change of layout is a new migration, never an edit of a shipped one. */
export const PG_MIGRATIONS: readonly PgMigration[] = [{
  to: 1,
  name: 'state tables: rejects, alerts, alert_transitions, outbox (with claims), dead_letters, audit_log, device_changes',
  sql: [
    `CREATE TABLE rejects (
      id BIGSERIAL PRIMARY KEY, "at" BIGINT NOT NULL, site TEXT, device TEXT, topic TEXT NOT NULL,
      reason TEXT NOT NULL, detail TEXT NOT NULL, count BIGINT NOT NULL, payload TEXT NOT NULL)`,
    'CREATE INDEX rejects_site ON rejects (site, id)',
    `CREATE TABLE alerts (
      id TEXT PRIMARY KEY, site TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, device TEXT,
      severity TEXT NOT NULL, state TEXT NOT NULL, "firedAt" BIGINT NOT NULL, "updatedAt" BIGINT NOT NULL,
      "resolvedAt" BIGINT, "ackedBy" TEXT, "ackNote" TEXT, value DOUBLE PRECISION, "limit" DOUBLE PRECISION,
      unit TEXT NOT NULL, standard TEXT NOT NULL, message TEXT NOT NULL, "noDataSince" BIGINT)`,
    'CREATE INDEX alerts_fired ON alerts ("firedAt" DESC, id DESC)',
    `CREATE INDEX alerts_open ON alerts (state) WHERE state <> 'resolved'`,
    `CREATE TABLE alert_transitions (
      seq BIGINT PRIMARY KEY, "alertId" TEXT NOT NULL, site TEXT NOT NULL, kind TEXT NOT NULL,
      "from" TEXT, "to" TEXT NOT NULL, severity TEXT NOT NULL, "at" BIGINT NOT NULL, reason TEXT NOT NULL,
      value DOUBLE PRECISION, "limit" DOUBLE PRECISION, "by" TEXT, message TEXT NOT NULL, evidence TEXT)`,
    'CREATE INDEX alert_transitions_alert ON alert_transitions ("alertId", seq)',
    // claimedBy/claimedUntil: which store instance (process) holds the delivery, until when (epoch ms)
    `CREATE TABLE outbox (
      id TEXT PRIMARY KEY, subscription TEXT NOT NULL, "transitionSeq" BIGINT NOT NULL, attempts BIGINT NOT NULL,
      "dueAt" BIGINT NOT NULL, "lastError" TEXT, payload TEXT NOT NULL, ord BIGSERIAL NOT NULL,
      "claimedBy" TEXT, "claimedUntil" BIGINT)`,
    'CREATE INDEX outbox_due ON outbox ("dueAt", ord)',
    `CREATE TABLE dead_letters (
      id TEXT PRIMARY KEY, subscription TEXT NOT NULL, "transitionSeq" BIGINT NOT NULL, attempts BIGINT NOT NULL,
      "deadAt" BIGINT NOT NULL, error TEXT NOT NULL, answer TEXT, payload TEXT NOT NULL)`,
    `CREATE TABLE audit_log (
      seq BIGINT PRIMARY KEY, "at" BIGINT NOT NULL, site TEXT, actor TEXT NOT NULL, action TEXT NOT NULL,
      target TEXT, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)`,
    'CREATE INDEX audit_log_target ON audit_log (target)',
    `CREATE TABLE device_changes (
      seq BIGINT PRIMARY KEY, "at" BIGINT NOT NULL, "by" TEXT NOT NULL, action TEXT NOT NULL,
      device TEXT NOT NULL, site TEXT NOT NULL, reason TEXT NOT NULL, spec TEXT)`
  ]
}, {
  to: 2,
  name: 'forwarded_reports: daily reports forwarded by sites (uplink)',
  sql: [
    `CREATE TABLE forwarded_reports (
      site TEXT NOT NULL, "date" TEXT NOT NULL, revision BIGINT NOT NULL, "computedAt" BIGINT NOT NULL,
      "receivedAt" BIGINT NOT NULL, report TEXT NOT NULL, PRIMARY KEY (site, "date"))`
  ]
}]

export function pgCurrentVersion (migrations: readonly PgMigration[] = PG_MIGRATIONS): number {
  return migrations.at(-1)?.to ?? 0
}

const META_DDL = `CREATE TABLE IF NOT EXISTS ${PG_SCHEMA_META} (
  version INTEGER PRIMARY KEY, file TEXT NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, minewatch TEXT NOT NULL)`

/** The version recorded in the database (0 for an empty one); refuses one this minewatch must not touch. Writes nothing. */
export async function inspectPgSchema (c: pg.ClientBase, where: string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const tables = (await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")).rows.map((r) => r.table_name as string)
  if (!tables.includes(PG_SCHEMA_META)) {
    if (tables.length === 0) return 0
    throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${where} is not a minewatch state database: it has no ${PG_SCHEMA_META} and holds tables minewatch never made there (${tables.join(', ')}); nothing was changed`)
  }
  const [row] = (await c.query(`SELECT max(version) AS version, min(file) AS file, count(DISTINCT file) AS files FROM ${PG_SCHEMA_META}`)).rows as Array<{ version: number | null, file: string | null, files: number }>
  const version = row?.version ?? null
  if (version === null || Number(row!.files) !== 1 || row!.file !== FILE) {
    throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${where}: ${PG_SCHEMA_META} does not describe a minewatch state database (version ${String(version)}, file ${String(row?.file)}); nothing was changed`)
  }
  const current = pgCurrentVersion(migrations)
  if (version > current) {
    throw new MinewatchError('MW_SCHEMA_TOO_NEW', `${where} has state schema version ${version}, written by a newer minewatch; this minewatch (${packageVersion}) knows up to version ${current}. Run the newer minewatch, or restore a backup made for this one; nothing was changed`)
  }
  return version
}

/** Brings the database to the current version; returns the version found (0 for an empty database). */
export async function upgradePgSchema (c: pg.ClientBase, where: string, opts: { logger?: Logger, now?: () => number, migrations?: readonly PgMigration[] } = {}): Promise<number> {
  const migrations = opts.migrations ?? PG_MIGRATIONS
  const now = opts.now ?? Date.now
  // session lock: a second process starting now waits here, then finds the database migrated
  await c.query('SELECT pg_advisory_lock($1)', [LOCKS.migrate])
  try {
    const found = await inspectPgSchema(c, where, migrations)
    for (const m of migrations) {
      if (m.to <= found) continue
      const t0 = Date.now()
      await c.query('BEGIN')
      try {
        await c.query(META_DDL)
        for (const sql of m.sql) await c.query(sql)
        await c.query(`INSERT INTO ${PG_SCHEMA_META} (version, file, name, applied_at, minewatch) VALUES ($1, $2, $3, $4, $5)`, [m.to, FILE, m.name, now(), packageVersion])
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw new MinewatchError('MW_STORE_UNAVAILABLE', `${where}: migration of the state schema to version ${m.to} (${m.name}) failed and was rolled back: ${(err as Error).message}`, { cause: err })
      }
      opts.logger?.info({ where, to: m.to, migration: m.name, ms: Date.now() - t0 }, 'postgres state schema migrated')
    }
    return found
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrate]).catch(() => undefined)
  }
}
