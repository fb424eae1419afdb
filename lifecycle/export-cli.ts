/**
 * `minewatch export`: one site's readings (or rollups) of a kind over Beijing days, as CSV or Parquet, from the
 * data dir of a stopped minewatch (the telemetry file is opened READ_ONLY: nothing is migrated or
 * written). While minewatch runs DuckDB's lock keeps the file to it: use the API route
 * GET /api/v1/sites/:site/export instead (docs/api.md).
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { KINDS, type Kind } from '../core/kinds.js'
import { MinewatchError, isMinewatchError } from '../core/errors.js'
import { EXPORT_FORMATS, EXPORT_WHATS, type ExportFormat, type ExportWhat } from '../store/telemetry.js'
import { exportDayRange } from '../store/export-range.js'
import { exportSql } from '../store/duckdb/telemetry-sql.js'
import { checkSchemaFile } from '../store/duckdb/schema-meta.js'
import { TELEMETRY_SCHEMA } from '../store/duckdb/schema.js'
import { exportTo } from '../store/duckdb/telemetry.js'
import { DATA_FILES } from './check.js'

export interface ExportCommand {
  dataDir: string
  site: string
  kind: string
  from: string
  to: string
  format: string
  /** readings (default), rollup-1m or rollup-1h. */
  what?: string
  out: string
}

/** Writes the file; resolves to the rows written. Throws MinewatchError with a specific message. */
export async function exportCommand (c: ExportCommand): Promise<number> {
  if (!(KINDS as readonly string[]).includes(c.kind)) throw new MinewatchError('MW_BAD_REQUEST', `--kind must be one of ${KINDS.join(', ')}, got '${c.kind}'`)
  if (!(EXPORT_FORMATS as readonly string[]).includes(c.format)) throw new MinewatchError('MW_BAD_REQUEST', `--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${c.format}'`)
  const what = c.what ?? 'readings'
  if (!(EXPORT_WHATS as readonly string[]).includes(what)) throw new MinewatchError('MW_BAD_REQUEST', `--what must be one of ${EXPORT_WHATS.join(', ')}, got '${what}'`)
  const { from, to } = exportDayRange(c.from, c.to)
  const out = resolve(c.out)
  if (existsSync(out)) throw new MinewatchError('MW_CONFLICT', `${out} exists; choose a new file`)
  const path = join(resolve(c.dataDir), DATA_FILES.telemetry)
  if (!existsSync(path)) throw new MinewatchError('MW_NOT_FOUND', `no telemetry file ${path} (is --data-dir the data dir of a minewatch with the DuckDB store?)`)
  try {
    await checkSchemaFile(path, TELEMETRY_SCHEMA) // read-only; a file of a newer minewatch is refused
  } catch (err) {
    if (!isMinewatchError(err, 'MW_STORE_UNAVAILABLE')) throw err
    throw new MinewatchError('MW_STORE_UNAVAILABLE', `${err.message}; while minewatch runs on this dir, export through GET /api/v1/sites/${c.site}/export`, { cause: err })
  }
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const conn = await instance.connect()
  try {
    const q = { site: c.site, kind: c.kind as Kind, from, to, format: c.format as ExportFormat, what: what as ExportWhat }
    return await exportTo(conn, q, out, exportSql(q, out)) // rollups as of the file's marks: exact also after a crash
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
