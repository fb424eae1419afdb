/** Planar geometry on lon/lat for fences of mine size (a few km): equirectangular metres. */

export type LonLat = [number, number]
/** GeoJSON Polygon coordinates: outer ring first, then holes. Rings closed or not. */
export type PolygonCoords = LonLat[][]

const EARTH_RADIUS_M = 6_371_008.8

/** Ray casting on one ring. */
function inRing (p: LonLat, ring: LonLat[]): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!
    const [xj, yj] = ring[j]!
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

export function pointInPolygon (p: LonLat, polygon: PolygonCoords): boolean {
  const [outer, ...holes] = polygon
  if (!outer || !inRing(p, outer)) return false
  return !holes.some((h) => inRing(p, h))
}

/** Great-circle distance in metres (haversine). */
export function distanceM (a: LonLat, b: LonLat): number {
  const toRad = Math.PI / 180
  const dLat = (b[1] - a[1]) * toRad
  const dLon = (b[0] - a[0]) * toRad
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)))
}

/** Distance in metres from p to segment ab, on a local equirectangular projection around p. */
export function distanceToSegmentM (p: LonLat, a: LonLat, b: LonLat): number {
  const k = Math.cos((p[1] * Math.PI) / 180)
  const mPerDeg = (EARTH_RADIUS_M * Math.PI) / 180
  const ax = (a[0] - p[0]) * k * mPerDeg; const ay = (a[1] - p[1]) * mPerDeg
  const bx = (b[0] - p[0]) * k * mPerDeg; const by = (b[1] - p[1]) * mPerDeg
  const dx = bx - ax; const dy = by - ay
  const len2 = dx * dx + dy * dy
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
  return Math.hypot(ax + t * dx, ay + t * dy)
}

/** Shortest distance in metres from p to any edge of the polygon (inside or out). */
export function distanceToBoundaryM (p: LonLat, polygon: PolygonCoords): number {
  let best = Infinity
  for (const ring of polygon) {
    for (let i = 0; i < ring.length; i++) {
      const a = ring[i]!
      const b = ring[(i + 1) % ring.length]!
      best = Math.min(best, distanceToSegmentM(p, a, b))
    }
  }
  return best
}

/** Centroid of the outer ring's vertices (good enough for map labels and simulators). */
export function ringCentroid (polygon: PolygonCoords): LonLat {
  const ring = polygon[0] ?? []
  let x = 0; let y = 0
  for (const [lon, lat] of ring) { x += lon; y += lat }
  return [x / Math.max(1, ring.length), y / Math.max(1, ring.length)]
}

/** Moves a point by metres east and north. */
export function offsetM (p: LonLat, eastM: number, northM: number): LonLat {
  const mPerDeg = (EARTH_RADIUS_M * Math.PI) / 180
  return [p[0] + eastM / (mPerDeg * Math.cos((p[1] * Math.PI) / 180)), p[1] + northM / mPerDeg]
}
