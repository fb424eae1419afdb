import { describe, it, expect } from 'vitest'
import { createFenceState, classifyFix, CLEARLY_INSIDE, CLEARLY_OUTSIDE, STRADDLING } from '../../../alerts/rules/fence.js'
import { evaluateBoundary } from '../../../alerts/rules/boundary-breach.js'
import { evaluateZone, zoneSeverity } from '../../../alerts/rules/zone-intrusion.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { offsetM, type LonLat, type PolygonCoords } from '../../../core/geo.js'
import { SECOND } from '../../../core/time.js'

const C: LonLat = [119.91, 30.952]
// a 1 km square licence boundary around C and a 100 m blasting zone in its middle
const square = (half: number): PolygonCoords => [[offsetM(C, -half, -half), offsetM(C, half, -half), offsetM(C, half, half), offsetM(C, -half, half), offsetM(C, -half, -half)]]
const BOUNDARY = square(500)
const ZONE = square(50)
const T0 = Date.UTC(2025, 2, 1)

/** A fix `eastM` metres east of C (the east edge of the boundary is at 500 m). */
function at (eastM: number): LonLat { return offsetM(C, eastM, 0) }

function track (positions: number[], accuracy: number, rule: 'boundary' | 'zone'): Signal[] {
  const s = createFenceState()
  const out: Signal[] = []
  positions.forEach((x, i) => {
    const [lon, lat] = at(x)
    const ts = T0 + i * 5 * SECOND
    const sig = rule === 'boundary'
      ? evaluateBoundary(s, BOUNDARY, lon, lat, accuracy, ts, 3)
      : evaluateZone(s, ZONE, zoneSeverity('blasting'), lon, lat, accuracy, ts, 3)
    if (sig) out.push(sig)
  })
  return out
}

describe('geofence rules', () => {
  it('classifies with the error circle', () => {
    expect(classifyFix(...at(0), 5, BOUNDARY)).toBe(CLEARLY_INSIDE)
    expect(classifyFix(...at(497), 5, BOUNDARY)).toBe(STRADDLING)
    expect(classifyFix(...at(503), 5, BOUNDARY)).toBe(STRADDLING)
    expect(classifyFix(...at(520), 5, BOUNDARY)).toBe(CLEARLY_OUTSIDE)
    expect(classifyFix(...at(520), 30, BOUNDARY)).toBe(STRADDLING)
  })

  it('boundary_breach: fires after 3 consecutive clear-outside fixes, holds, resolves after 3 clear-inside', () => {
    // an hour of fixes every 5 s: inside, then out for 10 min, then back
    const path = Array.from({ length: 720 }, (_, i) => (i < 200 ? 300 : i < 320 ? 560 : 300))
    const sigs = track(path, 5, 'boundary')
    expect(sigs.map((s) => [s.type, s.severity, s.reason])).toEqual([['fire', 'alarm', 'outside_boundary'], ['resolve', 'warning', 'back_inside_boundary']])
    expect(sigs[0]!.at).toBe(T0 + 202 * 5 * SECOND)
    expect(sigs[1]!.at).toBe(T0 + 322 * 5 * SECOND)
  })

  it('does not fire while the error circle overlaps the fence, however long', () => {
    const path = Array.from({ length: 720 }, () => 510)
    expect(track(path, 20, 'boundary')).toEqual([]) // 10 m outside with 20 m accuracy: not a breach yet
    expect(track(path, 5, 'boundary').length).toBe(1)
  })

  it('jitter across the fence does not flap', () => {
    // GNSS jitter: two fixes out, one on the line, repeatedly for an hour
    const path = Array.from({ length: 720 }, (_, i) => (i % 3 === 2 ? 500 : 530))
    expect(track(path, 5, 'boundary')).toEqual([])
    // out for good with occasional inside blips: one alert, no resolve
    const out = Array.from({ length: 720 }, (_, i) => (i % 5 === 4 ? 450 : 540))
    expect(track(out, 5, 'boundary').map((s) => s.type)).toEqual(['fire'])
  })

  it('zone_intrusion: inside a blasting zone is an alarm; resolves when clearly out', () => {
    const path = Array.from({ length: 360 }, (_, i) => (i < 100 ? 200 : i < 200 ? 0 : 200))
    const sigs = track(path, 3, 'zone')
    expect(sigs.map((s) => [s.type, s.severity])).toEqual([['fire', 'alarm'], ['resolve', 'warning']])
    expect(zoneSeverity('restricted')).toBe('warning')
    // walking along the zone edge (within accuracy) never fires
    expect(track(Array.from({ length: 360 }, (_, i) => (i % 2 ? 48 : 53)), 5, 'zone')).toEqual([])
  })
})
