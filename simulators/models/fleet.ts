/**
 * Haul trucks, truck scales and belt scales of one site.
 *
 * Each truck is its own `locator` device (role vehicle, entity 'vehicle', entityId =
 * device id) reporting GNSS fixes. Trucks run loops on `simulation.haulRoads`: the
 * first road (pit → crusher) carries ore over the truck scale, the others waste.
 * The truck scale's weighings are paced to the site's production target (0.8 × the
 * licensed scale pro rata, times a scenario factor) with gaps kept below
 * 0.9 × offlineFactor × intervalS, so the scale never looks offline; one ore truck
 * cycle ends in one weighing (30–90 t). Belt scales carry the same ore continuously.
 */
import { Rng, hashSeed, valueNoise } from '../prng.js'
import { Polyline, SiteGeometry } from '../geometry.js'
import { offsetM, type LonLat } from '../../core/geo.js'
import type { Device, Site } from '../../core/sites.js'
import type { Actor, Effect, SimMessage } from '../types.js'
import { effectsOf, firstPhaseMs, message, round } from './common.js'
import { Plan, poseAt, move, endHeading, type Segment } from './motion.js'
import { HOUR, MINUTE } from '../../core/time.js'

/** Share of the licensed pace a site produces in normal operation. */
export const NORMAL_PRODUCTION = 0.8
/** Truck loads, tonnes (domain.md §7: 30–90 t trucks). */
const MIN_LOAD_T = 30
const MAX_LOAD_T = 90
const NOMINAL_LOAD_T = 55
const LOADED_KMH = 20
const EMPTY_KMH = 28
const WEIGH_MS = 60_000 // 1 min on the scale
const DUMP_MS = 90_000 // 1.5 min tipping at the crusher

/** Site production target in t/h at t (licence pace × 0.8 × scenario factor). */
export class Production {
  private readonly factors: Array<Extract<Effect, { type: 'production' }>>
  readonly paceTPerH: number

  constructor (readonly site: Site, effects: readonly Effect[]) {
    this.paceTPerH = site.scaleTPerYear / 8760
    this.factors = effectsOf(effects, 'production').filter((e) => e.site === site.id).sort((a, b) => a.fromMs - b.fromMs)
  }

  factor (t: number): number {
    let f = 1
    for (const e of this.factors) if (t >= e.fromMs) f = e.factor
    return f
  }

  /** Highest factor ever in force (sizes the ore fleet). */
  get maxFactor (): number { return Math.max(1, ...this.factors.map((e) => e.factor)) }

  rate (t: number): number { return NORMAL_PRODUCTION * this.paceTPerH * this.factor(t) }
}

interface Weighing { t: number, truckId: string, tonnes: number }

/** One truck scale: its weighing schedule, which also plans its ore trucks' cycles. */
class ScaleSchedule {
  readonly queue: Weighing[] = []
  private j = 0
  private lastW: number
  private readonly rng: Rng
  private readonly maxGapMs: number
  private readonly haul: Polyline | undefined
  private readonly back: Polyline | undefined

  constructor (
    readonly device: Device,
    private readonly trucks: Truck[],
    private readonly production: Production,
    private readonly shareOfSite: number,
    offlineFactor: number,
    road: Polyline | undefined,
    seed: number,
    private readonly start: number
  ) {
    this.rng = new Rng(hashSeed(seed, device.id, 'weighings'))
    this.maxGapMs = 0.75 * offlineFactor * device.intervalS * 1000
    this.lastW = start + firstPhaseMs(device.intervalS, this.rng.next()) - 1
    this.haul = road
    this.back = road?.reversed()
  }

