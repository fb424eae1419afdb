/**
 * Site positions and licence areas for the overview map, generated from the registry:
 * a Grafana gazetteer (worldmap point format: key, latitude, longitude, name) that the
 * markers layer looks site ids up in, and a GeoJSON FeatureCollection of boundaries and points.
 */
import type { Config } from '../core/config.js'
import { siteCentroid } from './site-facts.js'
import { round } from './fields.js'

export interface GazetteerPoint {
  key: string
  latitude: number
  longitude: number
  name: string
}

/** One point per site (its boundary's centroid), keyed by site id. */
export function siteGazetteer (config: Config): GazetteerPoint[] {
  return config.sites.map((s) => {
    const [lon, lat] = siteCentroid(s)
    return { key: s.id, latitude: round(lat), longitude: round(lon), name: s.name }
  })
}

/**
 * Every site's licence boundary (kind licence_boundary), zones (kind zone, zoneKind blasting |
 * restricted | ...) and position (kind site, the boundary's centroid). Boundary and zone features
 * carry the same properties as the API's /sites/{site}/boundary.geojson, so one set of style rules
 * serves both sources.
 */
export function sitesGeoJSON (config: Config): unknown {
  return {
    type: 'FeatureCollection',
    features: config.sites.flatMap((s) => {
      const [lon, lat] = siteCentroid(s)
      return [
        {
          type: 'Feature',
          id: `${s.id}/boundary`,
          properties: { site: s.id, kind: 'licence_boundary', name: s.name, licence: s.licence, elevationMinM: s.elevation?.minM ?? null, elevationMaxM: s.elevation?.maxM ?? null },
          geometry: s.boundary
        },
        ...s.zones.map((z) => ({
          type: 'Feature',
          id: `${s.id}/zone/${z.id}`,
          properties: { site: s.id, kind: 'zone', zone: z.id, zoneKind: z.kind, name: z.name },
          geometry: z.geometry
        })),
        {
          type: 'Feature',
          id: s.id,
          properties: { site: s.id, kind: 'site', name: s.name, province: s.province, licence: s.licence, mineral: s.mineral },
          geometry: { type: 'Point', coordinates: [round(lon), round(lat)] }
        }
      ]
    })
  }
}
