import { HOUR, MINUTE } from '../../core/time.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** One dust monitor goes silent 30 min into the run and stays silent. One device_offline alert. */
export const deviceOffline: Scenario = {
  name: 'device-offline',
  description: 'Thirty minutes into the run one dust monitor stops sending (power cut) for the rest of the run. Exactly one device_offline for it.',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start, durationMs }) => {
    const site = pickSite(sites, 'device-offline', 'a dust monitor', (s) => devicesOf(s, 'dust').length > 0)
    const device = devicesOf(site, 'dust')[0]!
    const from = start + 30 * MINUTE
    return {
      effects: [{ type: 'silence', device: device.id, fromMs: from, toMs: start + durationMs + 1 }],
      inject: [],
      expectedAlerts: [{ kind: 'device_offline', site: site.id, subject: device.id, device: device.id, severity: 'warning' }],
      expectedRejects: {},
      summary: `${site.id}/${device.id} silent from +30 min to the end`
    }
  }
}
