/**
 * The CP of a real-time (CN 2011) frame for one reading (pure): minewatch fields → factor codes
 * (HJ 212-2017 附录 B), the inverse of mapping.ts for the fields both directions carry. Used by the
 * simulated devices and by the HJ 212 uplink (uplink/hj212/).
 */
import type { Device } from '../core/sites.js'
import type { CpGroup } from './frame.js'

/** Dust fields → factor codes; `flagged`: the item carries the reading's data flag. */
export const DUST_CODES: ReadonlyArray<[field: string, code: string, flagged: boolean]> = [
  ['tsp', 'a34001', true], ['pm10', 'a34002', true], ['pm25', 'a34004', true], ['temp', 'a01001', false],
  ['rh', 'a01002', false], ['windSpeed', 'a01007', false], ['windDir', 'a01008', false], ['noise', 'LA', true]
]
export const PARTICULATES = DUST_CODES.slice(0, 3)
/** w00000 flow is in L/s on the wire, m³/h in minewatch. */
export const M3H_PER_LPS = 3.6

export interface RealtimeCpOptions {
  /** Decimals of the w00000 flow in L/s (loggers print 3); default: full precision. */
  flowDigits?: number
}

/** The CP of a real-time frame for one reading of a device (values in the units mapping.ts reads back). */
export function realtimeCp (device: Pick<Device, 'kind'>, r: Record<string, unknown>, dataTime: string, opts: RealtimeCpOptions = {}): CpGroup[] {
  const cp: CpGroup[] = [[['DataTime', dataTime]]]
  if (device.kind === 'water') {
    const g: CpGroup = []
    if (typeof r.flowM3h === 'number') {
      const lps = r.flowM3h / M3H_PER_LPS
      g.push(['w00000-Rtd', opts.flowDigits === undefined ? String(lps) : lps.toFixed(opts.flowDigits)])
    }
    if (typeof r.totalM3 === 'number') g.push(['w00000-Cou', String(r.totalM3)])
    g.push(['w00000-Flag', 'N'])
    cp.push(g)
    return cp
  }
  const flag = typeof r.flag === 'string' ? r.flag : 'N'
  for (const [field, code, flagged] of DUST_CODES) {
    const v = r[field]
    if (typeof v !== 'number') continue
    cp.push(flagged ? [[`${code}-Rtd`, String(v)], [`${code}-Flag`, flag]] : [[`${code}-Rtd`, String(v)]])
  }
  return cp
}
