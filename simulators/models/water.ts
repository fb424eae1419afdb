/**
 * Water meters (electromagnetic flowmeters): instantaneous flow (m³/h) and a
 * cumulative totaliser (m³) per meter role. A site-level water balance sets the
 * flows so that the recycling rate, by the site's `water.formula`, is 0.895–0.92
 * in normal operation (domain.md §4), or a scenario's rate.
 *   reuse:         returns ÷ (returns + fresh intake)
 *   beneficiation: returns ÷ (returns + discharge)
 * Returns are the meters of core/water.ts RETURN_ROLES.
 */
import { Rng, hashSeed, valueNoise } from '../prng.js'
import { activity } from '../weather.js'
import type { Device, Site } from '../../core/sites.js'
import { roleOf } from '../../core/sites.js'
import { isReturnRole, roleBin } from '../../core/water.js'
import type { Actor, Effect, SimMessage } from '../types.js'
import { effectsOf, firstPhaseMs, message, round } from './common.js'
import { HOUR } from '../../core/time.js'


/** Process water per tonne of ore, m³/t (wet crushing and flotation use 1–3). */
const WATER_PER_TONNE = 1.5

/** The site's water balance at an instant: flow per role, m³/h (split among meters of that role). */
export class WaterBalance {
  private readonly seed: number
  private readonly baseM3h: number
  private readonly rateEffects: Array<Extract<Effect, { type: 'recycling' }>>
  private readonly returnWeights = new Map<string, number>()
  private readonly perRole = new Map<string, number>()

  constructor (readonly site: Site, seed: number, effects: readonly Effect[]) {
    this.seed = hashSeed(seed, site.id, 'water')
    this.baseM3h = Math.max(40, (site.scaleTPerYear / 8760) * WATER_PER_TONNE)
    this.rateEffects = effectsOf(effects, 'recycling').filter((e) => e.site === site.id).sort((a, b) => a.fromMs - b.fromMs)
    const meters = site.devices.filter((d) => d.kind === 'water')
    const rng = new Rng(this.seed)
    let sum = 0
    for (const m of meters) {
      this.perRole.set(m.role!, (this.perRole.get(m.role!) ?? 0) + 1)
      const role = roleOf(m, 'water')
      if (isReturnRole(role)) {
        const w = rng.uniform(0.6, 1.4)
        this.returnWeights.set(m.id, w)
        sum += w
      }
    }
    for (const [id, w] of this.returnWeights) this.returnWeights.set(id, w / sum)
  }

  /** Recycling rate in force at `t`. */
  rate (t: number): number {
    let r = 0.895 + 0.025 * valueNoise(this.seed + 1, t, 6 * HOUR)
    for (const e of this.rateEffects) if (t >= e.fromMs) r = e.rate
    return r
  }

  /** True flow through `device` at `t`, m³/h. */
  flow (device: Device, t: number): number {
    const demand = this.baseM3h * (0.8 + 0.2 * activity(t)) * (0.9 + 0.2 * valueNoise(this.seed + 2, t, HOUR))
    const r = this.rate(t)
    const returns = r * demand
    const reuse = this.site.water.formula === 'reuse'
    // reuse: r = R / (R + F); beneficiation: r = R / (R + X)
    const fresh = reuse ? (1 - r) * demand : returns * (1 - r) / r * 1.25 + 0.02 * demand
    const discharge = reuse ? 0.3 * fresh : returns * (1 - r) / r
    const role = roleOf(device, 'water') ?? 'mill_feed'
    const share = 1 / (this.perRole.get(role) ?? 1)
    switch (roleBin(role)) { // the bins the rate counts (core/water.ts)
      case 0: return returns * (this.returnWeights.get(device.id) ?? 0)
      case 1: return fresh * share
      case 2: return discharge * share
      default: return (returns + fresh) * share // mill_feed
    }
  }
}

export class WaterMeter implements Actor {
  next: number
  private seq = 0
  private total: number
  private lastT: number
  private lastFlow: number
  private readonly rng: Rng
  private readonly intervalMs: number

  constructor (private readonly site: Site, private readonly device: Device, private readonly balance: WaterBalance, seed: number, start: number) {
    this.rng = new Rng(hashSeed(seed, device.id))
    this.intervalMs = device.intervalS * 1000
    this.total = round(this.rng.uniform(1e4, 9e5), 2)
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.lastT = this.next
    this.lastFlow = balance.flow(device, this.next)
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    const flow = this.balance.flow(this.device, t)
    // totaliser integrates the true flow (trapezoid between readings)
    this.total += ((this.lastFlow + flow) / 2) * ((t - this.lastT) / HOUR)
    this.lastT = t
    this.lastFlow = flow
    const body = { ts: t, seq: ++this.seq, totalM3: round(this.total, 2), flowM3h: round(flow * (1 + this.rng.normal(0, 0.005)), 1) }
    return message(this.site, this.device, t, body, 1)
  }
}
