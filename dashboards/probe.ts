/**
 * Runs a generated dashboard's queries against an InfluxDB 1.x /query endpoint, as Grafana
 * would send them, and reports per query whether it answered with data and whether the
 * answer fits its panel (series names its overrides know, columns its transformations read).
 * The integration tests use it; operators can too:
 *
 *   npx tsx dashboards/probe.ts --url http://influx:8086 --db minewatch [--site <id>] [--user u --password p]
 */
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve, join } from 'node:path'
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import { resolveQueries, aliasName, type ResolvedQuery } from './grafana.js'

/** One series of an InfluxQL answer. */
export interface InfluxSeries {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

export interface InfluxEndpoint {
  url: string
  db: string
  username?: string
  password?: string
}

/** Runs one InfluxQL statement (epoch ms); throws with InfluxDB's message when it is refused. */
export async function queryInflux (ep: InfluxEndpoint, q: string): Promise<InfluxSeries[]> {
  const params = new URLSearchParams({ q, db: ep.db, epoch: 'ms' })
  if (ep.username !== undefined) params.set('u', ep.username)
  if (ep.password !== undefined) params.set('p', ep.password)
  const res = await fetch(`${ep.url.replace(/\/+$/, '')}/query`, { method: 'POST', body: params })
  const text = await res.text()
  let body: { error?: string, results?: { error?: string, series?: InfluxSeries[] }[] }
  try { body = JSON.parse(text) } catch { throw new Error(`InfluxDB answered ${res.status} with non-JSON: ${text.slice(0, 200)}`) }
  const err = body.error ?? body.results?.[0]?.error
  if (!res.ok || err) throw new Error(`InfluxDB refused the query (${err ?? res.status}): ${q}`)
  return body.results?.[0]?.series ?? []
}

/** Series names Grafana derives from a time_series answer (alias pattern, else measurement.column). */
export function seriesNames (q: ResolvedQuery, series: InfluxSeries[]): string[] {
  return series.flatMap((s) => s.columns.slice(1).map((c) => q.alias ? aliasName(q.alias, s, c) : `${s.name}.${c}`))
}

/** Column names of a table answer as Grafana's table format has them (tags as columns, time as Time). */
export function tableColumns (series: InfluxSeries[]): Set<string> {
  const cols = new Set<string>()
  for (const s of series) {
    for (const t of Object.keys(s.tags ?? {})) cols.add(t)
    for (const c of s.columns) cols.add(c === 'time' ? 'Time' : c)
  }
  return cols
}

/** Does a byName / byRegexp override of the panel match a series name. */
export function overrideMatches (panel: Panel, name: string): boolean {
  return (panel.fieldConfig?.overrides ?? []).some((o) =>
    (o.matcher.id === 'byName' && o.matcher.options === name) ||
    (o.matcher.id === 'byRegexp' && new RegExp(o.matcher.options as string).test(name)))
}

/** Does the panel set per-series overrides (byName / byRegexp). */
export function hasSeriesOverrides (panel: Panel): boolean {
  return (panel.fieldConfig?.overrides ?? []).some((o) => o.matcher.id === 'byName' || o.matcher.id === 'byRegexp')
}

/** Input fields a panel's transformations read (groupBy fields, joinByField's key). */
export function transformationInputs (panel: Panel): string[] {
  const fields: string[] = []
  for (const t of panel.transformations ?? []) {
    if (t.id === 'groupBy') fields.push(...Object.keys(t.options.fields))
    if (t.id === 'joinByField') fields.push(t.options.byField)
  }
  return fields
}

export interface ProbeResult {
  query: ResolvedQuery
  panel: Panel
  series: InfluxSeries[]
  /** Empty when the answer fits its panel. */
  problems: string[]
}

/** Runs every query of the dashboard and checks each answer against its panel. */
export async function probeDashboard (ep: InfluxEndpoint, dashboard: Dashboard, vars: Record<string, string>, now = Date.now()): Promise<ProbeResult[]> {
  const panels = (dashboard.panels ?? []) as Panel[]
  const out: ProbeResult[] = []
  for (const q of resolveQueries(dashboard, { now, vars })) {
    const panel = panels.find((p) => p.id === q.panelId)!
    const series = await queryInflux(ep, q.query)
    const problems: string[] = []
    if (series.length === 0 || series.every((s) => s.values.length === 0)) problems.push('no data')
    if (q.format === 'time_series' && hasSeriesOverrides(panel)) {
      for (const n of seriesNames(q, series)) if (!overrideMatches(panel, n)) problems.push(`no override matches series ${n}`)
    }
    if (q.format === 'table' && series.length > 0) {
      const cols = tableColumns(series)
      const needed = [...transformationInputs(panel), ...(panel.type === 'geomap' && q.query.includes('"lat"') ? ['lat', 'lon'] : [])]
      for (const f of needed) if (!cols.has(f)) problems.push(`column ${f} missing`)
    }
    out.push({ query: q, panel, series, problems })
  }
  return out
}

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { url: { type: 'string' }, db: { type: 'string', default: 'minewatch' }, site: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' } } })
  if (!values.url) throw new Error('--url http://host:8086 is required')
  const root = resolve(fileURLToPath(import.meta.url), '..', 'provisioning', 'dashboards', 'json')
  const ep: InfluxEndpoint = { url: values.url, db: values.db!, username: values.user, password: values.password }
  let bad = 0
  for (const file of ['minewatch-site.json', 'minewatch-overview.json']) {
    const d = JSON.parse(readFileSync(join(root, file), 'utf8')) as Dashboard
    const site = values.site ?? (d.templating?.list?.[0]?.current?.value as string | undefined) ?? ''
    for (const r of await probeDashboard(ep, d, { site })) {
      if (r.problems.length > 0) bad++
      console.log(`${r.problems.length === 0 ? 'ok ' : 'BAD'} ${d.title} / ${r.query.panelTitle} ${r.query.refId}${r.problems.length ? ': ' + r.problems.join('; ') : ''}`)
    }
  }
  return bad === 0 ? 0 : 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code }, (err: Error) => { console.error(err.message); process.exitCode = 2 })
}
