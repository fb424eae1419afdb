/**
 * The data-dir check at start: every store file of the data dir is inspected, without writing,
 * before any store opens. A file of a newer minewatch (MW_SCHEMA_TOO_NEW) or an unknown one
 * (MW_SCHEMA_UNKNOWN) stops the start with the whole dir as it was: without this check the state
 * file would already be migrated when the telemetry file is refused.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { checkSchemaFile } from '../store/duckdb/schema-meta.js'
import { TELEMETRY_SCHEMA } from '../store/duckdb/schema.js'
import { STATE_SCHEMA } from '../store/duckdb/state-schema.js'
import { checkSpoolVersion } from '../store/spool/version.js'

/** Store files of a data dir, by name. */
export const DATA_FILES = { telemetry: 'telemetry.duckdb', state: 'state.duckdb', spool: 'spool' } as const

export interface DataDirVersions {
  /** Version found; null: a file to be created (or an empty one); absent: no such file. */
  telemetry?: number | null
  state?: number | null
  spool?: number | null
}

/** Throws MW_SCHEMA_TOO_NEW / MW_SCHEMA_UNKNOWN for the first file this minewatch must not open. */
export async function checkDataDir (dataDir: string): Promise<DataDirVersions> {
  const out: DataDirVersions = {}
  const state = await checkSchemaFile(join(dataDir, DATA_FILES.state), STATE_SCHEMA)
  if (state !== null) out.state = state.version
  const telemetry = await checkSchemaFile(join(dataDir, DATA_FILES.telemetry), TELEMETRY_SCHEMA)
  if (telemetry !== null) out.telemetry = telemetry.version
  const spoolDir = join(dataDir, DATA_FILES.spool)
  if (existsSync(spoolDir)) out.spool = checkSpoolVersion(spoolDir)
  return out
}
