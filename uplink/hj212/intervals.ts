/**
 * Interval data (CN 2051 minute, 2061 hourly, 2031 daily) of a dust monitor or a water meter.
 *
 * Dust: read from the store
 * the way the daily report reads it (store/day-queries.ts dustMetricData: means of the readings
 * whose flag counts) and judged by core/dust.ts: an hour is sent only when its mean is valid
 * (hourlyValid: ≥ 45 minutes, GB 3095-2012 §8), a day only when dayMean is valid (≥ 20 valid
 * hours, GB 3095-2012 §8). DataTime is the interval's start (HJ 212-2017 §6.6). Each particulate
 * carries -Min, -Avg and -Max.
 *
 * Water (w00000): -Min, -Avg, -Max of the meter's real-time flow (L/s on the wire) and -Cou, the
 * interval's volume (m³): the totaliser's minute values stepped through core/water.ts
 * totaliserStep (rise, rollover, reset, glitch) from the baseline before the Beijing day, the
 * way the day facts take a day's volume (store/day-facts.ts), so a day's hourly volumes add up
 * to the meter's volume in that day's facts.
 */
import type { TelemetryStore } from '../../store/telemetry.js'
import { dustMetricData, hourMeans, totaliserSeries } from '../../store/day-queries.js'
import { COUNTED_FLAGS, dayMean, hourlyValid } from '../../core/dust.js'
import { nextBaseline, totaliserStep } from '../../core/water.js'
import { DAY, HOUR, MINUTE, beijingDayStart } from '../../core/time.js'
import type { Device, DustMetric } from '../../core/sites.js'
import type { CpGroup } from '../../hj212/frame.js'
import { formatDataTime } from '../../hj212/datatime.js'
import { M3H_PER_LPS, PARTICULATES } from '../../hj212/realtime.js'

export type IntervalCn = '2051' | '2061' | '2031'
export const INTERVAL_CNS: readonly IntervalCn[] = ['2051', '2061', '2031']

/** Interval length of each command, ms (a day is a Beijing calendar day). */
export const INTERVAL_MS: Readonly<Record<IntervalCn, number>> = { 2051: MINUTE, 2061: HOUR, 2031: DAY }

/** Start of the interval holding `t`. */
export function intervalStart (cn: IntervalCn, t: number): number {
  return cn === '2031' ? beijingDayStart(t) : Math.floor(t / INTERVAL_MS[cn]) * INTERVAL_MS[cn]
}

type Series = Pick<TelemetryStore, 'series'>

/** One interval's statistics of a particulate, mg/m³. */
interface Stat { min: number, avg: number, max: number }

/**
 * Min and max of the counted readings per device and bucket start (the same readings the means
 * average: core/dust.ts COUNTED_FLAGS).
 */
async function extremes (store: Series, site: string, device: string, field: string, stepMs: number, from: number, to: number): Promise<Map<number, { min: number, max: number }>> {
  const q = { site, kind: 'dust' as const, device, field, from, to, stepMs, flags: COUNTED_FLAGS }
  const [min, max] = await Promise.all([store.series({ ...q, agg: 'min' }), store.series({ ...q, agg: 'max' })])
  const out = new Map<number, { min: number, max: number }>()
  for (const p of min) if (p.device === device) out.set(p.t, { min: p.value, max: p.value })
  for (const p of max) { const e = out.get(p.t); if (p.device === device && e) e.max = p.value }
  return out
}

/**
 * One CP per interval of `device` starting in [from, to) that has a value to send, in time
 * order: `DataTime` and, per particulate, `-Min`, `-Avg`, `-Max` (mg/m³) with flag N. Min and max
 * are the extremes of what the average is made of: a minute's and an hour's counted readings, a
 * day's valid hourly means (GB 3095-2012 §8, core/dust.ts dayMean).
 */
export async function dustIntervalCps (store: Series, site: string, device: string, cn: IntervalCn, from: number, to: number): Promise<CpGroup[][]> {
  const begin = intervalStart(cn, from)
  if (begin >= to) return []
  // the hours behind a day (or an hour) are read whole: validity needs every minute of them
  const byStart = new Map<number, CpGroup[]>()
  for (const [field, code] of PARTICULATES) {
    const d = await dustMetricData(store, site, field as DustMetric, begin, to)
    const values: Array<[number, Stat]> = []
    if (cn === '2051') {
      const ex = await extremes(store, site, device, field, MINUTE, begin, to)
      for (const p of d.minute) {
        const e = ex.get(p.t)
        if (p.device === device && e) values.push([p.t, { min: e.min, avg: p.value, max: e.max }])
      }
    } else {
      const hours = (hourMeans(d).get(device) ?? [])
      if (cn === '2061') {
        const ex = await extremes(store, site, device, field, HOUR, begin, to)
        for (const h of hours) {
          const e = ex.get(h.t)
          if (hourlyValid(h.minutes) && e) values.push([h.t, { min: e.min, avg: h.mean, max: e.max }])
        }
      } else {
        for (let day = begin; day < to; day += DAY) {
          const inDay = hours.filter((h) => h.t >= day && h.t < day + DAY)
          const m = dayMean(inDay)
          if (!m.valid) continue
          const valid = inDay.filter((h) => hourlyValid(h.minutes)).map((h) => h.mean)
          values.push([day, { min: Math.min(...valid), avg: m.mean, max: Math.max(...valid) }])
        }
      }
    }
    for (const [t, v] of values) {
      if (t < from && cn !== '2031') continue
      let cp = byStart.get(t)
      if (!cp) byStart.set(t, cp = [[['DataTime', formatDataTime(t)]]])
      cp.push([[`${code}-Min`, String(v.min)], [`${code}-Avg`, String(v.avg)], [`${code}-Max`, String(v.max)], [`${code}-Flag`, 'N']])
    }
  }
  return [...byStart.keys()].sort((a, b) => a - b).map((t) => byStart.get(t)!)
}

