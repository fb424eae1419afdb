/**
 * Dust section of the daily report, per limit of the site (core/sites.ts dust.limits), over the
 * monitors the limit applies to (core/dust.ts limitApplies: legal limits to the roles their
 * standard covers, GB 16297-1996 and GB 3095-2012 the boundary):
 * - exceedance minutes: the minutes in which at least one of those monitors' 1-minute mean of
 *   counted readings is strictly above the limit (each minute counted once however many monitors
 *   exceed; byDevice counts per monitor);
 * - maximum hourly average: the highest valid hourly mean (GB 3095-2012 §8: ≥ 45 minutes of data)
 *   of any of those monitors (hours are clock hours, the same in Beijing time and UTC);
 * - calendar-day limits (GB 3095-2012 24 h): each monitor's daily mean (the mean of its valid
 *   hourly means, valid with ≥ 20 of them) and how many monitors' valid daily means exceed the
 *   limit, exactly as the dust_exceedance day verdict judges them.
 * Counted readings are those whose HJ 212-2017 flag counts (core/dust.ts COUNTED_FLAGS).
 */
import type { Device, DustLimit, DustMetric } from '../../core/sites.js'
import { roleOf } from '../../core/sites.js'
import { dayMean, hourlyValid, isCalendarDayLimit, isLegal, limitApplies } from '../../core/dust.js'
import { hourMeans, type DustMetricData } from '../../store/day-queries.js'
import type { DustRow } from './schema.js'

export type { DustMetricData }

/** One row per limit of the site; `monitors` are the site's dust monitors. */
export function dustRows (limits: readonly DustLimit[], monitors: readonly Device[], data: ReadonlyMap<DustMetric, DustMetricData>): DustRow[] {
  return limits.map((limit) => {
    const devices = monitors.filter((m) => limitApplies(limit, roleOf(m, 'dust'))).map((m) => m.id)
    const covered = new Set(devices)
    const d = data.get(limit.metric) ?? { minute: [], hour: [] }
    const byDevice: Record<string, number> = {}
    for (const dev of devices) byDevice[dev] = 0
    const minutes = new Set<number>()
    for (const p of d.minute) {
      if (covered.has(p.device) && p.value > limit.limit) {
        minutes.add(p.t)
        byDevice[p.device] = (byDevice[p.device] ?? 0) + 1
      }
    }
    const hours = hourMeans(d)
    let max: DustRow['maxHourlyAvg'] = null
    for (const dev of devices) {
      for (const h of hours.get(dev) ?? []) {
        if (hourlyValid(h.minutes) && (max === null || h.mean > max.value)) max = { value: h.mean, device: dev, hourStart: h.t }
      }
    }
    const dayMeans = isCalendarDayLimit(limit)
      ? devices.map((dev) => {
        const m = dayMean(hours.get(dev) ?? [])
        return { device: dev, value: m.valid ? m.mean : null, validHours: m.validHours, aboveLimit: m.valid && m.mean > limit.limit }
      })
      : null
    return {
      metric: limit.metric,
      limit: limit.limit,
      windowS: limit.windowS,
      standard: limit.standard ?? null,
      basis: isLegal(limit) ? 'legal' as const : 'operational' as const,
      devices: devices.length,
      exceedanceMinutes: minutes.size,
      byDevice,
      maxHourlyAvg: max,
      maxHourlyAvgAboveLimit: max !== null && max.value > limit.limit,
      dayMeans,
      dayExceedances: dayMeans === null ? null : dayMeans.filter((m) => m.aboveLimit).length
    }
  })
}
