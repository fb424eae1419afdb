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

/** Licence boundaries (Polygon) and centroids (Point) of every site, with id, name, province, licence. */
export function sitesGeoJSON (config: Config): unknown {
  return {
    type: 'FeatureCollection',
    features: config.sites.flatMap((s) => {
      const properties = { id: s.id, name: s.name, province: s.province, licence: s.licence, mineral: s.mineral }
      const [lon, lat] = siteCentroid(s)
      return [
        { type: 'Feature', id: `${s.id}-boundary`, properties: { ...properties, kind: 'boundary' }, geometry: s.boundary },
        { type: 'Feature', id: s.id, properties: { ...properties, kind: 'site' }, geometry: { type: 'Point', coordinates: [round(lon), round(lat)] } }
      ]
    })
  }
}
