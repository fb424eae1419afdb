/**
 * SQL of the rollups (rollup-schema.ts): how a minute is rolled up from raw readings, an hour from
 * its minutes, and how a query or an export reads them. The rollup job and every reader build their
 * SQL here, so what is stored and what a query computes for a minute not rolled up yet are the same
 * expressions.
 *
 * A minute holding a mark in rollup_dirty is "not rolled up yet": a reader takes it from the raw
 * readings, and an hour holding such a minute from its clean minutes plus those raw ones. The marks
 * are read in the same transaction as the query (telemetry.ts), so the answer is that of one instant,
 * however far the job lags. Only identifiers from core/kinds.ts and checked integers enter the SQL;
 * site and device are quoted literals (COPY takes no bound parameters).
 */
import { MEASUREMENT, type Kind } from '../../core/kinds.js'
import { COUNTED_FLAGS } from '../../core/dust.js'
import { HOUR, MINUTE } from '../../core/time.js'
import { MinewatchError } from '../../core/errors.js'
import type { Aggregate, SeriesQuery } from '../telemetry.js'
import { ident } from './schema.js'
import { lit } from './telemetry-sql.js'
import { ROLLUP_DIRTY_TABLE, hasCounted, rolledFields, rollupTable, statColumns, type RollupLevel } from './rollup-schema.js'

/** [from, to) in epoch ms. */
export interface Range { from: number, to: number }

/** Which readings a read covers (the rollup job: every site), and which fields (default: every numeric field of the kind). */
export interface Scope { site?: string, device?: string, fields?: readonly string[] }

function at (ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new MinewatchError('MW_BAD_REQUEST', `not an integer of epoch ms: ${String(ms)}`)
  return `epoch_ms(${ms}::BIGINT)`
}

/** Sorted distinct minute starts → contiguous ranges of `width` ms buckets holding them. */
export function toRanges (starts: readonly number[], width: number): Range[] {
  const out: Range[] = []
  for (const s of [...new Set(starts.map((t) => Math.floor(t / width) * width))].sort((a, b) => a - b)) {
    const last = out.at(-1)
    if (last !== undefined && last.to === s) last.to = s + width
    else out.push({ from: s, to: s + width })
  }
  return out
}

/** `col` in any of the ranges (false for none). */
export function inRanges (col: string, ranges: readonly Range[]): string {
  if (ranges.length === 0) return 'false'
  return `(${ranges.map((r) => `(${col} >= ${at(r.from)} AND ${col} < ${at(r.to)})`).join(' OR ')})`
}

function scopeWhere (scope: Scope): string[] {
  const w: string[] = []
  if (scope.site !== undefined) w.push(`site = ${lit(scope.site)}`)
  if (scope.device !== undefined) w.push(`device = ${lit(scope.device)}`)
  return w
}

/** The columns of a rollup table (of `fields`), in the order every SELECT below produces them. */
export function rollupColumnList (kind: Kind, level: RollupLevel, fields?: readonly string[]): string {
  return ['site', 'device', 't', '"rows"', ...statColumns(kind, level, fields).map((c) => ident(c.col))].join(', ')
}

/**
 * Marked ranges gathered into clusters whose gaps are under an hour: one aggregation per cluster,
 * bounded by its first and last range (zone maps prune the raw table to it), instead of one per
 * range (a water meter reporting every 5 minutes leaves a mark every 5 minutes).
 */
export function clusters (ranges: readonly Range[], gap = HOUR): Range[][] {
  const out: Range[][] = []
  for (const r of ranges) {
    const last = out.at(-1)
    if (last !== undefined && r.from - last.at(-1)!.to < gap) last.push(r)
    else out.push([r])
  }
  return out
}

/** The raw part of a relation: the marked minutes' rollup rows computed from the readings, one aggregation per cluster. */
function rawMinutes (kind: Kind, where: readonly string[], dirty: readonly Range[], fields?: readonly string[]): string[] {
  return clusters(dirty).map((c) => {
    const bound = { from: c[0]!.from, to: c.at(-1)!.to }
    return minuteAggSql(kind, [...where, inRanges('ts', [bound]), ...(c.length > 1 ? [inRanges('ts', c)] : [])], fields)
  })
}

const COUNTED = `flag IN (${COUNTED_FLAGS.map(lit).join(', ')})`

