import { DAY, HOUR, MINUTE, beijingDayStart } from '../../core/time.js'
import { RETURN_ROLES } from '../models/water.js'
import type { WaterRole } from '../../core/sites.js'
import type { Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Recycling rate after the return pumps trip. */
const DROPPED_RATE = 0.6

/**
 * Thirty minutes into the run the return pumps trip: the recycling rate falls to 0.6
 * (fresh intake or discharge takes up the difference). The Beijing-day rate falls
 * below the site's floor within the first hours. One water_recycling_low.
 * The default start keeps the whole run inside one Beijing day.
 */
export const recyclingDrop: Scenario = {
  name: 'recycling-drop',
  description: 'Thirty minutes in, the return-water pumps trip and the recycling rate falls to 0.6 for the rest of the run (prefers a site using the beneficiation formula). Exactly one water_recycling_low. The default start keeps the run inside one Beijing day.',
  durationMs: 4 * HOUR,
  defaultStart: (now, durationMs) => {
    const start = Math.floor((now - durationMs) / 1000) * 1000
    const dayEnd = beijingDayStart(start) + DAY
    return start + durationMs <= dayEnd ? start : dayEnd - durationMs - MINUTE
  },
  plan: ({ sites, start }) => {
    const hasMeters = (s: (typeof sites)[number]) => devicesOf(s, 'water').some((d) => RETURN_ROLES.includes(d.role as WaterRole)) &&
      devicesOf(s, 'water', s.water.formula === 'reuse' ? 'fresh_intake' : 'discharge').length > 0
    const site = sites.find((s) => s.water.formula === 'beneficiation' && hasMeters(s)) ??
      pickSite(sites, 'recycling-drop', 'water meters with a return role and fresh intake (reuse) or discharge (beneficiation)', hasMeters)
    const from = start + 30 * MINUTE
    return {
      effects: [{ type: 'recycling', site: site.id, fromMs: from, rate: DROPPED_RATE }],
      inject: [],
      expectedAlerts: [{ kind: 'water_recycling_low', site: site.id }],
      expectedRejects: {},
      summary: `${site.id}: recycling rate (${site.water.formula}) ${DROPPED_RATE} from +30 min (floor ${site.water.floor})`
    }
  }
}
