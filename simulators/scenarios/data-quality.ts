import { HOUR, MINUTE } from '../../core/time.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/**
 * From +30 min, one dust monitor reports HJ 212-2017 flag C (calibrating) for 20 min: its
 * values are not normal data. One data_quality alert on the device's flag.
 */
export const dataQuality: Scenario = {
  name: 'data-quality',
  description: 'Thirty minutes in, one dust monitor is calibrated for 20 min and flags its readings C (HJ 212-2017). Exactly one data_quality (subject <device>:flag, warning).',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start }) => {
    const site = pickSite(sites, 'data-quality', 'a dust monitor', (s) => devicesOf(s, 'dust').length > 0)
    const dust = devicesOf(site, 'dust')
    const device = dust[1] ?? dust[0]!
    const from = start + 30 * MINUTE
    return {
      effects: [{ type: 'flag', device: device.id, fromMs: from, toMs: from + 20 * MINUTE, flag: 'C' }],
      inject: [],
      expectedAlerts: [{ kind: 'data_quality', site: site.id, subject: `${device.id}:flag`, device: device.id, severity: 'warning' }],
      expectedRejects: {},
      summary: `${site.id}/${device.id}: flag C (calibrating) from +30 min for 20 min`
    }
  }
}
