/**
 * What a rule tells the engine. Rules are deterministic functions of (state, reading, now):
 * no I/O, no clock, no globals. For speed they update the state object they are given in
 * place (no allocation per reading) and return NO_SIGNAL (null) unless something changes.
 */
import type { Severity } from '../../core/sites.js'
import type { FixEvidence } from '../../core/alerts.js'

export interface Signal {
  /** fire opens (or escalates) the alert for the subject; resolve closes it. */
  type: 'fire' | 'resolve'
  severity: Severity
  /** Event time of the transition, epoch ms (a reading's timestamp, never the wall clock). */
  at: number
  value: number | null
  limit: number | null
  /** Machine-readable reason stored with the transition, e.g. 'avg_above_limit_for_hold'. */
  reason: string
  /** The fixes that proved a fence transition (quoted in the transition's stored text). */
  evidence?: readonly FixEvidence[]
}

export type { FixEvidence }


/** Returned by rules when nothing changes (kept as a constant: no allocation on the hot path). */
export const NO_SIGNAL = null

export function fire (at: number, severity: Severity, value: number | null, limit: number | null, reason: string): Signal {
  return { type: 'fire', severity, at, value, limit, reason }
}

export function resolve (at: number, value: number | null, limit: number | null, reason: string): Signal {
  return { type: 'resolve', severity: 'warning', at, value, limit, reason }
}
