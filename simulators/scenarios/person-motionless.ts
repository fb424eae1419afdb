import { HOUR, MINUTE } from '../../core/time.js'
import { pointInPolygon, ringCentroid, type LonLat, type PolygonCoords } from '../../core/geo.js'
import type { Site, Zone } from '../../core/sites.js'
import { personId } from '../models/people.js'
import { endingNow, type Scenario, type ScenarioContext } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** The first site with a zone that sets `key`, a personnel locator and work areas; that zone, a point inside it, person 1 and its gateway. */
export function peopleZone (ctx: ScenarioContext, scenario: string, key: 'motionlessS' | 'tagLostS' | 'maxStayS' | 'maxPeople'): { site: Site, zone: Zone, inner: LonLat, person: string, gateway: string } {
  const fits = (s: Site) => s.zones.some((z) => z[key] !== undefined) && devicesOf(s, 'locator', 'personnel').length > 0 && (s.simulation?.workAreas.length ?? 0) > 0
  const site = pickSite(ctx.sites, scenario, `a zone with ${key}, work areas and a personnel locator`, fits)
  const zone = site.zones.find((z) => z[key] !== undefined)!
  const poly = zone.geometry.coordinates as PolygonCoords
  let inner: LonLat = ringCentroid(poly)
  if (!pointInPolygon(inner, poly)) inner = poly[0]![0]!
  return { site, zone, inner, person: personId(site, 0), gateway: devicesOf(site, 'locator', 'personnel')[0]!.id } // person i reports through gateway i mod n
}

/**
 * 人员长时间静止: person 1 of the first site with a zone that sets `motionlessS` walks into the
 * middle of that zone after +30 min and lies still there for 15 min, then walks back.
 * One zone_intrusion (entering the zone) and one person_motionless for that person.
 */
export const personMotionless: Scenario = {
  name: 'person-motionless',
  description: 'At the end of the first idle period after +30 min, one person walks into the middle of a zone that sets motionlessS (the demo: 尾矿库 of the Gansu site, 300 s), stays still there 15 min and walks back. Exactly one zone_intrusion (subject zone:person) and one person_motionless (subject person, alarm), both via its personnel gateway.',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: (ctx) => {
    const { site, zone, inner, person, gateway } = peopleZone(ctx, 'person-motionless', 'motionlessS')
    return {
      effects: [{ type: 'excursion', site: site.id, entity: 'person', entityId: person, fromMs: ctx.start + 30 * MINUTE, via: [inner], dwellMs: 15 * MINUTE }],
      inject: [],
      expectedAlerts: [
        { kind: 'zone_intrusion', site: site.id, subject: `${zone.id}:${person}`, device: gateway, severity: zone.kind === 'blasting' ? 'alarm' : 'warning' },
        { kind: 'person_motionless', site: site.id, subject: person, device: gateway, severity: 'alarm' }
      ],
      expectedRejects: {},
      summary: `${site.id}: ${person} (via ${gateway}) walks into zone '${zone.id}' after +30 min and stays still 15 min (motionlessS ${zone.motionlessS} s)`
    }
  }
}
