import { HOUR, MINUTE } from '../../core/time.js'
import { distanceToBoundaryM, offsetM, pointInPolygon, type LonLat, type PolygonCoords } from '../../core/geo.js'
import { personId } from '../models/people.js'
import { endingNow, type ExpectedAlert, type Scenario } from './types.js'
import { devicesOf } from './pick.js'
import type { Effect } from '../types.js'
import { peopleZone } from './person-motionless.js'

/** Each gathered person stands this far from the zone's middle (on a circle), metres: well clear of any accuracy circle. */
const SPREAD_M = 10

/**
 * 区域超员: persons 1 … maxPeople + 1 of the first site with a zone that sets `maxPeople` each walk
 * into that zone at the end of their first idle period after +20 min and stay until +1 h 50 min
 * (all of them are in by then), then walk back. One zone_intrusion per person and one
 * zone_overcrowded for the zone, resolved when they leave (headcount at maxPeople − hysteresis).
 */
export const zoneOvercrowded: Scenario = {
  name: 'zone-overcrowded',
  description: 'At the end of their first idle period after +20 min, maxPeople + 1 people walk into a zone that sets maxPeople (the demo: 变电所 substation of the Guizhou site, 3) and stay until +1 h 50 min, then walk back. Exactly one zone_intrusion per person (subject zone:person, via its personnel gateway; alarm for a blasting zone, else warning) and one zone_overcrowded (subject the zone, no device, alarm), all resolved when they leave.',
  durationMs: 2.5 * HOUR,
  defaultStart: endingNow,
  plan: (ctx) => {
    const { site, zone, inner } = peopleZone(ctx, 'zone-overcrowded', 'maxPeople')
    const poly = zone.geometry.coordinates as PolygonCoords
    const gateways = devicesOf(site, 'locator', 'personnel')
    const n = zone.maxPeople! + 1
    const people = Array.from({ length: n }, (_x, i) => personId(site, i))
    const spot = (i: number): LonLat => {
      const th = (2 * Math.PI * i) / n
      const p = offsetM(inner, SPREAD_M * Math.cos(th), SPREAD_M * Math.sin(th))
      return pointInPolygon(p, poly) && distanceToBoundaryM(p, poly) > SPREAD_M ? p : inner
    }
    const severity = zone.kind === 'blasting' ? 'alarm' : 'warning'
    const intrusions: ExpectedAlert[] = people.map((person, i): ExpectedAlert => ({ kind: 'zone_intrusion', site: site.id, subject: `${zone.id}:${person}`, device: gateways[i % gateways.length]!.id, severity, resolved: true }))
    return {
      effects: people.map((person, i): Effect => ({ type: 'excursion', site: site.id, entity: 'person', entityId: person, fromMs: ctx.start + 20 * MINUTE, via: [spot(i)], dwellMs: MINUTE, untilMs: ctx.start + 110 * MINUTE })),
      inject: [],
      expectedAlerts: [...intrusions, { kind: 'zone_overcrowded', site: site.id, subject: zone.id, severity: 'alarm', resolved: true }],
      expectedRejects: {},
      summary: `${site.id}: ${people.join(', ')} gather in zone '${zone.id}' from +20 min until +1 h 50 min (maxPeople ${zone.maxPeople})`
    }
  }
}
