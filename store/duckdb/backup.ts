/**
 * A consistent copy of an open DuckDB file, taken while the file is written (issue 19 point 3).
 * Copying the file's bytes is not consistent (the WAL and the blocks being checkpointed change under
 * the copy). Instead one connection of the running instance ATTACHes a new file and runs
 * `COPY FROM DATABASE` inside one transaction: DuckDB's MVCC shows that transaction every commit made
 * before it started and none made after, so the copy is the database as of one instant. Writers
 * are not blocked (readers never block the writer). Row counts are read in the same transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import { existsSync } from 'node:fs'
import { MinewatchError } from '../../core/errors.js'
import { SCHEMA_META_TABLE } from './schema-meta.js'

export interface DatabaseSnapshot {
  /** The file's schema version as recorded in its schema_meta (0 when it has none). */
  schemaVersion: number
  /** Rows of every table of the copy, by table name. */
  rows: Record<string, number>
}

let attachSeq = 0

/** Copies the connection's database into the new file `target` (which must not exist). */
export async function snapshotDatabase (conn: DuckDBConnection, target: string): Promise<DatabaseSnapshot> {
  if (existsSync(target)) throw new MinewatchError('MW_BAD_REQUEST', `backup file ${target} already exists`)
  const source = String((await conn.runAndReadAll('SELECT current_database() AS d')).getRowObjectsJS()[0]!.d)
  const alias = `mw_backup_${process.pid}_${++attachSeq}`
  await conn.run(`ATTACH '${target.replaceAll("'", "''")}' AS ${alias}`)
  try {
    await conn.run('BEGIN TRANSACTION')
    let snap: DatabaseSnapshot
    try {
      await conn.run(`COPY FROM DATABASE "${source.replaceAll('"', '""')}" TO ${alias}`)
      const tables = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = '${alias}' ORDER BY table_name`)).getRowObjectsJS()
      const rows: Record<string, number> = {}
      for (const t of tables) {
        const name = String(t.table_name)
        rows[name] = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM ${alias}."${name.replaceAll('"', '""')}"`)).getRowObjectsJS()[0]!.n)
      }
      const schemaVersion = rows[SCHEMA_META_TABLE] === undefined
        ? 0
        : Number((await conn.runAndReadAll(`SELECT coalesce(max(version), 0) AS v FROM ${alias}.${SCHEMA_META_TABLE}`)).getRowObjectsJS()[0]!.v)
      snap = { schemaVersion, rows }
      await conn.run('COMMIT')
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined)
      throw err
    }
    return snap
  } finally {
    await conn.run(`DETACH ${alias}`)
  }
}
