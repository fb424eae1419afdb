/**
 * Telemetry table layout, derived from core/kinds.ts: one table per kind named by
 * MEASUREMENT, plus alert_events and day_facts. docs/storage.md describes the same layout.
 */
import { KINDS, MEASUREMENT, FIELDS, ALERT_EVENTS_MEASUREMENT, DAY_FACTS_MEASUREMENT, type Kind, type FieldType } from '../../core/kinds.js'
import { RECORD_VERSION_MIGRATION, type SchemaSpec } from './schema-meta.js'
import { rollupDdl, rollupsMigration } from './rollup-schema.js'

/** SQL type of a stored field. */
export const SQL_TYPE: Readonly<Record<FieldType, string>> = Object.freeze({
  float: 'DOUBLE',
  int: 'BIGINT',
  string: 'VARCHAR'
})

/** Double-quotes an identifier (field names are camelCase, e.g. "windSpeed"). */
export function ident (name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Columns every reading table starts with; ts is a UTC TIMESTAMP (µs precision, ms stored). */
export const READING_BASE_COLUMNS = ['site VARCHAR NOT NULL', 'device VARCHAR NOT NULL', 'ts TIMESTAMP NOT NULL', 'seq BIGINT'] as const

export function readingTableDdl (kind: Kind): string {
  const cols = [...READING_BASE_COLUMNS, ...FIELDS[kind].map((f) => `${ident(f.name)} ${SQL_TYPE[f.type]}`)]
  return `CREATE TABLE IF NOT EXISTS ${ident(MEASUREMENT[kind])} (${cols.join(', ')})`
}

/** Columns of alert_events, in order (one row per AlertTransition; `at` is stored as ts). */
export const ALERT_EVENT_COLUMNS = [
  ['ts', 'TIMESTAMP NOT NULL'],
  ['seq', 'BIGINT NOT NULL'],
  ['alertId', 'VARCHAR NOT NULL'],
  ['site', 'VARCHAR NOT NULL'],
  ['kind', 'VARCHAR NOT NULL'],
  ['from', 'VARCHAR'],
  ['to', 'VARCHAR NOT NULL'],
  ['severity', 'VARCHAR NOT NULL'],
  ['reason', 'VARCHAR NOT NULL'],
  ['value', 'DOUBLE'],
  ['limit', 'DOUBLE'],
  ['by', 'VARCHAR'],
  ['message', 'VARCHAR NOT NULL']
] as const

export function alertEventsDdl (): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(ALERT_EVENTS_MEASUREMENT)} (${ALERT_EVENT_COLUMNS.map(([n, t]) => `${ident(n)} ${t}`).join(', ')})`
}

/** Columns of day_facts, in order (one row per site and Beijing day; store/telemetry.ts DayFacts). */
export const DAY_FACT_COLUMNS = [
  ['site', 'VARCHAR NOT NULL'],
  ['day', 'TIMESTAMP NOT NULL'],
  ['to', 'TIMESTAMP NOT NULL'],
  ['recycledM3', 'DOUBLE NOT NULL'],
  ['freshM3', 'DOUBLE NOT NULL'],
  ['dischargeM3', 'DOUBLE NOT NULL'],
  ['rate', 'DOUBLE'],
  ['oreOutputT', 'DOUBLE NOT NULL'],
  ['dustDayExceedances', 'BIGINT NOT NULL']
] as const

export function dayFactsDdl (): string {
  return `CREATE TABLE IF NOT EXISTS ${ident(DAY_FACTS_MEASUREMENT)} (${DAY_FACT_COLUMNS.map(([n, t]) => `${ident(n)} ${t}`).join(', ')}, PRIMARY KEY (site, day))`
}

/**
 * Columns a file written by an older minewatch lacks: added in place, at the end, in FIELDS order.
 * core/kinds.ts only ever appends fields to a kind, so an upgraded file has the same column order
 * as a new one (the appender writes by position).
 */
export function readingColumnsDdl (kind: Kind): string[] {
  return FIELDS[kind].map((f) => `ALTER TABLE ${ident(MEASUREMENT[kind])} ADD COLUMN IF NOT EXISTS ${ident(f.name)} ${SQL_TYPE[f.type]}`)
}

/** Every CREATE (and upgrade) statement of the telemetry file, idempotent. */
export function telemetryDdl (): string[] {
  return [...KINDS.flatMap((k) => [readingTableDdl(k), ...readingColumnsDdl(k)]), alertEventsDdl(), dayFactsDdl(), ...rollupDdl()]
}

/**
 * Versions of the telemetry file (store/duckdb/schema-meta.ts). Version 1 is the layout minewatch
 * wrote before files carried a version: the kind tables, alert_events and day_facts, nothing else.
 * Version 3 adds the rollups (rollup-schema.ts).
 */
export const TELEMETRY_SCHEMA: SchemaSpec = {
  file: 'telemetry',
  v1Tables: [...KINDS.filter((k) => k !== 'energy').map((k) => MEASUREMENT[k]), ALERT_EVENTS_MEASUREMENT, DAY_FACTS_MEASUREMENT], // energy came later (CREATE IF NOT EXISTS adds it)
  migrations: [RECORD_VERSION_MIGRATION, rollupsMigration()]
}
