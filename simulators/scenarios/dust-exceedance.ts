import { HOUR, MINUTE } from '../../core/time.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Coarse dust (material handling in wind): mostly > 10 µm, so only the TSP limit is crossed. */
const PM10_SHARE = 0.03
const PM25_SHARE = 0.005

/**
 * A boundary dust monitor reads 1.6 × the site's TSP limit (coarse dust) for the
 * limit's window + hold + 10 min, starting 2 h into the run; the window average
 * exceeds the limit for well over holdS. One dust_exceedance alert.
 */
export const dustExceedance: Scenario = {
  name: 'dust-exceedance',
  description: 'Two hours into the run, coarse dust at one boundary monitor (TSP 1.6 × limit for the averaging window + hold + 10 min). Exactly one dust_exceedance on the TSP limit.',
  durationMs: 5 * HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start, durationMs }) => {
    const site = pickSite(sites, 'dust-exceedance', 'a dust monitor and a TSP limit', (s) => devicesOf(s, 'dust').length > 0 && s.dust.limits.some((l) => l.metric === 'tsp'))
    const limit = site.dust.limits.find((l) => l.metric === 'tsp')!
    const device = devicesOf(site, 'dust', 'boundary')[0] ?? devicesOf(site, 'dust')[0]!
    const from = start + 2 * HOUR
    const ramp = 5 * MINUTE
    const to = from + Math.min(limit.windowS * 1000, 2 * HOUR) + limit.holdS * 1000 + 10 * MINUTE + 2 * ramp
    if (to > start + durationMs) throw new Error(`dust-exceedance: the event (${(to - start) / MINUTE} min) does not fit in ${durationMs / MINUTE} min`)
    return {
      effects: [{ type: 'dust', device: device.id, fromMs: from, toMs: to, tspMgM3: 1.6 * limit.limit, pm10Share: PM10_SHARE, pm25Share: PM25_SHARE, rampMs: ramp }],
      inject: [],
      expectedAlerts: [{ kind: 'dust_exceedance', site: site.id, subject: `${device.id}:tsp:${limit.windowS}`, device: device.id, severity: limit.severity }],
      expectedRejects: {},
      summary: `${site.id}/${device.id}: TSP +${(1.6 * limit.limit).toFixed(2)} mg/m³ from +${(from - start) / MINUTE} min to +${(to - start) / MINUTE} min (limit ${limit.limit} mg/m³ over ${limit.windowS} s, hold ${limit.holdS} s)`
    }
  }
}
