/**
 * A simulation: the devices of some sites plus scenario effects, merged into one
 * stream of messages in simulated-time order. Deterministic for a given
 * (registry, sites, seed, start, effects): the same inputs give the same bytes.
 */
import type { Registry } from '../core/registry.js'
import type { Site } from '../core/sites.js'
import { MinewatchError } from '../core/errors.js'
import { ActorHeap } from './heap.js'
import { buildSite } from './site.js'
import { effectsOf } from './models/common.js'
import type { Actor, Effect, SimMessage } from './types.js'

export interface SimulationOptions {
  registry: Registry
  /** Site ids to simulate (default: all). */
  sites?: readonly string[]
  seed?: number
  /** Simulated start, epoch ms. */
  start: number
  effects?: readonly Effect[]
  /** Extra messages sent as they are (deliberately bad payloads), in any order. */
  inject?: readonly SimMessage[]
}

/** Resolves site ids against the registry; throws MW_BAD_REQUEST naming unknown ones. */
export function selectSites (registry: Registry, ids?: readonly string[]): Site[] {
  if (!ids || ids.length === 0) return [...registry.sites]
  const unknown = ids.filter((id) => !registry.site(id))
  if (unknown.length > 0) throw new MinewatchError('MW_BAD_REQUEST', `unknown site(s): ${unknown.join(', ')} (have: ${registry.sites.map((s) => s.id).join(', ')})`)
  return ids.map((id) => registry.site(id)!)
}

class Injector implements Actor {
  next: number
  private i = 0
  private readonly list: SimMessage[]
  constructor (list: readonly SimMessage[]) {
    this.list = [...list].sort((a, b) => a.t - b.t)
    this.next = this.list[0]?.t ?? Infinity
  }

  step (): SimMessage | undefined {
    const m = this.list[this.i++]
    this.next = this.list[this.i]?.t ?? Infinity
    return m
  }
}

export class Simulation {
  readonly sites: Site[]
  readonly start: number
  private readonly heap = new ActorHeap()
  private readonly silences: Array<Extract<Effect, { type: 'silence' }>>

  constructor (opts: SimulationOptions) {
    this.sites = selectSites(opts.registry, opts.sites)
    this.start = opts.start
    const effects = opts.effects ?? []
    this.silences = effectsOf(effects, 'silence')
    const offlineFactor = opts.registry.config.alerts.offlineFactor
    let order = 0
    for (const site of this.sites) {
      for (const a of buildSite(site, { seed: opts.seed ?? 1, start: opts.start, effects, offlineFactor })) this.heap.push(a, order++)
    }
    if (opts.inject && opts.inject.length > 0) this.heap.push(new Injector(opts.inject), order++)
  }

  /** Time of the next message, epoch ms (Infinity when none). */
  peekTime (): number { return this.heap.peek()?.next ?? Infinity }

  /** The next message at or before `until`, or undefined when the next one is later. */
  nextBefore (until: number): SimMessage | undefined {
    for (;;) {
      const a = this.heap.peek()
      if (!a || a.next > until) return undefined
      const m = a.step()
      this.heap.fixTop()
      if (!m) continue
      if (!m.bad && this.silenced(m.device, m.t)) continue
      return m
    }
  }

  /** All messages up to `until` (for tests and fast runs). */
  * until (until: number): Generator<SimMessage> {
    for (let m = this.nextBefore(until); m; m = this.nextBefore(until)) yield m
  }

  private silenced (device: string, t: number): boolean {
    for (const s of this.silences) if (s.device === device && t >= s.fromMs && t < s.toMs) return true
    return false
  }
}
