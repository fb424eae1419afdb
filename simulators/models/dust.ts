/**
 * Dust monitor (扬尘监测): TSP, PM10 and PM2.5 with a daily work pattern, weather
 * (wind raises dust, rain washes it out), spikes from passing trucks and the daily
 * blast, in the device's own unit, with HJ 212-2017 data flags (N normally).
 * Ratios: PM10/TSP 0.6–0.7 in open pits (domain.md §2); PM2.5/PM10 0.35–0.5.
 */
import { Rng, hashSeed, valueNoise } from '../prng.js'
import { activity, type SiteWeather } from '../weather.js'
import type { Device, Site } from '../../core/sites.js'
import type { DustUnit } from '../../core/units.js'
import type { Actor, Effect, SimMessage } from '../types.js'
import { effectsOf, firstPhaseMs, message, round } from './common.js'
import { HOUR, MINUTE, DAY, BEIJING_OFFSET_MS } from '../../core/time.js'

/** Typical daytime TSP by monitor role, mg/m³ (a managed quarry with spraying). */
const BASE_TSP: Record<string, number> = { extraction: 0.11, processing: 0.10, transport: 0.095, boundary: 0.065 }
const DEFAULT_BASE_TSP = 0.085
/** Coarse road and blast dust: share of a spike that is PM10 / PM2.5 (AP-42 unpaved roads, k10/k30 ≈ 0.3). */
const SPIKE_PM10_SHARE = 0.3
const SPIKE_PM25_SHARE = 0.04
/** Value multiplier from mg/m³ to the device unit, and decimals kept. */
const UNIT: Record<DustUnit, { k: number, decimals: number }> = {
  'mg/m3': { k: 1, decimals: 4 },
  'ug/m3': { k: 1e3, decimals: 1 },
  'ng/m3': { k: 1e6, decimals: 0 }
}
/** Daily blast (中午爆破) at 12:00 Beijing, within ±10 min. */
const BLAST_HOUR = 12

interface Spike { t0: number, amp: number, tauMs: number }

export class DustMonitor implements Actor {
  next: number
  private seq = 0
  private readonly rng: Rng
  private readonly seed: number
  private readonly base: number
  private readonly intervalMs: number
  private readonly spikes: Spike[] = []
  private nextTruck: number
  private readonly dustEffects: Array<Extract<Effect, { type: 'dust' }>>
  private readonly flagEffects: Array<Extract<Effect, { type: 'flag' }>>
  private readonly noiseEffects: Array<Extract<Effect, { type: 'noise' }>>

  constructor (private readonly site: Site, private readonly device: Device, private readonly weather: SiteWeather, seed: number, start: number, effects: readonly Effect[]) {
    this.seed = hashSeed(seed, device.id)
    this.rng = new Rng(this.seed)
    this.base = BASE_TSP[device.role ?? ''] ?? DEFAULT_BASE_TSP
    this.intervalMs = device.intervalS * 1000
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.nextTruck = start + this.truckGap(start)
    this.dustEffects = effectsOf(effects, 'dust').filter((e) => e.device === device.id)
    this.flagEffects = effectsOf(effects, 'flag').filter((e) => e.device === device.id)
    this.noiseEffects = effectsOf(effects, 'noise').filter((e) => e.device === device.id)
  }

