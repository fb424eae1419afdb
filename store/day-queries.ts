/**
 * Queries of one site-day over the TelemetryStore interface, shared by everything that judges a
 * stored day (the alert engine's day verdicts, the daily report), so both read the same data
 * the same way. The rules applied to the result live in core/ (water.ts, dust.ts).
 */
import type { TelemetryStore, SeriesPoint } from './telemetry.js'
import type { Kind } from '../core/kinds.js'
import type { DustMetric } from '../core/sites.js'
import { COUNTED_FLAGS, type HourMean } from '../core/dust.js'
import { DAY, HOUR, MINUTE } from '../core/time.js'
import type { Site } from '../core/sites.js'
import { positions } from '../core/registry.js'

/** How far before the day a totaliser's baseline (last value before the day) is looked for. */
export const BASELINE_LOOKBACK_MS = DAY

type Series = Pick<TelemetryStore, 'series'>

/** Points grouped by device, each list in time order. */
export function byDevice (points: readonly SeriesPoint[]): Map<string, SeriesPoint[]> {
  const m = new Map<string, SeriesPoint[]>()
  for (const p of points) {
    let list = m.get(p.device)
    if (!list) m.set(p.device, (list = []))
    list.push(p)
  }
  for (const list of m.values()) list.sort((a, b) => a.t - b.t)
  return m
}

/** A device's totaliser over a range: the last value in the lookback before it, then the last of each minute. */
export interface TotaliserSeries {
  baseline: number | undefined
  /** Minute buckets in time order (t = the minute's start). */
  points: SeriesPoint[]
}

/** Totaliser series of each device of a kind (or of one device) over [from, to). */
export async function totaliserSeries (store: Series, site: string, kind: Kind, field: string, from: number, to: number, device?: string): Promise<Map<string, TotaliserSeries>> {
  const q = { site, kind, field, agg: 'last' as const, ...(device === undefined ? {} : { device }) }
  const [before, during] = await Promise.all([
    // hour buckets: the day starts on an hour boundary in Beijing (UTC+8), so no bucket straddles it
    store.series({ ...q, from: from - BASELINE_LOOKBACK_MS, to: from, stepMs: HOUR }),
    store.series({ ...q, from, to, stepMs: MINUTE })
  ])
  const out = new Map<string, TotaliserSeries>()
  for (const [d, points] of byDevice(before)) out.set(d, { baseline: points[points.length - 1]!.value, points: [] })
  for (const [d, points] of byDevice(during)) {
    const s = out.get(d)
    if (s) s.points = points
    else out.set(d, { baseline: undefined, points })
  }
  return out
}

/** Totaliser values of each device of a kind: the last one in the lookback before `from`, then the last of each minute. */
export async function totaliserValues (store: Series, site: string, kind: Kind, field: string, from: number, to: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>()
  for (const [d, s] of await totaliserSeries(store, site, kind, field, from, to)) {
    out.set(d, [...(s.baseline === undefined ? [] : [s.baseline]), ...s.points.map((p) => p.value)])
  }
  return out
}

/** 1-minute and 1-hour means of the readings whose flag counts (core/dust.ts COUNTED_FLAGS), per device. */
export interface DustMetricData {
  minute: readonly SeriesPoint[]
  hour: readonly SeriesPoint[]
}

export async function dustMetricData (store: Series, site: string, metric: DustMetric, from: number, to: number): Promise<DustMetricData> {
  const q = { site, kind: 'dust' as const, field: metric, from, to, agg: 'mean' as const, flags: COUNTED_FLAGS }
  const [minute, hour] = await Promise.all([store.series({ ...q, stepMs: MINUTE }), store.series({ ...q, stepMs: HOUR })])
  return { minute, hour }
}

/**
 * A site's dust data with each replacement chain as one device, under the id now at its position
 * (core/registry.ts positions): minute means of the same minute are averaged, hour means weighted
 * by their minutes of data, so the position's hours and daily mean span the swap.
 */
export async function siteDustData (store: Series, site: Site, metric: DustMetric, from: number, to: number): Promise<DustMetricData> {
  return alongPositions(await dustMetricData(store, site.id, metric, from, to), positions(site))
}

export function alongPositions (d: DustMetricData, pos: ReadonlyMap<string, string>): DustMetricData {
  if (![...pos].some(([id, at]) => id !== at)) return d
  const hourKey = (device: string, t: number) => `${device}\u0000${Math.floor(t / HOUR) * HOUR}`
  const minutes = new Map<string, number>()
  for (const p of d.minute) minutes.set(hourKey(p.device, p.t), (minutes.get(hourKey(p.device, p.t)) ?? 0) + 1)
  const merge = (points: readonly SeriesPoint[], weight: (p: SeriesPoint) => number): SeriesPoint[] => {
    const acc = new Map<string, { device: string, t: number, sum: number, w: number }>()
    for (const p of points) {
      const device = pos.get(p.device) ?? p.device
      const k = `${device}\u0000${p.t}`
      const w = Math.max(1, weight(p))
      const a = acc.get(k)
      if (a) { a.sum += p.value * w; a.w += w } else acc.set(k, { device, t: p.t, sum: p.value * w, w })
    }
    return [...acc.values()].map((a) => ({ device: a.device, t: a.t, value: a.sum / a.w }))
  }
  return { minute: merge(d.minute, () => 1), hour: merge(d.hour, (p) => minutes.get(hourKey(p.device, p.t)) ?? 1) }
}

/** Each device's hourly means with the minutes of data behind each (for core/dust.ts validity). */
export function hourMeans (d: DustMetricData): Map<string, HourMean[]> {
  const minutes = new Map<string, number>()
  for (const p of d.minute) {
    const key = `${p.device}\u0000${Math.floor(p.t / HOUR) * HOUR}`
    minutes.set(key, (minutes.get(key) ?? 0) + 1)
  }
  const out = new Map<string, HourMean[]>()
  for (const p of d.hour) {
    let list = out.get(p.device)
    if (!list) out.set(p.device, (list = []))
    list.push({ t: p.t, mean: p.value, minutes: minutes.get(`${p.device}\u0000${p.t}`) ?? 0 })
  }
  return out
}

/** Devices of a kind with at least one stored reading carrying `field` in [from, to) (any flag). */
export async function devicesWithData (store: Series, site: string, kind: Kind, field: string, from: number, to: number): Promise<Set<string>> {
  const points = await store.series({ site, kind, field, from, to, stepMs: to - from, agg: 'count' })
  return new Set(points.filter((p) => p.value > 0).map((p) => p.device))
}
