import { HOUR, MINUTE } from '../../core/time.js'
import { distanceM, pointInPolygon, ringCentroid, type LonLat, type PolygonCoords } from '../../core/geo.js'
import type { Site, Zone } from '../../core/sites.js'
import { personId } from '../models/people.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Zone kinds in order of preference for the intrusion. */
const PREFERRED = ['restricted', 'blasting', 'tailings', 'plant', 'other']

function targetZone (site: Site): Zone | undefined {
  return [...site.zones].sort((a, b) => PREFERRED.indexOf(a.kind) - PREFERRED.indexOf(b.kind))[0]
}

/**
 * The first person of the site (reported by the first personnel device) walks from the
 * work area nearest the zone into it (限制区域), stays 10 min and walks back.
 * One zone_intrusion for that person.
 */
export const zoneIntrusion: Scenario = {
  name: 'zone-intrusion',
  description: 'At the end of the first idle period after +30 min, one person walks from the nearest work area to the middle of a restricted (or else blasting) zone, stays 10 min and walks back. Exactly one zone_intrusion (subject zone:person, device = its personnel gateway; alarm for a blasting zone, else warning).',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: ({ sites, start }) => {
    const site = pickSite(sites, 'zone-intrusion', 'a zone, work areas and a personnel locator', (s) => s.zones.length > 0 && devicesOf(s, 'locator', 'personnel').length > 0 && (s.simulation?.workAreas.length ?? 0) > 0)
    const zone = targetZone(site)!
    const poly = zone.geometry.coordinates as PolygonCoords
    let inner: LonLat = ringCentroid(poly)
    if (!pointInPolygon(inner, poly)) inner = poly[0]![0]!
    const gateway = devicesOf(site, 'locator', 'personnel')[0]!
    const person = personId(site, 0)
    const area = [...site.simulation!.workAreas].sort((a, b) => distanceM(a.center as LonLat, inner) - distanceM(b.center as LonLat, inner))[0]!
    return {
      effects: [{ type: 'excursion', site: site.id, entity: 'person', entityId: person, fromMs: start + 30 * MINUTE, via: [inner], dwellMs: 10 * MINUTE }],
      inject: [],
      expectedAlerts: [{ kind: 'zone_intrusion', site: site.id, subject: `${zone.id}:${person}`, device: gateway.id, severity: zone.kind === 'blasting' ? 'alarm' : 'warning' }],
      expectedRejects: {},
      summary: `${site.id}: ${person} (via ${gateway.id}) walks from work area '${area.id}' into zone '${zone.id}' (${zone.kind}) after +30 min, 10 min inside`
    }
  }
}
