import { HOUR, MINUTE } from '../../core/time.js'
import { endingNow, type Scenario } from './types.js'
import { peopleZone } from './person-motionless.js'

/**
 * 超时: person 1 of the first site with a zone that sets `maxStayS` walks into the middle of that
 * zone after +30 min, stays there maxStayS + 10 min and walks back.
 * One zone_intrusion and one zone_overstay for that person, both resolved when it leaves.
 */
export const zoneOverstay: Scenario = {
  name: 'zone-overstay',
  description: 'At the end of the first idle period after +30 min, one person walks into the middle of a zone that sets maxStayS (the demo: 北采场爆破区 blast-n of the Gansu site, 1200 s), stays maxStayS + 10 min and walks back. Exactly one zone_intrusion (subject zone:person; alarm for a blasting zone, else warning) and one zone_overstay (subject zone:person, warning), both via its personnel gateway and resolved when it leaves.',
  durationMs: 3 * HOUR,
  defaultStart: endingNow,
  plan: (ctx) => {
    const { site, zone, inner, person, gateway } = peopleZone(ctx, 'zone-overstay', 'maxStayS')
    const subject = `${zone.id}:${person}`
    return {
      effects: [{ type: 'excursion', site: site.id, entity: 'person', entityId: person, fromMs: ctx.start + 30 * MINUTE, via: [inner], dwellMs: zone.maxStayS! * 1000 + 10 * MINUTE }],
      inject: [],
      expectedAlerts: [
        { kind: 'zone_intrusion', site: site.id, subject, device: gateway, severity: zone.kind === 'blasting' ? 'alarm' : 'warning', resolved: true },
        { kind: 'zone_overstay', site: site.id, subject, device: gateway, severity: 'warning', resolved: true }
      ],
      expectedRejects: {},
      summary: `${site.id}: ${person} (via ${gateway}) walks into zone '${zone.id}' after +30 min and stays ${zone.maxStayS! / 60 + 10} min (maxStayS ${zone.maxStayS} s)`
    }
  }
}
