/**
 * What Grafana does to a panel's InfluxQL before sending it, so tests (and people) can run
 * the generated queries against a real InfluxDB without a Grafana server: resolve the
 * dashboard or panel time range (now-6h, now/d, a panel's "15m"), pick $__interval the way
 * Grafana's rangeUtil does, and substitute $timeFilter, $__interval and template variables.
 */
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import type { InfluxQLTarget } from './target.js'

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 })

export interface TimeRange {
  /** Epoch ms, inclusive. */
  from: number
  /** Epoch ms, inclusive (Grafana's $timeFilter uses <=). */
  to: number
}

/** Wall-clock parts in a fixed-offset zone (Asia/Shanghai is UTC+8 all year). */
function startOf (unit: 'd' | 'M' | 'y', t: number, offsetMs: number): number {
  const d = new Date(t + offsetMs)
  const y = d.getUTCFullYear()
  const m = unit === 'y' ? 0 : d.getUTCMonth()
  const day = unit === 'd' ? d.getUTCDate() : 1
  return Date.UTC(y, m, day) - offsetMs
}

function endOf (unit: 'd' | 'M' | 'y', t: number, offsetMs: number): number {
  const d = new Date(startOf(unit, t, offsetMs) + offsetMs)
  const next = unit === 'd'
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : unit === 'M' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : Date.UTC(d.getUTCFullYear() + 1, 0, 1)
  return next - offsetMs - 1
}

/**
 * Grafana date math for the forms the dashboards use: `now`, `now-<n><unit>`, `now/<d|M|y>`.
 * `roundUp` picks the end of the rounded period (as Grafana does for the `to` of a range).
 */
export function dateMath (text: string, now: number, offsetMs: number, roundUp = false): number {
  if (text === 'now') return now
  const rel = /^now-(\d+)(ms|s|m|h|d|w)$/.exec(text)
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!
  const round = /^now\/([dMy])$/.exec(text)
  if (round) {
    const unit = round[1] as 'd' | 'M' | 'y'
    return roundUp ? endOf(unit, now, offsetMs) : startOf(unit, now, offsetMs)
  }
  throw new Error(`unsupported Grafana time expression ${JSON.stringify(text)}`)
}

/** Zone offset of the dashboards' time zones (only fixed-offset zones are supported). */
export function zoneOffsetMs (timezone: string | undefined): number {
  if (timezone === 'Asia/Shanghai') return 8 * 3_600_000
  if (timezone === 'utc' || timezone === 'UTC') return 0
  throw new Error(`unsupported dashboard time zone ${JSON.stringify(timezone)}`)
}

/**
 * The range a panel queries: the dashboard's, unless the panel sets timeFrom (Grafana's
 * "relative time": `15m` means now-15m → now; `now/d` means today, `now/M` this month ...).
 */
export function panelRange (dashboard: Dashboard, panel: Panel, now: number): TimeRange {
  const offset = zoneOffsetMs(dashboard.timezone)
  if (panel.timeFrom) {
    const tf = panel.timeFrom
    if (/^\d+(ms|s|m|h|d|w)$/.test(tf)) return { from: dateMath(`now-${tf}`, now, offset), to: now }
    return { from: dateMath(tf, now, offset), to: dateMath(tf, now, offset, true) }
  }
  const t = dashboard.time ?? { from: 'now-6h', to: 'now' }
  return { from: dateMath(t.from, now, offset), to: dateMath(t.to, now, offset, true) }
}

// Grafana rangeUtil.roundInterval: [upper bound of the raw interval, rounded interval], ms.
const ROUNDING: readonly [number, number][] = [
  [10, 1], [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000], [3500, 2000], [7500, 5000],
  [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
  [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
  [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [24_300_000, 21_600_000],
  [64_800_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [3_628_800_000, 2_592_000_000]
]

/** Grafana's automatic interval: range ÷ max data points, rounded to a "nice" value, at least `minMs`. */
export function autoIntervalMs (range: TimeRange, maxDataPoints: number, minMs: number): number {
  const raw = (range.to - range.from) / maxDataPoints
  const rounded = ROUNDING.find(([bound]) => raw <= bound)?.[1] ?? 31_536_000_000
  return Math.max(rounded, minMs)
}

/** An interval as Grafana prints it into queries: 20s, 1m, 2h, 1d (ms when not whole seconds). */
export function intervalText (ms: number): string {
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

export interface InterpolateContext {
  range: TimeRange
  intervalMs: number
  /** Template variable values by name (e.g. { site: 'zj-huzhou-quarry' }). */
  vars: Readonly<Record<string, string>>
}

/**
 * Substitutes what Grafana's InfluxDB datasource substitutes in a raw InfluxQL query and
 * throws when a `$` variable is left over (an undefined variable or a typo).
 */
export function interpolate (query: string, ctx: InterpolateContext): string {
  const { from, to } = ctx.range
  let q = query
    .replaceAll('$timeFilter', `time >= ${from}ms and time <= ${to}ms`)
    .replaceAll('$__interval_ms', String(ctx.intervalMs))
    .replaceAll('$__interval', intervalText(ctx.intervalMs))
    .replaceAll('$interval', intervalText(ctx.intervalMs))
    .replaceAll('$__from', String(from))
    .replaceAll('$__to', String(to))
  q = q.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!
    const v = ctx.vars[name]
    if (v === undefined) throw new Error(`query uses undefined variable ${m}: ${query}`)
    return v
  })
  return q
}

export interface ResolvedQuery {
  panelId: number
  panelTitle: string
  refId: string
  format: 'time_series' | 'table'
  alias?: string
  /** The InfluxQL as Grafana would send it. */
  query: string
  range: TimeRange
}

export interface ResolveOptions {
  /** "Now", epoch ms. */
  now: number
  vars: Readonly<Record<string, string>>
  /** Panel width in pixels, Grafana's default max data points (1920 px screen: about half of it). */
  maxDataPoints?: number
  /** The datasource's minimum interval (jsonData.timeInterval), ms. */
  minIntervalMs?: number
}

/** Every InfluxQL query of every panel, interpolated as Grafana would send it. */
export function resolveQueries (dashboard: Dashboard, opts: ResolveOptions): ResolvedQuery[] {
  const out: ResolvedQuery[] = []
  for (const panel of (dashboard.panels ?? []) as Panel[]) {
    const range = panelRange(dashboard, panel, opts.now)
    const intervalMs = autoIntervalMs(range, panel.maxDataPoints ?? opts.maxDataPoints ?? 1000, opts.minIntervalMs ?? 10_000)
    for (const t of (panel.targets ?? []) as unknown as InfluxQLTarget[]) {
      const r: ResolvedQuery = {
        panelId: panel.id ?? -1,
        panelTitle: panel.title ?? '',
        refId: t.refId,
        format: t.resultFormat,
        query: interpolate(t.query, { range, intervalMs, vars: opts.vars }),
        range
      }
      if (t.alias !== undefined) r.alias = t.alias
      out.push(r)
    }
  }
  return out
}

/** Grafana's series name for an alias pattern: $tag_<name>, $m / $measurement, $col. */
export function aliasName (alias: string, series: { name: string, tags?: Record<string, string> }, column: string): string {
  return alias
    .replace(/\$tag_(\w+)|\[\[tag_(\w+)\]\]/g, (_m, a?: string, b?: string) => series.tags?.[(a ?? b)!] ?? '')
    .replace(/\$measurement|\$m\b/g, series.name)
    .replace(/\$col\b/g, column)
}
