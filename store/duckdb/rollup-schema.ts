/**
 * Layout of the rollups of the telemetry file (issue 19 point 2; docs/storage.md *Rollups*): per kind
 * and level one table, one row per site, device and bucket (minute or hour start), and per numeric
 * field of the kind (core/kinds.ts; rolledFields) the statistics a series query or a validity rule needs:
 *
 *   <field>_n, _sum, _min, _max, _first, _last   over every reading carrying the field
 *   <field>_cn, _csum, _cmin, _cmax, _cfirst, _clast   dust concentrations and noise: over the readings whose HJ 212
 *       flag counts (core/dust.ts COUNTED_FLAGS), what legal averages are made of
 *   <field>_minutes (and dust _cminutes)   1-hour level only: minutes of the hour holding such a
 *       reading, the GB 3095-2012 §8 hourly validity (core/dust.ts hourlyValid)
 *
 * `rollup_dirty` holds one mark per kind and minute that received readings since it was last rolled
 * up, written in the same transaction as the readings (telemetry.ts commit): a mark survives a crash
 * with its readings, and a query treats a marked minute as not rolled up yet (rollup-sql.ts).
 */
import { KINDS, MEASUREMENT, numericFields, type Kind } from '../../core/kinds.js'
import type { Migration } from './schema-meta.js'
import { ident, readingTableDdl } from './schema.js'

export const ROLLUP_LEVELS = ['1m', '1h'] as const
export type RollupLevel = (typeof ROLLUP_LEVELS)[number]

export const ROLLUP_DIRTY_TABLE = 'rollup_dirty'

/** Table of a kind's rollups at a level, e.g. rollup_1m_dust. */
export function rollupTable (kind: Kind, level: RollupLevel): string {
  return `rollup_${level}_${kind}`
}

/** Statistics over every reading carrying the field. */
export const PLAIN_STATS = ['n', 'sum', 'min', 'max', 'first', 'last'] as const
/** The same over counted readings (dust only): the plain stat's name with a `c` before it. */
export const COUNTED_STATS = ['cn', 'csum', 'cmin', 'cmax', 'cfirst', 'clast'] as const

/** Kinds whose readings carry an HJ 212 flag (core/kinds.ts: dust). */
export function hasFlags (kind: Kind): boolean {
  return kind === 'dust'
}

/**
 * Dust fields not rolled up: the HJ 212 interval statistics (CN 2051/2061/2031 minute, hour and day
 * data, already aggregates, few rows). Every stat column costs DuckDB a block per commit: a table of
 * all 20 dust fields × 14 stats could not commit a single minute under the default 160MB memoryLimit
 * (bench/scale30.bench.ts found it). Series of these fields read the raw readings.
 */
const DUST_NOT_ROLLED = /^(intervalS|(tsp|pm10|pm25)(Avg|Min|Max))$/
/** Dust fields rolled up over counted flags too: the concentrations and noise, which legal averages are made of. */
const COUNTED_FIELDS: readonly string[] = ['tsp', 'pm10', 'pm25', 'pm1', 'noise']

/** The numeric fields of a kind that have rollups. */
export function rolledFields (kind: Kind): string[] {
  return numericFields(kind).filter((f) => !(kind === 'dust' && DUST_NOT_ROLLED.test(f)))
}

/** True when the field's rollups hold the statistics over counted flags. */
export function hasCounted (kind: Kind, field: string): boolean {
  return hasFlags(kind) && COUNTED_FIELDS.includes(field)
}

/** The stat columns of one field, in table order. */
export function fieldStats (kind: Kind, level: RollupLevel, field: string): string[] {
  const counted = hasCounted(kind, field)
  const stats: string[] = [...PLAIN_STATS]
  if (counted) stats.push(...COUNTED_STATS)
  if (level === '1h') stats.push('minutes', ...(counted ? ['cminutes'] : []))
  return stats
}

/** Every stat column of a kind's rollup table at a level, in table order: [field, stat, column name]. */
export function statColumns (kind: Kind, level: RollupLevel, fields: readonly string[] = rolledFields(kind)): Array<{ field: string, stat: string, col: string }> {
  return fields.flatMap((field) => fieldStats(kind, level, field).map((stat) => ({ field, stat, col: `${field}_${stat}` })))
}

const STAT_TYPE = (stat: string): string => /(^|c)n$|minutes$/.test(stat) ? 'BIGINT' : 'DOUBLE'

export function rollupTableDdl (kind: Kind, level: RollupLevel): string {
  const cols = ['site VARCHAR NOT NULL', 'device VARCHAR NOT NULL', 't TIMESTAMP NOT NULL', '"rows" BIGINT NOT NULL',
    ...statColumns(kind, level).map((c) => `${ident(c.col)} ${STAT_TYPE(c.stat)}`)]
  return `CREATE TABLE IF NOT EXISTS ${ident(rollupTable(kind, level))} (${cols.join(', ')})`
}

export const ROLLUP_DIRTY_DDL = `CREATE TABLE IF NOT EXISTS ${ROLLUP_DIRTY_TABLE} (kind VARCHAR NOT NULL, t TIMESTAMP NOT NULL)`

/**
 * ADD COLUMN for the stat columns a file's rollup tables lack (fields appended to a kind after the
 * file was made; core/kinds.ts only appends fields). `existing` holds "table.column" of the file.
 * Queries and the job name every column, so the order of columns does not matter here.
 */
export function missingRollupColumnsDdl (existing: ReadonlySet<string>): string[] {
  return KINDS.flatMap((k) => ROLLUP_LEVELS.flatMap((l) => statColumns(k, l)
    .filter((c) => !existing.has(`${rollupTable(k, l)}.${c.col}`))
    .map((c) => `ALTER TABLE ${ident(rollupTable(k, l))} ADD COLUMN IF NOT EXISTS ${ident(c.col)} ${STAT_TYPE(c.stat)}`)))
}

/** Every CREATE of the rollups, idempotent (part of the base schema, store/duckdb/schema.ts). */
export function rollupDdl (): string[] {
  return [...KINDS.flatMap((k) => ROLLUP_LEVELS.map((l) => rollupTableDdl(k, l))), ROLLUP_DIRTY_DDL]
}

/**
 * Migration 3: adds the rollup tables to a file of version 2 and marks every minute that holds
 * readings, so the rollup job (rollups.ts) builds the rollups of the existing data in the background,
 * oldest first, while queries read those minutes from the raw readings until it has.
 */
export function rollupsMigration (): Migration {
  return {
    to: 3,
    name: 'rollups: 1-minute and 1-hour aggregates per device and field, built from the existing readings',
    sql: [
      ...KINDS.map((k) => readingTableDdl(k)), // a version-1 file may lack the tables of later kinds
      ...rollupDdl(),
      ...KINDS.map((k) => `INSERT INTO ${ROLLUP_DIRTY_TABLE} SELECT DISTINCT '${k}', date_trunc('minute', ts) FROM ${ident(MEASUREMENT[k])}`)
    ]
  }
}
