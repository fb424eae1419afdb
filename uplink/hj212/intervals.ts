/**
 * Interval data (CN 2051 minute, 2061 hourly, 2031 daily) of a dust monitor, read from the store
 * the way the daily report reads it (store/day-queries.ts dustMetricData: means of the readings
 * whose flag counts) and judged by core/dust.ts: an hour is sent only when its mean is valid
 * (hourlyValid: ≥ 45 minutes, GB 3095-2012 §8), a day only when dayMean is valid (≥ 20 valid
 * hours, GB 3095-2012 §8). DataTime is the interval's start (HJ 212-2017 §6.6). Each particulate
 * carries -Min, -Avg and -Max.
 */
import type { TelemetryStore } from '../../store/telemetry.js'
import { dustMetricData, hourMeans } from '../../store/day-queries.js'
import { COUNTED_FLAGS, dayMean, hourlyValid } from '../../core/dust.js'
import { DAY, HOUR, MINUTE, beijingDayStart } from '../../core/time.js'
import type { DustMetric } from '../../core/sites.js'
import type { CpGroup } from '../../hj212/frame.js'
import { formatDataTime } from '../../hj212/datatime.js'
import { PARTICULATES } from '../../hj212/realtime.js'

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