  /** Plans the next weighing (and the cycle of the truck that brings it). */
  advance (): void {
    const rate = this.production.rate(this.lastW) * this.shareOfSite
    const nominalGap = (NOMINAL_LOAD_T / rate) * HOUR
    let gap = Math.min(nominalGap, this.maxGapMs) * this.rng.uniform(0.8, 1.2)
    if (this.j === 0) gap = 1
    const truck = this.trucks.length > 0 ? this.trucks[this.j % this.trucks.length]! : undefined
    const w = Math.round(this.lastW + gap)
    let tracked = false
    if (truck && this.haul && this.back) {
      const haulMs = move(0, this.haul, LOADED_KMH).t1
      const first = truck.plan.end === undefined
      const ready = first ? this.start - HOUR : truck.plan.end!
      // a truck not back in time (at least 3 min loading) leaves this load to an untracked contractor truck
      tracked = first || w >= ready + 3 * MINUTE + haulMs
    }
    if (tracked && truck && this.haul && this.back) {
      const haulMs = move(0, this.haul, LOADED_KMH).t1
      const ready = truck.plan.end ?? this.start - HOUR
      const pit = this.haul.start
      const segs: Segment[] = []
      const departAt = w - haulMs
      segs.push({ kind: 'dwell', t0: ready, t1: departAt, p: pit, heading: truck.lastHeading })
      segs.push({ kind: 'move', t0: departAt, t1: w, path: this.haul })
      const end = this.haul.end
      const h = this.haul.at(this.haul.lengthM).heading
      segs.push({ kind: 'dwell', t0: w, t1: w + WEIGH_MS + DUMP_MS, p: end, heading: h })
      const ret = move(w + WEIGH_MS + DUMP_MS, this.back, EMPTY_KMH)
      segs.push(ret)
      truck.plan.push(...segs.filter((s) => s.t1 > s.t0))
      truck.lastHeading = endHeading(ret)
    }
    const tonnes = Math.min(MAX_LOAD_T, Math.max(MIN_LOAD_T, rate * ((w - this.lastW) / HOUR) * this.rng.uniform(0.95, 1.05)))
    const truckId = tracked && truck ? truck.device.id : `EXT-${String(1 + (this.j % 20)).padStart(2, '0')}`
    this.queue.push({ t: w, truckId, tonnes: round(tonnes, 2) })
    this.lastW = w
    this.j++
  }
}

/** A haul truck's GNSS terminal. */
export class Truck implements Actor {
  next: number
  lastHeading = 0
  readonly plan: Plan
  private seq = 0
  private readonly rng: Rng
  private readonly intervalMs: number
  private readonly altM: number | undefined
  /** Set for ore trucks: the schedule that plans them. */
  schedule: ScaleSchedule | undefined
  private excursion: Extract<Effect, { type: 'excursion' }> | undefined
  private excursionDone = false

  constructor (private readonly site: Site, readonly device: Device, seed: number, start: number, effects: readonly Effect[], extend?: (last: Segment | undefined) => Segment[]) {
    this.rng = new Rng(hashSeed(seed, device.id))
    this.intervalMs = device.intervalS * 1000
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.altM = site.elevation ? (site.elevation.minM + site.elevation.maxM) / 2 : undefined
    this.excursion = effectsOf(effects, 'excursion').find((e) => e.site === site.id && e.entity === 'vehicle' && e.entityId === device.id)
    this.plan = new Plan((last) => {
      if (this.schedule) {
        const before = this.plan.end
        while (this.plan.end === before) this.schedule.advance()
        return []
      }
      return extend ? this.withExcursion(extend(last), last) : []
    })
  }

  /** Inserts the scenario excursion after the first dump (a dwell at a road end) past its start time. */
  private withExcursion (segs: Segment[], _last: Segment | undefined): Segment[] {
    const e = this.excursion
    if (!e || this.excursionDone) return segs
    const out: Segment[] = []
    for (const s of segs) {
      const shift = out.length > 0 ? out[out.length - 1]!.t1 - s.t0 : 0
      const shifted = shiftSeg(s, shift)
      out.push(shifted)
      if (!this.excursionDone && shifted.kind === 'dwell' && shifted.dump && shifted.t1 >= e.fromMs) {
        this.excursionDone = true
        const from = shifted.p
        const there = new Polyline([from, ...e.via])
        const go = move(shifted.t1, there, e.kmh ?? 15)
        const stay: Segment = { kind: 'dwell', t0: go.t1, t1: go.t1 + e.dwellMs, p: there.end, heading: endHeading(go) }
        const back = move(stay.t1, there.reversed(), 15)
        out.push(go, stay, back)
      }
    }
    return out
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    const pose = poseAt(this.plan.at(t), t)
    const accuracyM = round(this.rng.uniform(1.5, 3), 1)
    const sd = accuracyM / 2
    const p = offsetM(pose.p, this.rng.normal(0, sd), this.rng.normal(0, sd))
    const body: Record<string, unknown> = {
      ts: t,
      seq: ++this.seq,
      entity: 'vehicle',
      entityId: this.device.id,
      lat: round(p[1], 7),
      lon: round(p[0], 7),
      accuracyM,
      speedKmh: round(Math.max(0, pose.speedKmh + (pose.moving ? this.rng.normal(0, 0.8) : Math.abs(this.rng.normal(0, 0.2)))), 1),
      heading: Math.round(((pose.heading + this.rng.normal(0, pose.moving ? 2 : 15)) % 360 + 360) % 360)
    }
    if (this.altM !== undefined) body.alt = round(this.altM + this.rng.normal(0, accuracyM), 1)
    return message(this.site, this.device, t, body, 1)
  }
}

