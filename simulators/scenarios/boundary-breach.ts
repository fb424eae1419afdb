import { HOUR, MINUTE } from '../../core/time.js'
import { distanceToBoundaryM, pointInPolygon, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { beyond, nearestOnBoundary, SiteGeometry } from '../geometry.js'
import { truckAssignment } from '../models/fleet.js'
import { MinewatchError } from '../../core/errors.js'
import { endingNow, type Scenario } from './types.js'

/** How far outside the licence boundary the truck goes, metres (far beyond any accuracy circle). */
const OUTSIDE_M = 80

/**
 * After its first dump 30 min into the run, a waste truck drives straight from the
 * dump point across the nearest stretch of the licence boundary to 80 m outside
 * (越界), stays 5 min and returns. One boundary_breach for that truck.
 */
export const boundaryBreach: Scenario = {
  name: 'boundary-breach',
  description: 'A waste truck leaves its dump point across the nearest stretch of the licence boundary, stays 80 m outside for 5 min and comes back. Exactly one boundary_breach (subject and device = the truck).',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: ({ registry, sites, start }) => {
    const offlineFactor = registry.config.alerts.offlineFactor
    for (const site of sites) {
      const g = new SiteGeometry(site)
      const boundary = site.boundary.coordinates as PolygonCoords
      const { oreCount, roadOf } = truckAssignment(site, [], offlineFactor)
      const trucks = site.devices.filter((d) => d.kind === 'locator' && d.role !== 'personnel' && roadOf.has(d.id))
      for (const truck of trucks.slice(oreCount).reverse()) {
        const dump = roadOf.get(truck.id)!.end
        const edge = nearestOnBoundary(dump, boundary)
        const target: LonLat = beyond(dump, edge, OUTSIDE_M)
        if (pointInPolygon(target, boundary) || distanceToBoundaryM(target, boundary) < OUTSIDE_M * 0.75) continue
        // the way out must not cross any zone (that would be a zone intrusion too)
        if (!g.segmentClear(dump, beyond(dump, edge, -5), 0)) continue
        return {
          effects: [{ type: 'excursion', site: site.id, entity: 'vehicle', entityId: truck.id, fromMs: start + 30 * MINUTE, via: [target], dwellMs: 5 * MINUTE }],
          inject: [],
          expectedAlerts: [{ kind: 'boundary_breach', site: site.id, subject: truck.id, device: truck.id, severity: 'alarm' }],
          expectedRejects: {},
          summary: `${site.id}/${truck.id}: from its dump point to ${target[0].toFixed(6)},${target[1].toFixed(6)} (${OUTSIDE_M} m outside) after +30 min, 5 min there`
        }
      }
    }
    throw new MinewatchError('MW_BAD_REQUEST', 'scenario boundary-breach needs a site with a waste truck (a vehicle locator beyond the ore trucks) on a haul road')
  }
}
