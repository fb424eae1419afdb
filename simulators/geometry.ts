/**
 * Site geometry for the simulators: where people and trucks may go without
 * raising a geofence alert (inside the licence boundary and clear of every zone,
 * with a margin), polyline walking, and a check of a site's simulation hints.
 */
import { distanceM, distanceToBoundaryM, offsetM, pointInPolygon, ringCentroid, type LonLat, type PolygonCoords } from '../core/geo.js'
import type { Site, Zone } from '../core/sites.js'

/** Clearance kept from the boundary and from zones in normal operation, metres. */
export const CLEARANCE_M = 25

/** Step used when checking a segment for clearance, metres. */
const SEGMENT_STEP_M = 5

export class SiteGeometry {
  readonly boundary: PolygonCoords
  readonly zones: readonly Zone[]

  constructor (readonly site: Site) {
    this.boundary = site.boundary.coordinates as PolygonCoords
    this.zones = site.zones
  }

  /** Inside the boundary and outside every zone, at least `marginM` from each fence. */
  isClear (p: LonLat, marginM = CLEARANCE_M): boolean {
    if (!pointInPolygon(p, this.boundary) || distanceToBoundaryM(p, this.boundary) < marginM) return false
    for (const z of this.zones) {
      const poly = z.geometry.coordinates as PolygonCoords
      if (pointInPolygon(p, poly) || distanceToBoundaryM(p, poly) < marginM) return false
    }
    return true
  }

  /** Every point of segment ab (sampled every 5 m) is clear. */
  segmentClear (a: LonLat, b: LonLat, marginM = CLEARANCE_M): boolean {
    const n = Math.max(1, Math.ceil(distanceM(a, b) / SEGMENT_STEP_M))
    for (let i = 0; i <= n; i++) if (!this.isClear(lerp(a, b, i / n), marginM)) return false
    return true
  }

  /** First problem of a polyline, or undefined when it is clear. */
  pathProblem (path: readonly LonLat[], marginM = CLEARANCE_M): string | undefined {
    for (let i = 0; i + 1 < path.length; i++) {
      if (!this.segmentClear(path[i]!, path[i + 1]!, marginM)) return `segment ${i} (${fmt(path[i]!)} → ${fmt(path[i + 1]!)}) ${this.why(path[i]!, path[i + 1]!, marginM)}`
    }
    return undefined
  }

  /** A point inside the boundary to fall back on (centroid, else the first clear vertex-ward point). */
  anchor (): LonLat {
    const c = ringCentroid(this.boundary)
    return c
  }

  private why (a: LonLat, b: LonLat, marginM: number): string {
    const n = Math.max(1, Math.ceil(distanceM(a, b) / SEGMENT_STEP_M))
    for (let i = 0; i <= n; i++) {
      const p = lerp(a, b, i / n)
      if (!pointInPolygon(p, this.boundary)) return 'leaves the licence boundary'
      if (distanceToBoundaryM(p, this.boundary) < marginM) return `comes within ${marginM} m of the licence boundary`
      for (const z of this.zones) {
        const poly = z.geometry.coordinates as PolygonCoords
        if (pointInPolygon(p, poly)) return `enters zone '${z.id}'`
        if (distanceToBoundaryM(p, poly) < marginM) return `comes within ${marginM} m of zone '${z.id}'`
      }
    }
    return 'is not clear'
  }
}

/** Linear interpolation between two lon/lat points (fine over a few km). */
export function lerp (a: LonLat, b: LonLat, f: number): LonLat {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
}

/** Compass bearing from a to b, degrees [0, 360). */
export function bearingDeg (a: LonLat, b: LonLat): number {
  const k = Math.cos((a[1] * Math.PI) / 180)
  const deg = (Math.atan2((b[0] - a[0]) * k, b[1] - a[1]) * 180) / Math.PI
  return (deg + 360) % 360
}

/** A polyline with cumulative lengths, for walking along it. */
export class Polyline {
  readonly lengthM: number
  private readonly cum: number[]

  constructor (readonly points: readonly LonLat[]) {
    if (points.length < 2) throw new Error('a polyline needs at least 2 points')
    this.cum = [0]
    for (let i = 1; i < points.length; i++) this.cum.push(this.cum[i - 1]! + distanceM(points[i - 1]!, points[i]!))
    this.lengthM = this.cum[this.cum.length - 1]!
  }

  /** Position and heading at distance d from the start (clamped). */
  at (d: number): { p: LonLat, heading: number } {
    const x = Math.max(0, Math.min(this.lengthM, d))
    let i = 1
    while (i < this.cum.length - 1 && this.cum[i]! < x) i++
    const a = this.points[i - 1]!; const b = this.points[i]!
    const seg = this.cum[i]! - this.cum[i - 1]!
    return { p: seg === 0 ? a : lerp(a, b, (x - this.cum[i - 1]!) / seg), heading: bearingDeg(a, b) }
  }

  reversed (): Polyline { return new Polyline([...this.points].reverse()) }

  get start (): LonLat { return this.points[0]! }
  get end (): LonLat { return this.points[this.points.length - 1]! }
}

/** Adds a Gaussian position error of `sdM` metres per axis. */
export function jitter (p: LonLat, eastErrM: number, northErrM: number): LonLat {
  return offsetM(p, eastErrM, northErrM)
}

/** Problems with a site's `simulation:` hints (roads or work areas that would raise geofence alerts). */
export function simulationHintProblems (site: Site): string[] {
  const g = new SiteGeometry(site)
  const problems: string[] = []
  for (const road of site.simulation?.haulRoads ?? []) {
    const p = g.pathProblem(road.path as LonLat[])
    if (p) problems.push(`${site.id}: haul road '${road.id}': ${p}`)
  }
  for (const area of site.simulation?.workAreas ?? []) {
    if (!g.isClear(area.center as LonLat)) problems.push(`${site.id}: work area '${area.id}': centre is not clear of the boundary and zones (${CLEARANCE_M} m)`)
  }
  return problems
}

function fmt (p: LonLat): string { return `${p[0].toFixed(6)},${p[1].toFixed(6)}` }

/** Closest point to p on any ring edge of the polygon (local equirectangular projection around p). */
export function nearestOnBoundary (p: LonLat, polygon: PolygonCoords): LonLat {
  const k = Math.cos((p[1] * Math.PI) / 180)
  let best: LonLat = p
  let bestD = Infinity
  for (const ring of polygon) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const a = ring[i]!; const b = ring[i + 1]!
      const ax = (a[0] - p[0]) * k; const ay = a[1] - p[1]
      const dx = (b[0] - a[0]) * k; const dy = b[1] - a[1]
      const len2 = dx * dx + dy * dy
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
      const x = ax + t * dx; const y = ay + t * dy
      const d = x * x + y * y
      if (d < bestD) { bestD = d; best = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])] }
    }
  }
  return best
}

/** The point `extraM` metres beyond `to`, on the line from `from` through `to`. */
export function beyond (from: LonLat, to: LonLat, extraM: number): LonLat {
  const d = distanceM(from, to)
  if (d === 0) return to
  const k = Math.cos((from[1] * Math.PI) / 180)
  const east = ((to[0] - from[0]) * k * 111_195) / d
  const north = ((to[1] - from[1]) * 111_195) / d
  return offsetM(to, east * extraM, north * extraM)
}