function shiftSeg (s: Segment, by: number): Segment {
  return by === 0 ? s : { ...s, t0: s.t0 + by, t1: s.t1 + by }
}

/** A truck scale: one reading per weighing. */
export class TruckScale implements Actor {
  next: number
  private seq = 0
  private total: number

  constructor (private readonly site: Site, private readonly device: Device, private readonly schedule: ScaleSchedule, seed: number) {
    this.total = round(new Rng(hashSeed(seed, device.id, 'total')).uniform(1e5, 2e6), 2)
    if (schedule.queue.length === 0) schedule.advance()
    this.next = schedule.queue[0]!.t
  }

  step (): SimMessage | undefined {
    const w = this.schedule.queue.shift()!
    this.total += w.tonnes
    if (this.schedule.queue.length === 0) this.schedule.advance()
    this.next = this.schedule.queue[0]!.t
    return message(this.site, this.device, w.t, { ts: w.t, seq: ++this.seq, tonnes: w.tonnes, totalT: round(this.total, 2), truckId: w.truckId }, 1)
  }
}

/** A belt scale: tonnes conveyed since the last reading and the totaliser. */
export class BeltScale implements Actor {
  next: number
  private seq = 0
  private total: number
  private readonly rng: Rng
  private readonly seed: number
  private readonly intervalMs: number

  constructor (private readonly site: Site, private readonly device: Device, private readonly production: Production, private readonly share: number, seed: number, start: number) {
    this.seed = hashSeed(seed, device.id)
    this.rng = new Rng(this.seed)
    this.intervalMs = device.intervalS * 1000
    this.total = round(this.rng.uniform(1e5, 5e6), 2)
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    const rate = this.production.rate(t) * this.share * (0.9 + 0.2 * valueNoise(this.seed + 1, t, 20 * MINUTE))
    const tonnes = round(rate * (this.intervalMs / HOUR) * (1 + this.rng.normal(0, 0.02)), 3)
    this.total += tonnes
    return message(this.site, this.device, t, { ts: t, seq: ++this.seq, tonnes, totalT: round(this.total, 3) }, 1)
  }
}

/** Which road each truck runs: the first `oreCount` trucks haul ore on road 0, the others waste. */
export function truckAssignment (site: Site, effects: readonly Effect[], offlineFactor: number): { oreCount: number, roads: Polyline[], roadOf: Map<string, Polyline> } {
  const production = new Production(site, effects)
  const roads = (site.simulation?.haulRoads ?? []).map((r) => new Polyline(r.path as LonLat[]))
  const truckDevices = site.devices.filter((d) => d.kind === 'locator' && d.role !== 'personnel')
  const scaleDevices = site.devices.filter((d) => d.kind === 'ore' && d.role === 'truck_scale')
  const oreRoad = roads[0]
  const wasteRoads = roads.length > 1 ? roads.slice(1) : roads

  // enough ore trucks per scale that a truck is always back before its next weighing
  let orePerScale = 0
  if (oreRoad && scaleDevices.length > 0) {
    const cycleMs = move(0, oreRoad, LOADED_KMH).t1 + move(0, oreRoad, EMPTY_KMH).t1 + WEIGH_MS + DUMP_MS + 3 * MINUTE
    const rate = (NORMAL_PRODUCTION * production.paceTPerH * production.maxFactor) / scaleDevices.length
    const minGapMs = 0.8 * Math.min((NOMINAL_LOAD_T / rate) * HOUR, ...scaleDevices.map((d) => 0.75 * offlineFactor * d.intervalS * 1000))
    orePerScale = Math.ceil(cycleMs / minGapMs) + 1
  }
  const oreCount = Math.min(truckDevices.length, orePerScale * scaleDevices.length)
  const roadOf = new Map<string, Polyline>()
  truckDevices.forEach((d, i) => {
    if (roads.length === 0) return
    roadOf.set(d.id, i < oreCount ? oreRoad! : wasteRoads[i % wasteRoads.length]!)
  })
  return { oreCount, roads, roadOf }
}

