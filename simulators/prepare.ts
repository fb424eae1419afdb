/** Scenario + registry + seed + start → a ready Simulation and its plan. */
import type { Registry } from '../core/registry.js'
import { Simulation, selectSites } from './simulation.js'
import { scenario as byName, type Scenario, type ScenarioPlan } from './scenarios/index.js'

export interface PreparedRun {
  scenario: Scenario
  plan: ScenarioPlan
  sim: Simulation
  start: number
  end: number
  seed: number
}

export interface PrepareOptions {
  registry: Registry
  /** Scenario name or object (default normal-day). */
  scenario?: string | Scenario
  sites?: readonly string[]
  seed?: number
  /** Simulated start, epoch ms (default: the scenario's defaultStart(now, duration)). */
  start?: number
  /** Simulated duration, ms (default: the scenario's). */
  durationMs?: number
  /** Wall clock for the default start. */
  now?: number
}

/** Builds the simulation for a scenario run; deterministic for the same options. */
export function prepareRun (opts: PrepareOptions): PreparedRun {
  const scenario = typeof opts.scenario === 'object' ? opts.scenario : byName(opts.scenario ?? 'normal-day')
  const sites = selectSites(opts.registry, opts.sites)
  const durationMs = opts.durationMs ?? scenario.durationMs
  const start = opts.start ?? scenario.defaultStart(opts.now ?? Date.now(), durationMs)
  const seed = opts.seed ?? 1
  const plan = scenario.plan({ registry: opts.registry, sites, start, durationMs, seed })
  const sim = new Simulation({ registry: opts.registry, sites: sites.map((s) => s.id), seed, start, effects: plan.effects, inject: plan.inject })
  return { scenario, plan, sim, start, end: start + durationMs, seed }
}
