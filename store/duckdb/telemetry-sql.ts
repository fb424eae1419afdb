/**
 * SQL for the telemetry read side (latest, series, count, recentKeys) and the
 * conversion of result rows back to Readings. Values are bound as named parameters;
 * identifiers come only from core/kinds.ts, never from the caller.
 */
import { FIELDS, KINDS, MEASUREMENT, type Kind } from '../../core/kinds.js'
import type { Reading } from '../../core/readings.js'
import { MinewatchError } from '../../core/errors.js'
import { EXPORT_FORMATS, EXPORT_WHATS, type Aggregate, type CountQuery, type ExportFormat, type ExportQuery, type KeyRange, type LatestQuery, type SeriesQuery } from '../telemetry.js'
import { ident } from './schema.js'

export type Params = Record<string, string | number>

/** A quoted SQL string literal (for COPY, which takes no bound parameters). */
export function lit (v: string): string {
  return `'${v.replace(/'/g, "''")}'`
}
export interface Sql { sql: string, params: Params }

/** JS value of a DuckDB number column (BIGINT comes back as bigint). */
export function num (v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number)
}

function selectReadingColumns (kind: Kind): string {
  const fields = FIELDS[kind].map((f) => ident(f.name))
  return ['site', 'device', 'epoch_ms(ts) AS ts', 'seq', ...fields].join(', ')
}

/** Latest row per device (per device and entity for locator) of one kind. */
export function latestSql (kind: Kind, q: LatestQuery): Sql {
  const params: Params = { site: q.site }
  let where = 'site = $site'
  if (q.device !== undefined) { where += ' AND device = $device'; params.device = q.device }
  const partition = kind === 'locator' ? `device, ${ident('entityId')}` : 'device'
  return {
    sql: `SELECT ${selectReadingColumns(kind)} FROM ${ident(MEASUREMENT[kind])} WHERE ${where} ` +
      `QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ts DESC, seq DESC NULLS LAST) = 1`,
    params
  }
}

/** A result row of latestSql → Reading; NULL fields are left out of values. */
export function rowToReading (kind: Kind, row: Record<string, unknown>): Reading {
  const values: Record<string, number | string> = {}
  for (const f of FIELDS[kind]) {
    const v = row[f.name]
    if (v === null || v === undefined) continue
    values[f.name] = f.type === 'string' ? (v as string) : num(v)
  }
  const r: Reading = { site: row.site as string, device: row.device as string, kind, ts: num(row.ts), values }
  if (row.seq !== null && row.seq !== undefined) r.seq = num(row.seq)
  return r
}

const AGG_SQL: Readonly<Record<Aggregate, (col: string) => string>> = {
  mean: (c) => `avg(${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  sum: (c) => `sum(${c})`,
  count: (c) => `count(${c})`,
  first: (c) => `arg_min(${c}, ts)`,
  last: (c) => `arg_max(${c}, ts)`
}



/** Throws MW_BAD_REQUEST with the precise problem of a series query. */

export function seriesSql (q: SeriesQuery): Sql {
  const col = ident(q.field)
  const params: Params = { site: q.site, from: q.from, to: q.to, step: q.stepMs }
  let where = `site = $site AND ts >= epoch_ms($from::BIGINT) AND ts < epoch_ms($to::BIGINT) AND ${col} IS NOT NULL`
  if (q.device !== undefined) { where += ' AND device = $device'; params.device = q.device }
  if (q.entityId !== undefined) { where += ` AND ${ident('entityId')} = $entityId`; params.entityId = q.entityId }
  if (q.flags !== undefined) {
    if (q.flags.length === 0) where += ' AND false'
    else where += ` AND flag IN (${q.flags.map((f, i) => { params[`f${i}`] = f; return `$f${i}` }).join(', ')})`
  }
  return {
    // Buckets aligned to multiples of step since the epoch (ts is never negative).
    sql: `SELECT device, (epoch_ms(ts) // $step::BIGINT) * $step::BIGINT AS t, ${AGG_SQL[q.agg](col)}::DOUBLE AS value ` +
      `FROM ${ident(MEASUREMENT[q.kind])} WHERE ${where} GROUP BY ALL ORDER BY device, t`,
    params
  }
}

