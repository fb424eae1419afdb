import { HOUR, MINUTE } from '../../core/time.js'
import { personId } from '../models/people.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/**
 * 紧急呼救: person 1 of the first site with a personnel locator and work areas raises its tag's
 * SOS button at +30 min for 2 min, going about its work meanwhile, then releases it.
 * One sos for that person, still open at the end (only an operator closes an SOS).
 */
export const sos: Scenario = {
  name: 'sos',
  description: 'At +30 min one person raises its tag\'s SOS button for 2 min (its fixes carry sos = 1 and are sent at every report), then releases it. Exactly one sos (subject person, device its personnel gateway, alarm), still open at the end: an SOS never resolves from readings.',
  durationMs: HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start }) => {
    const site = pickSite(sites, 'sos', 'work areas and a personnel locator', (s) => devicesOf(s, 'locator', 'personnel').length > 0 && (s.simulation?.workAreas.length ?? 0) > 0)
    const person = personId(site, 0)
    const gateway = devicesOf(site, 'locator', 'personnel')[0]!.id // person i reports through gateway i mod n
    return {
      effects: [{ type: 'sos', site: site.id, entityId: person, fromMs: start + 30 * MINUTE, toMs: start + 32 * MINUTE }],
      inject: [],
      expectedAlerts: [{ kind: 'sos', site: site.id, subject: person, device: gateway, severity: 'alarm', resolved: false }],
      expectedRejects: {},
      summary: `${site.id}: ${person} (via ${gateway}) raises SOS from +30 min to +32 min`
    }
  }
}
