/**
 * zone_intrusion: a person or vehicle inside a restricted zone of the site (sites.zones,
 * e.g. a blasting area). Fires after fence.consecutiveFixes consecutive fixes wholly inside
 * (error circle clear of the zone edge); resolves after as many wholly outside.
 * Restricted-area alarms follow AQ 2032-2011 / AQ 6210-2007 (personnel positioning systems).
 * Blasting zones raise alarms, other zones warnings.
 */
import type { PolygonCoords } from '../../core/geo.js'
import type { Severity } from '../../core/sites.js'
import { classifyFix, evaluateFence, type FenceState } from './fence.js'
import type { Signal } from './signal.js'

export const ZONE_STANDARD = 'AQ 2032-2011 限制区域'

/** Severity of an intrusion into a zone of this kind. */
export function zoneSeverity (zoneKind: string): Severity {
  return zoneKind === 'blasting' ? 'alarm' : 'warning'
}

/**
 * One fix of one entity against one zone. The signal's value is the fix accuracy, m. `known`: the
 * fix's classifyFix against this zone when the caller has it already (blasting_zone_entry shares it).
 */
export function evaluateZone (s: FenceState, zone: PolygonCoords, severity: Severity, lon: number, lat: number,
  accuracyM: number, ts: number, consecutiveFixes: number, known?: number): Signal | null {
  // outside the zone is the safe side: flip the classification
  const where = -(known ?? classifyFix(lon, lat, accuracyM, zone))
  return evaluateFence(s, where === 0 ? 0 : where, ts, consecutiveFixes, severity, accuracyM, 'inside_zone', 'left_zone')
}
