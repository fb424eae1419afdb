/**
 * Noise section of the daily report (GB 12348-2008 boundary noise, core/noise.ts), for the dust
 * monitors whose noise the limits apply to (core/noise.ts noiseApplies: role boundary): per
 * monitor the valid clock hours and those above the day or night limit in force at each hour's
 * start, the highest hourly Leq, and the night minutes whose highest counted level is above the
 * night limit plus the sudden-noise allowance. Null when the site sets no zone class.
 */
import type { Device, Site } from '../../core/sites.js'
import { NOISE_LIMITS, NOISE_STANDARD, isNight, nightPeakLimit, noiseApplies, noiseHourVerdicts } from '../../core/noise.js'
import type { SeriesPoint } from '../../store/telemetry.js'
import type { NoiseSection } from './schema.js'

/** 1-minute mean and 1-minute max of counted noise readings, all monitors (store/day-queries.ts noiseData). */
export interface NoiseData {
  minuteMean: readonly SeriesPoint[]
  minuteMax: readonly SeriesPoint[]
}

export function noiseSection (site: Pick<Site, 'noise'>, monitors: readonly Device[], data: NoiseData): NoiseSection | null {
  const s = site.noise
  if (s.zoneClass === undefined) return null
  const peak = nightPeakLimit(s)
  const rows = monitors.filter((m) => noiseApplies(s, m.kind, m.role)).map((m) => {
    const hours = noiseHourVerdicts(s, data.minuteMean.filter((p) => p.device === m.id))
    let max: { value: number, hourStart: number, night: boolean } | null = null
    for (const h of hours) if (h.valid && (max === null || h.leq > max.value)) max = { value: h.leq, hourStart: h.t, night: h.night }
    const valid = hours.filter((h) => h.valid)
    return {
      device: m.id,
      dayHours: valid.filter((h) => !h.night).length,
      nightHours: valid.filter((h) => h.night).length,
      dayExceedanceHours: valid.filter((h) => !h.night && h.above).length,
      nightExceedanceHours: valid.filter((h) => h.night && h.above).length,
      maxLeq: max,
      nightPeakMinutes: data.minuteMax.filter((p) => p.device === m.id && p.value > peak && isNight(s, p.t)).length
    }
  })
  const l = NOISE_LIMITS[s.zoneClass]
  return { standard: NOISE_STANDARD, zoneClass: s.zoneClass, dayLimit: l.day, nightLimit: l.night, nightPeakLimit: peak, monitors: rows }
}
