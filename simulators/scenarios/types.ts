/**
 * A scenario is data plus a plan: given the registry, the simulated sites, the start
 * and the seed, `plan` returns the effects on the device models, any deliberately
 * bad messages, and the exact alerts the run must cause. Deterministic for a given
 * (registry, sites, seed, start).
 */
import type { AlertKind } from '../../core/alerts.js'
import type { Registry } from '../../core/registry.js'
import type { RejectReason } from '../../core/rejects.js'
import type { Severity, Site } from '../../core/sites.js'
import type { Effect, SimMessage } from '../types.js'

export interface ExpectedAlert {
  kind: AlertKind
  site: string
  /** Alert subject when the scenario can name it (entity id for geofence alerts). */
  subject?: string
  /** Device the alert is about, when it is about one. */
  device?: string
  severity?: Severity
  /** When the scenario can say: true if the alert must be resolved by the end of the run, false if it must still be open. */
  resolved?: boolean
}

export interface ScenarioContext {
  registry: Registry
  /** Sites being simulated (the scenario's target is chosen among them). */
  sites: readonly Site[]
  /** Simulated start, epoch ms. */
  start: number
  durationMs: number
  seed: number
}

export interface ScenarioPlan {
  effects: Effect[]
  /** Deliberately bad messages; `bad` names the reject reason (or 'broker') expected for each. */
  inject: SimMessage[]
  /** Exactly the alerts the run must open (none others). */
  expectedAlerts: ExpectedAlert[]
  /** Rejects expected when messages go straight to ingest (direct publisher), by reason: message counts. */
  expectedRejects: Partial<Record<RejectReason, number>>
  /** What the scenario does, in words, with the ids it picked (printed by the CLI). */
  summary: string
}

export interface Scenario {
  name: string
  description: string
  /** Default simulated duration, ms. */
  durationMs: number
  /** Default start for a run ending by `now` (readings must not lie in the future). */
  defaultStart(now: number, durationMs: number): number
  plan(ctx: ScenarioContext): ScenarioPlan
}

/** Start so that the run ends at `now`, rounded down to the second. */
export function endingNow (now: number, durationMs: number): number {
  return Math.floor((now - durationMs) / 1000) * 1000
}

export function emptyPlan (summary: string): ScenarioPlan {
  return { effects: [], inject: [], expectedAlerts: [], expectedRejects: {}, summary }
}
