/**
 * Schema versions of the embedded DuckDB files (telemetry.duckdb, state.duckdb). Each file
 * records its layout version in `schema_meta` (one row per version applied). At open:
 *
 * - a new (empty) file gets the base schema and the current version;
 * - a file without `schema_meta` but with the tables minewatch created before versions
 *   existed is version 1;
 * - an older file is migrated in place: the numbered migrations above its version run in
 *   order, each in its own transaction together with its `schema_meta` row, each logged;
 * - a file of a newer minewatch (MW_SCHEMA_TOO_NEW) or one that is not a minewatch file
 *   (MW_SCHEMA_UNKNOWN) is refused before anything is written.
 *
 * The base schema stays idempotent DDL (CREATE … IF NOT EXISTS, ADD COLUMN IF NOT EXISTS) and
 * runs after the migrations on every open: a new table is added there, with no migration;
 * migrations are for changes that DDL cannot express idempotently (reshaping or backfilling
 * existing tables). docs/storage.md *Schema versions* describes the same rules.
 */
import { existsSync } from 'node:fs'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { MinewatchError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { packageVersion } from '../../core/package.js'

export const SCHEMA_META_TABLE = 'schema_meta'

/** One numbered change of a file's layout: `to` is the version it produces. */
export interface Migration {
  to: number
  /** What it changes, logged and kept in schema_meta. */
  name: string
  /** Statements run in one transaction with the schema_meta row of `to`. */
  sql: readonly string[]
}

export interface SchemaSpec {
  /** Which file (telemetry, state): kept in schema_meta, so one file cannot pass for the other. */
  file: string
  /**
   * Tables a file written before versions existed may hold: an unversioned file holding only these
   * (some of them: older files lack the later ones) is version 1; any other table makes it unknown.
   */
  v1Tables: readonly string[]
  /** Migrations, ordered by `to` = 2, 3, …; the last one's `to` is the current version. */
  migrations: readonly Migration[]
}

export function currentVersion (spec: SchemaSpec): number {
  return spec.migrations.at(-1)?.to ?? 1
}

const META_DDL = `CREATE TABLE IF NOT EXISTS ${SCHEMA_META_TABLE} (
  version INTEGER PRIMARY KEY, file VARCHAR NOT NULL, name VARCHAR NOT NULL, applied_at BIGINT NOT NULL, minewatch VARCHAR NOT NULL)`

/** Migration 2 of every file: the file records its own layout version from now on. */
export const RECORD_VERSION_MIGRATION: Migration = { to: 2, name: 'schema_meta: the file records its layout version', sql: [META_DDL] }

/** What a file holds, read before anything is written to it. */
export interface FileSchema {
  /** Recorded version; 1 for an unversioned file with the v1 tables; null for an empty file. */
  version: number | null
  tables: string[]
}

async function tablesOf (conn: DuckDBConnection): Promise<string[]> {
  const r = await conn.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")
  return r.getRowObjectsJS().map((row) => row.table_name as string)
}

/** Reads a file's version and refuses files this minewatch must not touch. Writes nothing. */
export async function inspectSchema (conn: DuckDBConnection, spec: SchemaSpec, path: string): Promise<FileSchema> {
  const tables = await tablesOf(conn)
  const current = currentVersion(spec)
  if (!tables.includes(SCHEMA_META_TABLE)) {
    if (tables.length === 0) return { version: null, tables }
    const foreign = tables.filter((t) => !spec.v1Tables.includes(t))
    if (foreign.length > 0) {
      throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${path} is not a minewatch ${spec.file} file: it has no ${SCHEMA_META_TABLE} and tables minewatch never made there (${foreign.join(', ')}); nothing was changed`)
    }
    return { version: 1, tables }
  }
  const rows = (await conn.runAndReadAll(`SELECT max(version) AS version, any_value(file) AS file, count(DISTINCT file) AS files FROM ${SCHEMA_META_TABLE}`)).getRowObjectsJS()
  const row = rows[0] ?? {}
  const version = row.version === null || row.version === undefined ? null : Number(row.version)
  if (version === null || !Number.isSafeInteger(version) || version < 2 || Number(row.files) !== 1 || row.file !== spec.file) {
    throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${path}: ${SCHEMA_META_TABLE} does not describe a minewatch ${spec.file} file (version ${String(row.version)}, file ${String(row.file)}); nothing was changed`)
  }
  if (version > current) {
    throw new MinewatchError('MW_SCHEMA_TOO_NEW', `${path} has ${spec.file} schema version ${version}, written by a newer minewatch; this minewatch (${packageVersion}) knows up to version ${current}. Run the newer minewatch, or restore a backup made for this one; nothing was changed`)
  }
  return { version, tables }
}

/**
 * Checks a file without opening it for writing (READ_ONLY): the data-dir check at start runs it on
 * every store file before any store opens, so a refused dir is left byte for byte as it was.
 * A missing file is fine (it will be created).
 */
export async function checkSchemaFile (path: string, spec: SchemaSpec): Promise<FileSchema | null> {
  if (!existsSync(path)) return null
  let instance: DuckDBInstance
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  } catch (err) {
    throw new MinewatchError('MW_STORE_UNAVAILABLE', `cannot open duckdb file ${path} to check its schema version: ${(err as Error).message}`, { cause: err })
  }
  const conn = await instance.connect()
  try {
    return await inspectSchema(conn, spec, path)
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

async function inTransaction (conn: DuckDBConnection, fn: () => Promise<void>): Promise<void> {
  await conn.run('BEGIN TRANSACTION')
  try {
    await fn()
    await conn.run('COMMIT')
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined)
    throw err
  }
}

async function recordVersion (conn: DuckDBConnection, spec: SchemaSpec, version: number, name: string, now: number): Promise<void> {
  await conn.run(`INSERT INTO ${SCHEMA_META_TABLE} (version, file, name, applied_at, minewatch) VALUES ($version, $file, $name, $at::BIGINT, $mw)`,
    { version, file: spec.file, name, at: now, mw: packageVersion })
}

export interface UpgradeOptions {
  path: string
  /** The base schema: idempotent DDL, run after the migrations on every open. */
  baseDdl: readonly string[]
  logger?: Logger
  /** Time of schema_meta rows, epoch ms. */
  now?: () => number
}

/**
 * Brings an open file to the current version: refuses (nothing written), creates, or migrates.
 * Returns the version found (null for a new file).
 */
export async function upgradeSchema (conn: DuckDBConnection, spec: SchemaSpec, opts: UpgradeOptions): Promise<number | null> {
  const now = opts.now ?? Date.now
  const found = await inspectSchema(conn, spec, opts.path)
  const current = currentVersion(spec)
  if (found.version === null) {
    await inTransaction(conn, async () => {
      for (const ddl of [...opts.baseDdl, META_DDL]) await conn.run(ddl)
      await recordVersion(conn, spec, current, `created at version ${current}`, now())
    })
    opts.logger?.info({ path: opts.path, file: spec.file, version: current }, 'duckdb file created')
    return null
  }
  for (const m of spec.migrations) {
    if (m.to <= found.version) continue
    const t0 = Date.now()
    try {
      await inTransaction(conn, async () => {
        for (const sql of m.sql) await conn.run(sql)
        await recordVersion(conn, spec, m.to, m.name, now())
      })
    } catch (err) {
      throw new MinewatchError('MW_STORE_UNAVAILABLE', `${opts.path}: migration of the ${spec.file} schema to version ${m.to} (${m.name}) failed and was rolled back: ${(err as Error).message}`, { cause: err })
    }
    opts.logger?.info({ path: opts.path, file: spec.file, to: m.to, migration: m.name, ms: Date.now() - t0 }, 'duckdb schema migrated')
  }
  for (const ddl of opts.baseDdl) await conn.run(ddl)
  return found.version
}
