/**
 * Interval data (CN 2051 minute, 2061 hourly, 2031 daily) of a dust monitor, read from the store
 * the way the daily report reads it (store/day-queries.ts dustMetricData: means of the readings
 * whose flag counts) and judged by core/dust.ts: an hour is sent only when its mean is valid
 * (hourlyValid: ≥ 45 minutes, GB 3095-2012 §8), a day only when dayMean is valid (≥ 20 valid
 * hours, GB 3095-2012 §8). DataTime is the interval's start (HJ 212-2017 §6.6).
 */
import type { TelemetryStore } from '../../store/telemetry.js'
import { dustMetricData, hourMeans } from '../../store/day-queries.js'
import { dayMean, hourlyValid } from '../../core/dust.js'
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

/**
 * One CP per interval of `device` starting in [from, to) that has a value to send, in time
 * order: `DataTime` and, per particulate, `-Avg` (mg/m³) with flag N.
 */
export async function dustIntervalCps (store: Series, site: string, device: string, cn: IntervalCn, from: number, to: number): Promise<CpGroup[][]> {
  const begin = intervalStart(cn, from)
  if (begin >= to) return []
  // the hours behind a day (or an hour) are read whole: validity needs every minute of them
  const byStart = new Map<number, CpGroup[]>()
  for (const [field, code] of PARTICULATES) {
    const d = await dustMetricData(store, site, field as DustMetric, begin, to)
    const values: Array<[number, number]> = []
    if (cn === '2051') {
      for (const p of d.minute) if (p.device === device) values.push([p.t, p.value])
    } else {
      const hours = (hourMeans(d).get(device) ?? [])
      if (cn === '2061') {
        for (const h of hours) if (hourlyValid(h.minutes)) values.push([h.t, h.mean])
      } else {
        for (let day = begin; day < to; day += DAY) {
          const m = dayMean(hours.filter((h) => h.t >= day && h.t < day + DAY))
          if (m.valid) values.push([day, m.mean])
        }
      }
    }
    for (const [t, v] of values) {
      if (t < from && cn !== '2031') continue
      let cp = byStart.get(t)
      if (!cp) byStart.set(t, cp = [[['DataTime', formatDataTime(t)]]])
      cp.push([[`${code}-Avg`, String(v)], [`${code}-Flag`, 'N']])
    }
  }
  return [...byStart.keys()].sort((a, b) => a - b).map((t) => byStart.get(t)!)
}