/** The 1-minute rollup rows of the raw readings matching `where` (one row per site, device, minute). */
export function minuteAggSql (kind: Kind, where: readonly string[], fields?: readonly string[]): string {
  const stats = statColumns(kind, '1m', fields).map(({ field, stat, col }) => {
    const c = ident(field)
    const counted = stat.startsWith('c')
    const base = counted ? stat.slice(1) : stat
    const filter = (extra: string) => {
      const conds = [...(counted ? [COUNTED] : []), ...(extra === '' ? [] : [extra])]
      return conds.length === 0 ? '' : ` FILTER (WHERE ${conds.join(' AND ')})`
    }
    const expr = ({
      n: `count(${c})`,
      sum: `sum(${c})`,
      min: `min(${c})`,
      max: `max(${c})`,
      first: `arg_min(${c}, ts)`,
      last: `arg_max(${c}, ts)`
    } as Record<string, string>)[base]!
    const needsNotNull = base === 'first' || base === 'last'
    return `${expr}${filter(needsNotNull ? `${c} IS NOT NULL` : '')}${base === 'n' ? '' : '::DOUBLE'} AS ${ident(col)}`
  })
  const w = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`
  return `SELECT site, device, m AS t, count(*) AS "rows", ${stats.join(', ')} ` +
    `FROM (SELECT *, date_trunc('minute', ts) AS m FROM ${ident(MEASUREMENT[kind])}${w}) GROUP BY site, device, m`
}

/** The 1-hour rollup rows of 1-minute rollup rows (`minutes`: a relation with the 1m columns). */
export function hourAggSql (kind: Kind, minutes: string, fields?: readonly string[]): string {
  const stats = statColumns(kind, '1h', fields).map(({ field, stat, col: out }) => `${hourStat(field, stat)} AS ${ident(out)}`)
  return `SELECT site, device, h AS t, sum("rows")::BIGINT AS "rows", ${stats.join(', ')} ` +
    `FROM (SELECT *, t AS mt, date_trunc('hour', t) AS h FROM (${minutes})) GROUP BY site, device, h`
}

function hourStat (field: string, stat: string): string {
  const col = (s: string) => ident(`${field}_${s}`)
  const counted = stat.startsWith('c')
  const n = col(counted ? 'cn' : 'n')
  switch (counted ? stat.slice(1) : stat) {
    case 'n': return `sum(${n})::BIGINT`
    case 'sum': return `sum(${col(stat)})`
    case 'min': return `min(${col(stat)})`
    case 'max': return `max(${col(stat)})`
    case 'first': return `arg_min(${col(stat)}, mt) FILTER (WHERE ${n} > 0)`
    case 'last': return `arg_max(${col(stat)}, mt) FILTER (WHERE ${n} > 0)`
    case 'minutes': return `count(*) FILTER (WHERE ${n} > 0)`
    default: throw new Error(`unknown rollup stat ${stat}`)
  }
}

/**
 * The 1-minute rollup rows of `scope` in the `ranges` (minute aligned), as of the marks `dirty`
 * (the marked minutes in those ranges, as ranges): stored rows of the clean minutes, and the
 * marked minutes computed from the raw readings.
 */
export function minuteRelation (kind: Kind, scope: Scope, ranges: readonly Range[], dirty: readonly Range[]): string {
  const where = scopeWhere(scope)
  const clean = `SELECT ${rollupColumnList(kind, '1m', scope.fields)} FROM ${ident(rollupTable(kind, '1m'))} WHERE ${[...where, inRanges('t', ranges), `NOT ${inRanges('t', dirty)}`].join(' AND ')}`
  return [clean, ...rawMinutes(kind, where, dirty, scope.fields)].join(' UNION ALL ')
}

/** The 1-hour rollup rows of `scope` in `ranges` (hour aligned), as of the marked minutes `dirty`. */
export function hourRelation (kind: Kind, scope: Scope, ranges: readonly Range[], dirty: readonly Range[]): string {
  const dirtyHours = toRanges(dirty.flatMap(minuteStarts), HOUR)
  const clean = `SELECT ${rollupColumnList(kind, '1h', scope.fields)} FROM ${ident(rollupTable(kind, '1h'))} WHERE ${[...scopeWhere(scope), inRanges('t', ranges), `NOT ${inRanges('t', dirtyHours)}`].join(' AND ')}`
  if (dirtyHours.length === 0) return clean
  return `${clean} UNION ALL ${hourAggSql(kind, minuteRelation(kind, scope, dirtyHours, dirty), scope.fields)}`
}

/** Minute starts of a range (a range of marks spans few minutes; an hour of marks 60). */
function minuteStarts (r: Range): number[] {
  const out: number[] = []
  for (let t = r.from; t < r.to; t += MINUTE) out.push(t)
  return out
}

/** SQL of the marked minutes of a kind in [from, to), oldest first, at most `limit`. */
export function dirtyMinutesSql (kind: Kind, range?: Range, limit?: number): string {
  const where = [`kind = ${lit(kind)}`, ...(range === undefined ? [] : [inRanges('t', [range])])]
  return `SELECT DISTINCT epoch_ms(t) AS t FROM ${ROLLUP_DIRTY_TABLE} WHERE ${where.join(' AND ')} ORDER BY t${limit === undefined ? '' : ` LIMIT ${limit}`}`
}

/**
 * The statements of one pass of the rollup job over a kind's marked minutes `dirty`: their 1-minute
 * rows recomputed from the raw readings, the 1-hour rows of their hours from the 1-minute rows, and
 * the marks removed. Run in one transaction: a mark committed after it began is not visible to it,
 * so it is neither removed nor lost.
 */
export function refreshSql (kind: Kind, dirty: readonly Range[]): string[] {
  const m = ident(rollupTable(kind, '1m'))
  const h = ident(rollupTable(kind, '1h'))
  const hours = toRanges(dirty.flatMap(minuteStarts), HOUR)
  return [
    `DELETE FROM ${m} WHERE ${inRanges('t', dirty)}`,
    ...rawMinutes(kind, [], dirty).map((sel) => `INSERT INTO ${m} (${rollupColumnList(kind, '1m')}) ${sel}`),
    `DELETE FROM ${h} WHERE ${inRanges('t', hours)}`,
    `INSERT INTO ${h} (${rollupColumnList(kind, '1h')}) ${hourAggSql(kind, `SELECT ${rollupColumnList(kind, '1m')} FROM ${m} WHERE ${inRanges('t', hours)}`)}`,
    `DELETE FROM ${ROLLUP_DIRTY_TABLE} WHERE kind = ${lit(kind)} AND ${inRanges('t', dirty)}`
  ]
}

export type SeriesSource = 'raw' | 'rollup-1m' | 'rollup-1h'

function sameSet (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/**
 * Where a series query is answered. Rollups give the same answer as the raw readings when every
 * bucket is a union of whole rollup buckets (step a multiple of the level, from and to on its
 * boundaries), the query selects all readings or exactly the counted ones (dust), and not one
 * locator entity (rollups are per device). The hour level is taken when it fits, else the minute level.
 */
export function seriesSource (q: SeriesQuery): SeriesSource {
  if (q.entityId !== undefined) return 'raw'
  if (!rolledFields(q.kind).includes(q.field)) return 'raw'
  if (q.flags !== undefined && !(hasCounted(q.kind, q.field) && sameSet(q.flags, COUNTED_FLAGS))) return 'raw'
  const fits = (w: number) => q.stepMs % w === 0 && q.from % w === 0 && q.to % w === 0
  if (fits(HOUR)) return 'rollup-1h'
  if (fits(MINUTE)) return 'rollup-1m'
  return 'raw'
}

/** How a series aggregate combines rollup rows of one bucket (rows without the field are left out). */
function combine (agg: Aggregate, col: (s: string) => string): string {
  switch (agg) {
    case 'mean': return `sum(${col('sum')}) / sum(${col('n')})`
    case 'min': return `min(${col('min')})`
    case 'max': return `max(${col('max')})`
    case 'sum': return `sum(${col('sum')})`
    case 'count': return `sum(${col('n')})`
    case 'first': return `arg_min(${col('first')}, b)`
    case 'last': return `arg_max(${col('last')}, b)`
  }
}

/** A series query answered from the rollups of `source`, as of the marked minutes `dirty` in [from, to). */
export function rollupSeriesSql (q: SeriesQuery, source: Exclude<SeriesSource, 'raw'>, dirty: readonly Range[]): string {
  const scope = { site: q.site, device: q.device, fields: [q.field] }
  const range = [{ from: q.from, to: q.to }]
  const rel = source === 'rollup-1h' ? hourRelation(q.kind, scope, range, dirty) : minuteRelation(q.kind, scope, range, dirty)
  const prefix = q.flags === undefined ? '' : 'c'
  const col = (s: string) => ident(`${q.field}_${prefix}${s}`)
  if (!Number.isSafeInteger(q.stepMs) || q.stepMs <= 0) throw new MinewatchError('MW_BAD_REQUEST', `stepMs must be a positive integer, got ${String(q.stepMs)}`)
  return `SELECT device, (epoch_ms(b) // ${q.stepMs}) * ${q.stepMs} AS t, (${combine(q.agg, col)})::DOUBLE AS value ` +
    `FROM (SELECT *, t AS b FROM (${rel})) WHERE ${col('n')} > 0 GROUP BY ALL ORDER BY device, t`
}

/** The rollup rows of one site and kind in [from, to), ordered by t, device: what an export writes. */
export function rollupExportSelect (kind: Kind, level: RollupLevel, site: string, range: Range, dirty: readonly Range[]): string {
  const rel = level === '1h' ? hourRelation(kind, { site }, [range], dirty) : minuteRelation(kind, { site }, [range], dirty)
  return `SELECT ${rollupColumnList(kind, level)} FROM (${rel}) ORDER BY t, device`
}

/**
 * The series query of rollupSeriesSql as if no minute of [from, to) were marked, in one statement
 * with the number of marks there: its first row (device NULL) holds that number in `marks`, the
 * points follow. One statement reads one snapshot, so when `marks` is 0 the points are the answer
 * (one round trip instead of a read transaction of four); else the caller reads the marks and asks again.
 */
export function cleanSeriesSql (q: SeriesQuery, source: Exclude<SeriesSource, 'raw'>): string {
  const marks = `SELECT count(*) AS n FROM ${ROLLUP_DIRTY_TABLE} WHERE kind = ${lit(q.kind)} AND ${inRanges('t', [{ from: q.from, to: q.to }])}`
  return `SELECT NULL::VARCHAR AS device, NULL::BIGINT AS t, NULL::DOUBLE AS value, (${marks}) AS marks ` +
    `UNION ALL SELECT device, t, value, NULL FROM (${rollupSeriesSql(q, source, [])}) ORDER BY device NULLS FIRST, t`
}
