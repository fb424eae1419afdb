/**
 * InfluxQL for the read side (latest, series, count, recentKeys, keysBetween, dayFacts). Identifiers come
 * from core/kinds.ts; caller values (site, device, entity ids) are quoted string
 * literals. Works on InfluxDB 1.x and on 2.x/3.x through the v1-compatible /query.
 */
import { KINDS, MEASUREMENT, DAY_FACTS_MEASUREMENT, type Kind } from '../../core/kinds.js'
import type { CountQuery, DayFactsQuery, KeyRange, LatestQuery, SeriesQuery } from '../telemetry.js'

/** Double-quoted identifier (InfluxQL: backslash escapes). */
export function ident (name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** Single-quoted string literal (InfluxQL: backslash escapes). */
export function literal (value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** Where a measurement lives: `"m"`, or `"db"."rp"."m"` when a retention policy is set. */
export interface Target { db: string, rp?: string }

export function from (t: Target, measurement: string): string {
  return t.rp !== undefined && t.rp !== '' ? `${ident(t.db)}.${ident(t.rp)}.${ident(measurement)}` : ident(measurement)
}

/** Epoch ms as an InfluxQL time literal. */
function ms (v: number): string {
  return `${v}ms`
}

/** Largest timestamp InfluxDB stores (ns), an explicit upper bound where none is given. */
const MAX_TIME_NS = '9223372036854775806'

/**
 * Latest point per series (site, device and, for locator, entity and entityId) of each kind:
 * one statement per kind. ORDER BY time DESC LIMIT 1 rather than last(*): on 1.6 `last(*)`
 * answers with time 0, and it would mix fields of different points.
 */
export function latestStatements (t: Target, q: LatestQuery): { kind: Kind, q: string }[] {
  const kinds = q.kind !== undefined ? [q.kind] : KINDS
  let where = `${ident('site')} = ${literal(q.site)}`
  if (q.device !== undefined) where += ` AND ${ident('device')} = ${literal(q.device)}`
  return kinds.map((kind) => ({
    kind,
    q: `SELECT * FROM ${from(t, MEASUREMENT[kind])} WHERE ${where} GROUP BY * ORDER BY time DESC LIMIT 1`
  }))
}

/**
 * One aggregate per device per bucket. GROUP BY time() buckets are aligned to multiples
 * of the interval since the epoch; fill(none) leaves out empty buckets.
 */
export function seriesStatement (t: Target, q: SeriesQuery): string {
  let where = `${ident('site')} = ${literal(q.site)} AND time >= ${ms(q.from)} AND time < ${ms(q.to)}`
  if (q.device !== undefined) where += ` AND ${ident('device')} = ${literal(q.device)}`
  if (q.entityId !== undefined) where += ` AND ${ident('entityId')} = ${literal(q.entityId)}`
  // flag is a string field (not a tag): InfluxQL filters on it row by row. Empty list: see the store.
  if (q.flags !== undefined && q.flags.length > 0) where += ` AND (${q.flags.map((f) => `${ident('flag')} = ${literal(f)}`).join(' OR ')})`
  return `SELECT ${q.agg}(${ident(q.field)}) AS ${ident('value')} FROM ${from(t, MEASUREMENT[q.kind])} ` +
    `WHERE ${where} GROUP BY time(${q.stepMs}ms), ${ident('device')} fill(none)`
}

/** count("seq"): seq is on every point (line-protocol.ts NO_SEQ), so this counts readings. */
export function countStatement (t: Target, q: CountQuery): string {
  const kinds = q.kind !== undefined ? [q.kind] : KINDS
  const conds: string[] = []
  if (q.site !== undefined) conds.push(`${ident('site')} = ${literal(q.site)}`)
  if (q.device !== undefined) conds.push(`${ident('device')} = ${literal(q.device)}`)
  // Explicit bounds: without them an aggregate may stop at now() and miss readings stamped ahead.
  conds.push(`time >= ${ms(q.from ?? 0)}`)
  conds.push(q.to !== undefined ? `time < ${ms(q.to)}` : `time <= ${MAX_TIME_NS}`)
  return `SELECT count(${ident('seq')}) FROM ${kinds.map((k) => from(t, MEASUREMENT[k])).join(', ')} WHERE ${conds.join(' AND ')}`
}

/** device, time, seq and entityId of every reading since `sinceTs`. */
export function recentKeysStatement (t: Target, sinceTs: number): string {
  return `SELECT ${ident('seq')} FROM ${KINDS.map((k) => from(t, MEASUREMENT[k])).join(', ')} ` +
    `WHERE time >= ${ms(sinceTs)} AND time <= ${MAX_TIME_NS} GROUP BY ${ident('device')}, ${ident('entityId')}`
}

/** seq (and time) of one device's points of one kind with from ≤ time ≤ to, per entity. */
export function keysBetweenStatement (t: Target, q: KeyRange): string {
  return `SELECT ${ident('seq')} FROM ${from(t, MEASUREMENT[q.kind])} WHERE ${ident('device')} = ${literal(q.device)} ` +
    `AND time >= ${ms(q.from)} AND time <= ${ms(q.to)} GROUP BY ${ident('device')}, ${ident('entityId')}`
}

/** The stored day facts of a site whose day starts in [from, to). */
export function dayFactsStatement (t: Target, q: DayFactsQuery): string {
  return `SELECT * FROM ${from(t, DAY_FACTS_MEASUREMENT)} WHERE ${ident('site')} = ${literal(q.site)} AND time >= ${ms(q.from)} AND time < ${ms(q.to)}`
}
