/**
 * Energy meters (能耗): an electricity meter's kWh totaliser and active power, or a fuel meter's
 * litre or kilogram totaliser. Each role uses energy in proportion to the site's ore production
 * (simulators/models/fleet.ts Production, the pace the scales book), at a typical figure per
 * tonne for an open-pit quarry, shared among the site's meters of that role and meter type:
 * crusher 1.8 kWh/t, conveyors 0.6 kWh/t, haulage 0.45 L/t of diesel and so on. With the demo
 * quarry's crusher, conveyor and haulage meters that is about 0.85 kgce/t (core/energy.ts
 * GB/T 2589-2020 coefficients); an `energy` effect multiplies one role's use.
 */
import { Rng, hashSeed, valueNoise } from '../prng.js'
import type { Device, Site } from '../../core/sites.js'
import { roleOf } from '../../core/sites.js'
import { METER_INFO, type EnergyMeter, type EnergyRole } from '../../core/energy.js'
import type { Actor, Effect, SimMessage } from '../types.js'
import { effectsOf, firstPhaseMs, message, round } from './common.js'
import type { Production } from './fleet.js'
import { HOUR, MINUTE } from '../../core/time.js'

/** Electricity per tonne of ore by role, kWh/t (a quarry's crushing and screening plant; mills grind ore for beneficiation). */
const KWH_PER_T: Readonly<Record<EnergyRole, number>> = { crusher: 1.8, mill: 12, pumps: 0.5, haulage: 0.8, conveyor: 0.6, ventilation: 0.3, other: 0.3 }
/** Diesel per tonne of ore by role, L/t (haul trucks and loaders burn most of it). */
const DIESEL_L_PER_T: Readonly<Record<EnergyRole, number>> = { crusher: 0.05, mill: 0.02, pumps: 0.05, haulage: 0.45, conveyor: 0.02, ventilation: 0.02, other: 0.05 }

/** Use per tonne of ore in the meter's own unit. */
export function perTonne (meter: EnergyMeter, role: EnergyRole, densityKgPerL: number): number {
  if (meter === 'electricity_kwh') return KWH_PER_T[role]
  return meter === 'diesel_l' ? DIESEL_L_PER_T[role] : DIESEL_L_PER_T[role] * densityKgPerL
}

export class EnergyMeterDevice implements Actor {
  next: number
  private seq = 0
  private total: number
  private lastT: number
  private readonly rng: Rng
  private readonly seed: number
  private readonly intervalMs: number
  private readonly meter: EnergyMeter
  private readonly role: EnergyRole
  private readonly share: number
  private readonly effects: Array<Extract<Effect, { type: 'energy' }>>

  constructor (private readonly site: Site, private readonly device: Device, private readonly production: Production, seed: number, start: number, effects: readonly Effect[]) {
    this.seed = hashSeed(seed, device.id)
    this.rng = new Rng(this.seed)
    this.intervalMs = device.intervalS * 1000
    this.meter = device.meter ?? 'electricity_kwh'
    this.role = roleOf(device, 'energy') ?? 'other'
    this.share = 1 / site.devices.filter((d) => d.kind === 'energy' && d.role === this.role && d.meter === this.meter).length
    this.effects = effectsOf(effects, 'energy').filter((e) => e.site === site.id && e.role === this.role)
    this.total = round(this.rng.uniform(1e4, 5e5), 1)
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.lastT = this.next
  }

  /** Use at `t` in the meter's unit per hour. */
  rate (t: number): number {
    let f = 1
    for (const e of this.effects) if (t >= e.fromMs && t < e.toMs) f *= e.factor
    const noise = 0.95 + 0.1 * valueNoise(this.seed + 1, t, 10 * MINUTE)
    return this.production.rate(t) * perTonne(this.meter, this.role, this.site.energy.dieselDensityKgPerL) * this.share * f * noise
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    // the totaliser integrates the use since the last reading (at the rate at its end: readings are minutes apart)
    this.total += this.rate(t) * ((t - this.lastT) / HOUR)
    this.lastT = t
    const field = METER_INFO[this.meter].field
    const body: Record<string, number> = { ts: t, seq: ++this.seq, [field]: round(this.total, 2) }
    if (this.meter === 'electricity_kwh') body.powerKw = round(this.rate(t), 1)
    return message(this.site, this.device, t, body, 1)
  }
}
