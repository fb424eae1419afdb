import { describe, it, expect } from 'vitest'
import { wgs84ToGcj02, gcj02ToWgs84, outOfChina, toTileCoords } from '../../../console/src/gcj02.js'

/** Metres between two lon/lat points (equirectangular: fine at these distances). */
function metres (a: readonly [number, number], b: readonly [number, number]): number {
  const k = Math.PI / 180
  const x = (b[0] - a[0]) * k * Math.cos(((a[1] + b[1]) / 2) * k)
  const y = (b[1] - a[1]) * k
  return Math.hypot(x, y) * 6_371_000
}

describe('WGS84/CGCS2000 ↔ GCJ-02', () => {
  // Published reference pair (Tiananmen): WGS84 116.3912757, 39.906217 ↔ GCJ-02 116.397499, 39.907612 (±1 m)
  it('matches a published reference point', () => {
    const g = wgs84ToGcj02(116.3912757, 39.906217)
    expect(metres(g, [116.397499, 39.907612])).toBeLessThan(2)
  })

  it('offsets demo sites by hundreds of metres, and the inverse returns within 1 cm', () => {
    for (const p of [[119.908629, 30.9526], [104.17, 36.55], [106.97, 27.06]] as const) {
      const g = wgs84ToGcj02(p[0], p[1])
      const d = metres(p, g)
      expect(d).toBeGreaterThan(100)
      expect(d).toBeLessThan(1000)
      expect(metres(p, gcj02ToWgs84(g[0], g[1]))).toBeLessThan(0.01)
    }
  })

  it('leaves points outside China unchanged', () => {
    expect(outOfChina(2.35, 48.85)).toBe(true)
    expect(wgs84ToGcj02(2.35, 48.85)).toEqual([2.35, 48.85])
    expect(gcj02ToWgs84(2.35, 48.85)).toEqual([2.35, 48.85])
  })

  it('converts only for GCJ-02 tiles', () => {
    expect(toTileCoords('wgs84')(119.9, 30.95)).toEqual([119.9, 30.95])
    expect(toTileCoords('cgcs2000')(119.9, 30.95)).toEqual([119.9, 30.95])
    expect(toTileCoords(undefined)(119.9, 30.95)).toEqual([119.9, 30.95])
    expect(toTileCoords('gcj02')(119.9, 30.95)).toEqual(wgs84ToGcj02(119.9, 30.95))
  })
})
