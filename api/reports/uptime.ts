/**
 * Device uptime: the share of the device's expected intervals in the window that hold at
 * least one reading. Intervals are consecutive slices of the device's intervalS (at least
 * MIN_UPTIME_INTERVAL_S) starting at the window start (Beijing midnight); the last one may
 * be shorter. Expected = ceil(window ÷ interval).
 */
import type { Kind } from '../../core/kinds.js'
import type { UptimeRow } from './schema.js'

/** Intervals shorter than this are widened to it (a 5 s locator is judged per minute), seconds. */
export const MIN_UPTIME_INTERVAL_S = 60

export interface UptimeData {
  device: string
  kind: Kind
  /** Interval used, s (see uptimeIntervalS). */
  intervalS: number
  /** Indexes (0 = first interval of the window) of the intervals that hold a reading. */
  seen: ReadonlySet<number>
}

/** The interval a device is judged on, seconds. */
export function uptimeIntervalS (deviceIntervalS: number): number {
  return Math.max(MIN_UPTIME_INTERVAL_S, Math.ceil(deviceIntervalS))
}

/** Index of the interval holding instant `t`. */
export function intervalIndex (from: number, intervalS: number, t: number): number {
  return Math.floor((t - from) / (intervalS * 1000))
}

export function uptimeRows (from: number, to: number, devices: readonly UptimeData[]): UptimeRow[] {
  return devices.map((d) => {
    const expected = to > from ? Math.ceil((to - from) / (d.intervalS * 1000)) : 0
    let withData = 0
    for (const i of d.seen) if (i >= 0 && i < expected) withData++
    return { device: d.device, kind: d.kind, intervalS: d.intervalS, expected, withData, uptime: expected > 0 ? withData / expected : 0 }
  })
}
