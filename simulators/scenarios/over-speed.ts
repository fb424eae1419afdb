import { HOUR, MINUTE } from '../../core/time.js'
import { distanceToBoundaryM, pointInPolygon, ringCentroid, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { beyond, SiteGeometry } from '../geometry.js'
import { truckAssignment } from '../models/fleet.js'
import { MinewatchError } from '../../core/errors.js'
import { endingNow, type Scenario } from './types.js'

/** The truck drives out this fast, km/h (twice the demo's 20 km/h limit, well above the waste trucks' usual 18–32). */
const FAST_KMH = 40
/** It stops this far inside the zone's far edge, metres. */
const STOP_INSIDE_M = 30
/** Clearance kept from the licence boundary and every other zone on the way, metres. */
const CLEAR_M = 10

/**
 * 超速: after its first dump 30 min into the run, a waste truck drives at 40 km/h straight from
 * its dump point across the first zone that sets `maxSpeedKmh`, through its middle, stops 30 m
 * inside the far edge for 3 min and drives back at 15 km/h. One zone_intrusion and one
 * over_speed for that truck.
 */
export const overSpeed: Scenario = {
  name: 'over-speed',
  description: 'A waste truck leaves its dump point at 40 km/h straight across the first zone that sets maxSpeedKmh (the demo: 尾矿库 tailings of the Gansu site, 20 km/h) through its middle, stops 30 m inside the far edge for 3 min and comes back at 15 km/h. Exactly one zone_intrusion and one over_speed (subject zone:truck, device the truck; intrusion alarm for a blasting zone else warning, over_speed warning), both resolved (over_speed when it stops, the intrusion when it leaves).',
  durationMs: 2 * HOUR,
  defaultStart: endingNow,
  plan: ({ registry, sites, start }) => {
    const offlineFactor = registry.config.alerts.offlineFactor
    for (const site of sites) {
      for (const zone of site.zones.filter((z) => z.maxSpeedKmh !== undefined)) {
        const poly = zone.geometry.coordinates as PolygonCoords
        const centre = ringCentroid(poly)
        if (!pointInPolygon(centre, poly)) continue
        // the way there must keep clear of the boundary and of every other zone
        const others = new SiteGeometry({ ...site, zones: site.zones.filter((z) => z !== zone) })
        const { oreCount, roadOf } = truckAssignment(site, [], offlineFactor)
        const trucks = site.devices.filter((d) => d.kind === 'locator' && d.role !== 'personnel' && roadOf.has(d.id))
        for (const truck of trucks.slice(oreCount)) {
          const dump = roadOf.get(truck.id)!.end
          if (pointInPolygon(dump, poly)) continue
          let edge = 0 // metres beyond the centre to the far edge, in 5 m steps
          while (edge < 5000 && pointInPolygon(beyond(dump, centre, edge + 5), poly)) edge += 5
          const stop: LonLat = beyond(dump, centre, edge - STOP_INSIDE_M)
          if (edge <= STOP_INSIDE_M || distanceToBoundaryM(stop, poly) < STOP_INSIDE_M / 2) continue
          if (!others.segmentClear(dump, stop, CLEAR_M)) continue
          const subject = `${zone.id}:${truck.id}`
          return {
            effects: [{ type: 'excursion', site: site.id, entity: 'vehicle', entityId: truck.id, fromMs: start + 30 * MINUTE, via: [centre, stop], dwellMs: 3 * MINUTE, kmh: FAST_KMH }],
            inject: [],
            expectedAlerts: [
              { kind: 'zone_intrusion', site: site.id, subject, device: truck.id, severity: zone.kind === 'blasting' ? 'alarm' : 'warning', resolved: true },
              { kind: 'over_speed', site: site.id, subject, device: truck.id, severity: 'warning', resolved: true }
            ],
            expectedRejects: {},
            summary: `${site.id}/${truck.id}: from its dump point at ${FAST_KMH} km/h across zone '${zone.id}' (maxSpeedKmh ${zone.maxSpeedKmh}) after +30 min, 3 min stopped inside, back at 15 km/h`
          }
        }
      }
    }
    throw new MinewatchError('MW_BAD_REQUEST', 'scenario over-speed needs a site with a zone that sets maxSpeedKmh and a waste truck (a vehicle locator beyond the ore trucks) on a haul road with a clear straight way into it')
  }
}
