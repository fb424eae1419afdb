/**
 * Piecewise motion plans for trucks and people: dwell at a point or move along a
 * polyline at constant speed. Plans are sampled in increasing time order.
 */
import type { LonLat } from '../../core/geo.js'
import { Polyline } from '../geometry.js'

export type Segment =
  /** `dump` marks a truck tipping at a road end (where scenario excursions start). */
  | { kind: 'dwell'; t0: number; t1: number; p: LonLat; heading: number; dump?: boolean }
  | { kind: 'move'; t0: number; t1: number; path: Polyline }

export interface Pose { p: LonLat, speedKmh: number, heading: number, moving: boolean }

/** Pose on a segment at time t (clamped to the segment). */
export function poseAt (s: Segment, t: number): Pose {
  if (s.kind === 'dwell') return { p: s.p, speedKmh: 0, heading: s.heading, moving: false }
  const span = Math.max(1, s.t1 - s.t0)
  const f = Math.max(0, Math.min(1, (t - s.t0) / span))
  const at = s.path.at(f * s.path.lengthM)
  return { p: at.p, speedKmh: (s.path.lengthM / (span / 1000)) * 3.6, heading: at.heading, moving: true }
}

/** A move segment from t0 along `path` at `speedKmh`. */
export function move (t0: number, path: Polyline, speedKmh: number): Segment {
  return { kind: 'move', t0, t1: t0 + Math.max(1000, Math.round((path.lengthM / (speedKmh / 3.6)) * 1000)), path }
}

/** A queue of segments, extended on demand by `extend` and consumed in time order. */
export class Plan {
  private readonly segs: Segment[] = []

  constructor (private readonly extend: (last: Segment | undefined) => Segment[]) {}

  /** The segment covering t (extending the plan as needed); before its start the pose is clamped. */
  at (t: number): Segment {
    for (;;) {
      while (this.segs.length > 1 && this.segs[0]!.t1 <= t) this.segs.shift()
      const s = this.segs[0]
      if (s && t < s.t1) return s
      const before = this.segs.length
      // extend may return segments or push them itself (truck scale schedules do)
      this.segs.push(...this.extend(this.segs[this.segs.length - 1]))
      if (this.segs.length === before) throw new Error('motion plan did not extend')
    }
  }

  /** Segments already planned (for look-ahead). */
  get pending (): readonly Segment[] { return this.segs }

  /** Appends segments now (used by schedules that plan ahead). */
  push (...s: Segment[]): void { this.segs.push(...s) }

  /** End time of the last planned segment, or undefined. */
  get end (): number | undefined { return this.segs[this.segs.length - 1]?.t1 }
}

export function endPoint (s: Segment): LonLat {
  return s.kind === 'dwell' ? s.p : s.path.end
}

export function endHeading (s: Segment): number {
  return s.kind === 'dwell' ? s.heading : s.path.at(s.path.lengthM).heading
}
