/**
 * Dust section of the daily report, per limit of the site (core/sites.ts dust.limits):
 * - exceedance minutes: the minutes of the window in which at least one dust monitor's
 *   1-minute mean of its valid readings is strictly above the limit (each minute counted
 *   once however many monitors exceed; byDevice counts per monitor);
 * - maximum hourly average: the highest 1-hour mean of valid readings of any monitor
 *   (hours are clock hours, which are the same in Beijing time and UTC), against the limit.
 * Valid readings are those with HJ 212-2017 flag N or T (see VALID_DUST_FLAGS).
 */
import type { SeriesPoint } from '../../store/telemetry.js'
import type { DustLimit, DustMetric } from '../../core/sites.js'
import type { DustRow } from './schema.js'

/**
 * Flags whose values count (HJ 212-2017: N normal; T over range, the true value is at least
 * the reported one, domain.md §3 "T is both"), as in the dust_exceedance alert rule.
 */
export const VALID_DUST_FLAGS = ['N', 'T'] as const

/** 1-minute and 1-hour means of valid readings of one metric, per device. */
export interface DustMetricData {
  minute: readonly SeriesPoint[]
  hour: readonly SeriesPoint[]
}

/** One row per limit of the site; `devices` are the site's dust monitors. */
export function dustRows (limits: readonly DustLimit[], devices: readonly string[], data: ReadonlyMap<DustMetric, DustMetricData>): DustRow[] {
  return limits.map((limit) => {
    const d = data.get(limit.metric) ?? { minute: [], hour: [] }
    const byDevice: Record<string, number> = {}
    for (const dev of devices) byDevice[dev] = 0
    const minutes = new Set<number>()
    for (const p of d.minute) {
      if (p.value > limit.limit) {
        minutes.add(p.t)
        byDevice[p.device] = (byDevice[p.device] ?? 0) + 1
      }
    }
    let max: DustRow['maxHourlyAvg'] = null
    for (const p of d.hour) {
      if (max === null || p.value > max.value) max = { value: p.value, device: p.device, hourStart: p.t }
    }
    return {
      metric: limit.metric,
      limit: limit.limit,
      windowS: limit.windowS,
      standard: limit.standard,
      devices: devices.length,
      exceedanceMinutes: minutes.size,
      byDevice,
      maxHourlyAvg: max,
      maxHourlyAvgAboveLimit: max !== null && max.value > limit.limit
    }
  })
}