/** The interval data of a device of either kind (`rolloverM3`: the site's totaliser rollover, core/sites.ts). */
export function intervalCps (store: Series, site: string, device: Pick<Device, 'id' | 'kind'>, cn: IntervalCn, from: number, to: number, rolloverM3: number): Promise<CpGroup[][]> {
  if (device.kind === 'dust') return dustIntervalCps(store, site, device.id, cn, from, to)
  if (device.kind === 'water') return waterIntervalCps(store, site, device.id, cn, from, to, rolloverM3)
  return Promise.resolve([])
}

/** Flow statistics of one interval, m³/h, and its volume, m³. */
interface WaterStat { n: number, sum: number, min: number, max: number, volume: number, totals: number }

/**
 * One CP per interval of water meter `device` starting in [from, to) that holds a reading, in time
 * order: `DataTime` and `w00000-Min`, `-Avg`, `-Max` (L/s, over the real-time flow values of the
 * interval, when it has any), `-Cou` (m³, the interval's volume) and `-Flag` N. The volume of a
 * totaliser step belongs to the interval of the step's later value.
 */
export async function waterIntervalCps (store: Series, site: string, device: string, cn: IntervalCn, from: number, to: number, rolloverM3: number): Promise<CpGroup[][]> {
  const begin = intervalStart(cn, from)
  if (begin >= to) return []
  const stats = new Map<number, WaterStat>()
  const stat = (t: number): WaterStat => {
    const k = intervalStart(cn, t)
    let s = stats.get(k)
    if (!s) stats.set(k, s = { n: 0, sum: 0, min: Infinity, max: -Infinity, volume: 0, totals: 0 })
    return s
  }
  // flow: minute (2051) or hour buckets of mean, count, min and max, merged into intervals
  const stepMs = cn === '2051' ? MINUTE : HOUR
  const q = { site, kind: 'water' as const, device, field: 'flowM3h', from: begin, to, stepMs }
  const [mean, count, min, max] = await Promise.all((['mean', 'count', 'min', 'max'] as const).map((agg) => store.series({ ...q, agg })))
  const key = (p: { device: string, t: number }) => p.device === device ? p.t : NaN
  const counts = new Map(count!.map((p) => [key(p), p.value]))
  const mins = new Map(min!.map((p) => [key(p), p.value]))
  const maxs = new Map(max!.map((p) => [key(p), p.value]))
  for (const p of mean!) {
    const n = counts.get(key(p)) ?? 0
    if (n === 0) continue
    const s = stat(p.t)
    s.n += n
    s.sum += p.value * n
    s.min = Math.min(s.min, mins.get(p.t) ?? p.value)
    s.max = Math.max(s.max, maxs.get(p.t) ?? p.value)
  }
  // volume: each Beijing day from its own baseline, as the day facts take it
  const out = new Float64Array(1)
  for (let day = beijingDayStart(begin); day < to; day += DAY) {
    const series = (await totaliserSeries(store, site, 'water', 'totalM3', day, Math.min(day + DAY, to), device)).get(device)
    if (!series) continue
    let base = series.baseline ?? NaN
    for (const p of series.points) {
      const step = totaliserStep(base, p.value, rolloverM3, out)
      base = nextBaseline(base, p.value, step)
      if (p.t < begin) continue
      const s = stat(p.t)
      s.volume += out[0]!
      s.totals++
    }
  }
  const cps: CpGroup[][] = []
  for (const t of [...stats.keys()].sort((a, b) => a - b)) {
    if (t < from && cn !== '2031') continue
    const s = stats.get(t)!
    const g: CpGroup = []
    if (s.n > 0) g.push(['w00000-Min', String(s.min / M3H_PER_LPS)], ['w00000-Avg', String(s.sum / s.n / M3H_PER_LPS)], ['w00000-Max', String(s.max / M3H_PER_LPS)])
    if (s.totals > 0) g.push(['w00000-Cou', String(s.volume)])
    g.push(['w00000-Flag', 'N'])
    cps.push([[['DataTime', formatDataTime(t)]], g])
  }
  return cps
}
