import { HOUR } from '../../core/time.js'
import { noiseApplies, noiseLimitAt } from '../../core/noise.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Hours of loud boundary noise, and how far above the limit in force (dB(A)). */
export const NOISE_HOURS = 3
export const NOISE_EXCESS_DB = 6

/**
 * A boundary dust monitor of a site with a GB 12348-2008 zone class reads the limit in force
 * + 6 dB(A) for three whole clock hours starting at the second full hour of the run (each hour at
 * its own day or night limit, under the night peak allowance), then its usual level (below the
 * limit by more than the clear margin). Exactly one noise_exceedance on the hourly Leq
 * (`{device}:noise`), fired when the first loud hour is judged and resolved after the quiet hour
 * that follows; the daily report counts three exceedance hours for the monitor.
 */
export const noiseExceedance: Scenario = {
  name: 'noise-exceedance',
  description: 'From the second full clock hour, one boundary monitor reads the GB 12348-2008 limit + 6 dB(A) for three whole hours. Exactly one noise_exceedance (hourly Leq), three exceedance hours in the daily report.',
  durationMs: 7 * HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start, durationMs }) => {
    const site = pickSite(sites, 'noise-exceedance', 'noise.zoneClass and a boundary dust monitor', (s) => s.devices.some((d) => noiseApplies(s.noise, d.kind, d.role)))
    const device = devicesOf(site, 'dust', 'boundary')[0]!
    const first = Math.ceil(start / HOUR) * HOUR + HOUR
    if (first + (NOISE_HOURS + 2) * HOUR > start + durationMs) throw new Error(`noise-exceedance: ${NOISE_HOURS} loud hours and the two judging them do not fit in ${durationMs / HOUR} h`)
    const effects = Array.from({ length: NOISE_HOURS }, (_, i) => {
      const from = first + i * HOUR
      return { type: 'noise' as const, device: device.id, fromMs: from, toMs: from + HOUR, levelDb: noiseLimitAt(site.noise, from) + NOISE_EXCESS_DB }
    })
    return {
      effects,
      inject: [],
      expectedAlerts: [{ kind: 'noise_exceedance', site: site.id, subject: `${device.id}:noise`, device: device.id, severity: 'alarm' }],
      expectedRejects: {},
      summary: `${site.id}/${device.id}: noise at the limit + ${NOISE_EXCESS_DB} dB(A) for ${NOISE_HOURS} h from +${(first - start) / HOUR} h (zone class ${site.noise.zoneClass})`
    }
  }
}