/** Builds the trucks, truck scales and belt scales of a site. */
export function buildFleet (site: Site, seed: number, start: number, effects: readonly Effect[], offlineFactor: number): Actor[] {
  const geometry = new SiteGeometry(site)
  const production = new Production(site, effects)
  const truckDevices = site.devices.filter((d) => d.kind === 'locator' && d.role !== 'personnel')
  const scaleDevices = site.devices.filter((d) => d.kind === 'ore' && d.role === 'truck_scale')
  const beltDevices = site.devices.filter((d) => d.kind === 'ore' && d.role !== 'truck_scale')
  const { oreCount, roads, roadOf } = truckAssignment(site, effects, offlineFactor)
  const oreRoad = roads[0]
  const actors: Actor[] = []
  const trucks: Truck[] = []
  truckDevices.forEach((d, i) => {
    if (i < oreCount || roads.length === 0) {
      trucks.push(new Truck(site, d, seed, start, effects, roads.length === 0 ? parked(geometry, d, seed, start) : undefined))
      return
    }
    const road = roadOf.get(d.id)!
    trucks.push(new Truck(site, d, seed, start, effects, wasteLoop(road, d, seed, start)))
  })
  const oreTrucks = roads.length > 0 ? trucks.slice(0, oreCount) : []
  scaleDevices.forEach((d, s) => {
    const mine = oreTrucks.filter((_t, i) => i % scaleDevices.length === s)
    const schedule = new ScaleSchedule(d, mine, production, 1 / scaleDevices.length, offlineFactor, oreRoad, seed, start)
    for (const t of mine) t.schedule = schedule
    actors.push(new TruckScale(site, d, schedule, seed))
  })
  actors.push(...trucks)
  for (const d of beltDevices) actors.push(new BeltScale(site, d, production, 1 / beltDevices.length, seed, start))
  return actors
}

/** A waste truck's endless loop: load, haul, dump, return; starting at a random point of its cycle. */
function wasteLoop (road: Polyline, device: Device, seed: number, start: number): (last: Segment | undefined) => Segment[] {
  const rng = new Rng(hashSeed(seed, device.id, 'loop'))
  const back = road.reversed()
  return (last) => {
    const t0 = last ? last.t1 : start - Math.floor(rng.uniform(0, 25) * MINUTE)
    const load: Segment = { kind: 'dwell', t0, t1: t0 + Math.round(rng.uniform(2, 4) * MINUTE), p: road.start, heading: last ? endHeading(last) : 0 }
    const haul = move(load.t1, road, rng.uniform(18, 24))
    const dump: Segment = { kind: 'dwell', t0: haul.t1, t1: haul.t1 + Math.round(rng.uniform(1, 2) * MINUTE), p: road.end, heading: endHeading(haul), dump: true }
    const ret = move(dump.t1, back, rng.uniform(25, 32))
    return [load, haul, dump, ret]
  }
}

/** A truck with no haul road: parked near the site's centre. */
function parked (geometry: SiteGeometry, device: Device, seed: number, start: number): (last: Segment | undefined) => Segment[] {
  const rng = new Rng(hashSeed(seed, device.id, 'park'))
  const p = offsetM(geometry.anchor(), rng.uniform(-30, 30), rng.uniform(-30, 30))
  return (last) => {
    const t0 = last ? last.t1 : start - HOUR
    return [{ kind: 'dwell', t0, t1: t0 + HOUR, p, heading: 0 }]
  }
}

