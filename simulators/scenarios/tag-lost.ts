import { HOUR, MINUTE } from '../../core/time.js'
import { endingNow, type Scenario } from './types.js'
import { peopleZone } from './person-motionless.js'

/**
 * 标签失联: person 1 of the first site with a zone that sets `tagLostS` walks into the middle of
 * that zone after +30 min; one minute into a 10-minute stay its tag goes unheard for 6 minutes
 * (the gateway keeps reporting the others), then it is heard again and the person walks back.
 * One zone_intrusion and one tag_lost for that person.
 */
export const tagLost: Scenario = {
  name: 'tag-lost',
  description: 'At the end of the first idle period after +30 min, one person walks into the middle of a zone that sets tagLostS (the demo: 尾矿库 of the Gansu site, 180 s); 1 min into a 10 min stay its tag is unheard for 6 min while its gateway reports everyone else. Exactly one zone_intrusion (subject zone:person) and one tag_lost (subject person, alarm), both via its personnel gateway.',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: (ctx) => {
    const { site, zone, inner, person, gateway } = peopleZone(ctx, 'tag-lost', 'tagLostS')
    return {
      effects: [{ type: 'excursion', site: site.id, entity: 'person', entityId: person, fromMs: ctx.start + 30 * MINUTE, via: [inner], dwellMs: 10 * MINUTE, silence: { afterMs: MINUTE, forMs: 6 * MINUTE } }],
      inject: [],
      expectedAlerts: [
        { kind: 'zone_intrusion', site: site.id, subject: `${zone.id}:${person}`, device: gateway, severity: zone.kind === 'blasting' ? 'alarm' : 'warning' },
        { kind: 'tag_lost', site: site.id, subject: person, device: gateway, severity: 'alarm' }
      ],
      expectedRejects: {},
      summary: `${site.id}: ${person} (via ${gateway}) walks into zone '${zone.id}' after +30 min; its tag is unheard 6 min of the stay (tagLostS ${zone.tagLostS} s)`
    }
  }
}