/** Throws MW_BAD_REQUEST for a malformed count query. */

export function countSql (q: CountQuery): Sql {
  const params: Params = {}
  const conds: string[] = []
  if (q.site !== undefined) { conds.push('site = $site'); params.site = q.site }
  if (q.device !== undefined) { conds.push('device = $device'); params.device = q.device }
  if (q.from !== undefined) { conds.push('ts >= epoch_ms($from::BIGINT)'); params.from = q.from }
  if (q.to !== undefined) { conds.push('ts < epoch_ms($to::BIGINT)'); params.to = q.to }
  const where = conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : ''
  const kinds = q.kind !== undefined ? [q.kind] : KINDS
  const parts = kinds.map((k) => `SELECT count(*) AS n FROM ${ident(MEASUREMENT[k])}${where}`)
  return { sql: `SELECT coalesce(sum(n), 0)::BIGINT AS n FROM (${parts.join(' UNION ALL ')})`, params }
}

function keyColumns (k: Kind): string {
  const entity = k === 'locator' ? ident('entityId') : 'NULL::VARCHAR'
  return `device, epoch_ms(ts) AS ts, seq, ${entity} AS "entityId"`
}

export function recentKeysSql (sinceTs: number): Sql {
  const parts = KINDS.map((k) => `SELECT ${keyColumns(k)} FROM ${ident(MEASUREMENT[k])} WHERE ts >= epoch_ms($since::BIGINT)`)
  return { sql: parts.join(' UNION ALL '), params: { since: sinceTs } }
}

/** Keys of one device's readings of one kind with from ≤ ts ≤ to (the ts zone maps prune the scan). */
export function keysBetweenSql (q: KeyRange): Sql {
  return {
    sql: `SELECT ${keyColumns(q.kind)} FROM ${ident(MEASUREMENT[q.kind])} WHERE device = $device AND ts >= epoch_ms($from::BIGINT) AND ts <= epoch_ms($to::BIGINT)`,
    params: { device: q.device, from: q.from, to: q.to }
  }
}

/**
 * COPY (SELECT …) TO a file: DuckDB writes CSV (header, ISO timestamps in UTC) or Parquet natively.
 * COPY takes no bound parameters: the site and path are quoted literals, the times integers checked here.
 */
export function exportSql (q: ExportQuery, path: string): string {
  if (!(KINDS as readonly string[]).includes(q.kind)) throw new MinewatchError('MW_BAD_REQUEST', `unknown kind ${JSON.stringify(q.kind)}`)
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to) || q.to <= q.from) throw new MinewatchError('MW_BAD_REQUEST', `from and to must be integers of epoch ms with from < to, got ${q.from}, ${q.to}`)
  if (!(EXPORT_FORMATS as readonly string[]).includes(q.format)) throw new MinewatchError('MW_BAD_REQUEST', `format must be one of ${EXPORT_FORMATS.join(', ')}`)
  if (q.what !== undefined && !(EXPORT_WHATS as readonly string[]).includes(q.what)) throw new MinewatchError('MW_BAD_REQUEST', `what must be one of ${EXPORT_WHATS.join(', ')}`)
  const select = `SELECT * FROM ${ident(MEASUREMENT[q.kind])} WHERE site = ${lit(q.site)} AND ts >= epoch_ms(${q.from}::BIGINT) AND ts < epoch_ms(${q.to}::BIGINT) ORDER BY ts, device`
  return copyToSql(select, path, q.format)
}

/** COPY (select) TO path as CSV (header, ISO timestamps in UTC) or Parquet. */
export function copyToSql (select: string, path: string, format: ExportFormat): string {
  const options = format === 'csv' ? "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%gZ'" : 'FORMAT parquet'
  return `COPY (${select}) TO ${lit(path)} (${options})`
}