  /** Concentrations at `t` in mg/m³, before unit conversion. */
  sample (t: number): { tsp: number, pm10: number, pm25: number } {
    const w = this.weather.at(t)
    const weatherK = (0.9 + 0.03 * w.windSpeed) * (w.raining ? 0.45 : w.rh > 85 ? 0.75 : 1)
    const slow = 0.9 + 0.2 * valueNoise(this.seed + 1, t, 10 * MINUTE)
    const fast = Math.max(0.85, Math.min(1.15, 1 + this.rng.normal(0, 0.04)))
    const tspBase = this.base * activity(t) * weatherK * slow * fast
    const r10 = 0.6 + 0.1 * valueNoise(this.seed + 2, t, HOUR)
    const r25 = 0.35 + 0.15 * valueNoise(this.seed + 3, t, 2 * HOUR)
    let spike = this.blast(t)
    for (const s of this.spikes) if (t >= s.t0) spike += s.amp * Math.exp(-(t - s.t0) / s.tauMs)
    let tsp = tspBase + spike
    let pm10 = tspBase * r10 + spike * SPIKE_PM10_SHARE
    let pm25 = tspBase * r10 * r25 + spike * SPIKE_PM25_SHARE
    for (const e of this.dustEffects) {
      const f = ramp(t, e.fromMs, e.toMs, e.rampMs)
      if (f <= 0) continue
      tsp += e.tspMgM3 * f
      pm10 += e.tspMgM3 * e.pm10Share * f
      pm25 += e.tspMgM3 * e.pm25Share * f
    }
    return { tsp, pm10, pm25 }
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    // trucks passing the monitor raise short spikes (transport and extraction monitors)
    while (this.nextTruck <= t) {
      if (this.device.role === 'transport' || this.device.role === 'extraction') {
        this.spikes.push({ t0: this.nextTruck, amp: this.rng.uniform(0.03, 0.1), tauMs: this.rng.uniform(60_000, 120_000) })
      }
      this.nextTruck += this.truckGap(this.nextTruck)
    }
    while (this.spikes.length > 0 && t - this.spikes[0]!.t0 > 10 * this.spikes[0]!.tauMs) this.spikes.shift()
    const c = this.sample(t)
    const w = this.weather.at(t)
    const u = UNIT[this.device.unit ?? 'mg/m3']
    const flag = this.flagEffects.find((e) => t >= e.fromMs && t < e.toMs)?.flag ?? 'N'
    const body = {
      ts: t,
      seq: ++this.seq,
      tsp: round(c.tsp * u.k, u.decimals),
      pm10: round(c.pm10 * u.k, u.decimals),
      pm25: round(c.pm25 * u.k, u.decimals),
      temp: round(w.temp + this.rng.normal(0, 0.2), 1),
      rh: round(Math.min(100, Math.max(0, w.rh + this.rng.normal(0, 1))), 1),
      windSpeed: round(Math.max(0, w.windSpeed + this.rng.normal(0, 0.3)), 1),
      windDir: Math.round(((w.windDir + this.rng.normal(0, 8)) % 360 + 360) % 360),
      noise: round(this.noise(t), 1),
      flag
    }
    return message(this.site, this.device, t, body, 1)
  }

  /**
   * LA, dB(A): in the works 52 + 14 × activity (66 by day); at the boundary, farther from the
   * machines, 38 + 13 × activity (51 by day, 46 in the evening, 44 at night): inside the GB 12348-2008
   * class 2 limits (60 / 50) with room for the clear margin, so only a scenario's noise effect exceeds them.
   */
  private noise (t: number): number {
    const e = this.noiseEffects.find((x) => t >= x.fromMs && t < x.toMs)
    if (e) return e.levelDb + this.rng.normal(0, 0.5)
    return this.device.role === 'boundary' ? 38 + 13 * activity(t) + this.rng.normal(0, 1.5) : 52 + 14 * activity(t) + this.rng.normal(0, 2)
  }

  /** Minutes between trucks passing: about 5 per hour in the day shift, fewer at night. */
  private truckGap (t: number): number {
    return this.rng.uniform(0.5, 1.5) * (12 * MINUTE) / activity(t)
  }

  /** The daily blast's dust at this monitor: a decaying puff after 12:00 ± 10 min Beijing. */
  private blast (t: number): number {
    const dayStart = Math.floor((t + BEIJING_OFFSET_MS) / DAY) * DAY - BEIJING_OFFSET_MS
    const jitter = (new Rng(hashSeed(this.site.id, 'blast', dayStart)).next() - 0.5) * 20 * MINUTE
    const t0 = dayStart + BLAST_HOUR * HOUR + jitter
    if (t < t0 || t > t0 + HOUR) return 0
    const amp = this.device.role === 'extraction' ? 0.08 : this.device.role === 'boundary' ? 0.02 : 0.04
    return amp * Math.exp(-(t - t0) / (4 * MINUTE))
  }
}

/** 0 → 1 over `rampMs` after `from`, 1 → 0 over `rampMs` before `to`. */
export function ramp (t: number, from: number, to: number, rampMs: number): number {
  if (t < from || t >= to) return 0
  if (rampMs <= 0) return 1
  return Math.min(1, (t - from) / rampMs, (to - t) / rampMs)
}
