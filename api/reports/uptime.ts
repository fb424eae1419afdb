/**
 * Device uptime: the share of the device's expected intervals in the window that hold at
 * least one reading. Intervals are the device's intervalS (at least MIN_UPTIME_INTERVAL_S),
 * aligned to multiples of the interval since the epoch, as the store's series buckets are.
 */
import type { Kind } from '../../core/kinds.js'
import { bucketCount } from '../params.js'
import type { UptimeRow } from './schema.js'

/** Intervals shorter than this are widened to it (a 5 s locator is judged per minute), seconds. */
export const MIN_UPTIME_INTERVAL_S = 60

export interface UptimeData {
  device: string
  kind: Kind
  /** Interval used, s (see uptimeIntervalS). */
  intervalS: number
  /** Start times of the intervals that hold a reading. */
  seen: ReadonlySet<number>
}

/** The interval a device is judged on, seconds. */
export function uptimeIntervalS (deviceIntervalS: number): number {
  return Math.max(MIN_UPTIME_INTERVAL_S, Math.ceil(deviceIntervalS))
}

export function uptimeRows (from: number, to: number, devices: readonly UptimeData[]): UptimeRow[] {
  return devices.map((d) => {
    const stepMs = d.intervalS * 1000
    const expected = to > from ? bucketCount(from, to, stepMs) : 0
    const withData = Math.min(expected, d.seen.size)
    return { device: d.device, kind: d.kind, intervalS: d.intervalS, expected, withData, uptime: expected > 0 ? withData / expected : 0 }
  })
}
