import { DAY, HOUR, MINUTE, beijingDayStart } from '../../core/time.js'
import { isReturnRole } from '../../core/water.js'
import { roleOf, type Device } from '../../core/sites.js'

function isReturnMeter (d: Device): boolean {
  return isReturnRole(roleOf(d, 'water'))
}
import type { Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Earliest start in the Beijing day: the engine judges the running day rate from 06:00 (alerts/rules/water-recycling.ts). */
const EARLIEST_START_MS = 4 * HOUR
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
  description: 'Thirty minutes in, the return-water pumps trip and the recycling rate falls to 0.6 for the rest of the run (prefers a site using the beneficiation formula). Exactly one water_recycling_low (warning: the running day rate; the finished day would escalate it to alarm at the next day\'s first reading). The default start keeps the run inside one Beijing day, from 04:00 on.',
  durationMs: 4 * HOUR,
  defaultStart: (now, durationMs) => {
    // inside one Beijing day, and starting at 04:00 or later so that the run goes well past
    // 06:00, when the engine starts checking the running day rate
    const start = Math.floor((now - durationMs) / 1000) * 1000
    const dayStart = beijingDayStart(start)
    if (start >= dayStart + EARLIEST_START_MS && start + durationMs <= dayStart + DAY) return start
    if (start + durationMs > dayStart + DAY && dayStart + DAY - durationMs - MINUTE >= dayStart + EARLIEST_START_MS) return dayStart + DAY - durationMs - MINUTE
    return dayStart - durationMs - MINUTE // the end of the day before
  },
  plan: ({ sites, start }) => {
    const hasMeters = (s: (typeof sites)[number]) => devicesOf(s, 'water').some((d) => isReturnMeter(d)) &&
      devicesOf(s, 'water', s.water.formula === 'reuse' ? 'fresh_intake' : 'discharge').length > 0
    const site = sites.find((s) => s.water.formula === 'beneficiation' && hasMeters(s)) ??
      pickSite(sites, 'recycling-drop', 'water meters with a return role and fresh intake (reuse) or discharge (beneficiation)', hasMeters)
    const from = start + 30 * MINUTE
    return {
      effects: [{ type: 'recycling', site: site.id, fromMs: from, rate: DROPPED_RATE }],
      inject: [],
      expectedAlerts: [{ kind: 'water_recycling_low', site: site.id, subject: 'recycling_rate', severity: 'warning' }],
      expectedRejects: {},
      summary: `${site.id}: recycling rate (${site.water.formula}) ${DROPPED_RATE} from +30 min (floor ${site.water.floor})`
    }
  }
}
