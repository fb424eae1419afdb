/**
 * WGS84/CGCS2000 ↔ GCJ-02 (the "Mars" datum that Chinese web map tiles — AutoNavi/Amap,
 * Tencent — are drawn in, GB 20263-2006 obfuscation). The registry's coordinates are
 * CGCS2000, which agrees with WGS84 to a few centimetres; drawn on GCJ-02 tiles unconverted
 * they land hundreds of metres off. The forward transform is the widely published one (Krasovsky
 * 1940 ellipsoid); the inverse is found by iteration to below 1e-7° (≈ 1 cm). Outside
 * mainland China (rough bounding box) GCJ-02 equals WGS84.
 */
const A = 6378245.0 // Krasovsky 1940 semi-major axis, m
const EE = 0.006693421622965943 // its first eccentricity squared

export type LonLat = readonly [number, number]

/** True when the point is outside the box in which GCJ-02 applies (it then equals WGS84). */
export function outOfChina (lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function transformLat (x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3
  return r
}

function transformLon (x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3
  return r
}

/** WGS84 (or CGCS2000) lon/lat → GCJ-02 lon/lat. */
export function wgs84ToGcj02 (lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat]
  const radLat = lat / 180 * Math.PI
  let magic = Math.sin(radLat)
  magic = 1 - EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  const dLat = (transformLat(lon - 105, lat - 35) * 180) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI)
  const dLon = (transformLon(lon - 105, lat - 35) * 180) / (A / sqrtMagic * Math.cos(radLat) * Math.PI)
  return [lon + dLon, lat + dLat]
}

/** GCJ-02 lon/lat → WGS84 lon/lat, by fixed-point iteration on the forward transform. */
export function gcj02ToWgs84 (lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat]
  let wLon = lon; let wLat = lat
  for (let i = 0; i < 30; i++) {
    const [gLon, gLat] = wgs84ToGcj02(wLon, wLat)
    const dLon = gLon - lon; const dLat = gLat - lat
    wLon -= dLon; wLat -= dLat
    if (Math.abs(dLon) < 1e-9 && Math.abs(dLat) < 1e-9) break
  }
  return [wLon, wLat]
}

/** Coordinate system of a tile layer. */
export type TileCrs = 'wgs84' | 'cgcs2000' | 'gcj02'

/** A converter from registry coordinates (CGCS2000) to the tiles' coordinates. */
export function toTileCoords (crs: TileCrs | undefined): (lon: number, lat: number) => [number, number] {
  return crs === 'gcj02' ? wgs84ToGcj02 : (lon, lat) => [lon, lat]
}
