/**
 * Personnel tags (人员定位): people move between `simulation.workAreas`, wander
 * inside an area and stay idle for 5–40 min. Each person's tag is GNSS
 * (accuracy 2–4.5 m) or UWB (0.3 m static, 0.5 m moving; domain.md §5). The site's
 * `locator` devices with role personnel report their people in arrays: a moving
 * person every report, an idle one every 30 s (one calling SOS every report). Person i belongs
 * to device i mod n.
 * Routes keep 25 m clear of the boundary and every zone (no geofence alert).
 */
import { Rng, hashSeed } from '../prng.js'
import { Polyline, SiteGeometry } from '../geometry.js'
import { distanceM, offsetM, type LonLat } from '../../core/geo.js'
import type { Device, Site } from '../../core/sites.js'
import type { Actor, Effect, SimMessage } from '../types.js'
import { effectsOf, firstPhaseMs, message, round } from './common.js'
import { Plan, poseAt, move, endHeading, type Segment } from './motion.js'
import { MINUTE, SECOND } from '../../core/time.js'

/** An idle person is reported this often. */
const IDLE_REPORT_MS = 30 * SECOND
const WALK_KMH = 4.3

interface Area { id: string, center: LonLat, radiusM: number }

/** Work areas whose centres are clear, and which pairs can be walked in a straight line. */
class AreaMap {
  readonly areas: Area[]
  readonly links: number[][]

  constructor (readonly geometry: SiteGeometry, site: Site) {
    const hinted = (site.simulation?.workAreas ?? []).map((a) => ({ id: a.id, center: a.center as LonLat, radiusM: a.radiusM }))
    this.areas = hinted.filter((a) => geometry.isClear(a.center))
    if (this.areas.length === 0) this.areas = [{ id: 'site', center: geometry.anchor(), radiusM: 50 }]
    this.links = this.areas.map((a, i) => this.areas.map((_b, j) => j).filter((j) => j !== i && geometry.segmentClear(a.center, this.areas[j]!.center)))
  }

  /** Shortest chain of area indexes from a to b (breadth-first), or undefined. */
  route (a: number, b: number): number[] | undefined {
    const prev = new Map<number, number>([[a, -1]])
    const queue = [a]
    while (queue.length > 0) {
      const x = queue.shift()!
      if (x === b) break
      for (const y of this.links[x]!) if (!prev.has(y)) { prev.set(y, x); queue.push(y) }
    }
    if (!prev.has(b)) return undefined
    const path: number[] = []
    for (let x = b; x !== -1; x = prev.get(x)!) path.unshift(x)
    return path
  }

  /** A clear point in area i reachable from `from` in a straight line. */
  spot (i: number, from: LonLat | undefined, rng: Rng): LonLat {
    const a = this.areas[i]!
    for (let k = 0; k < 20; k++) {
      const r = a.radiusM * Math.sqrt(rng.next())
      const th = rng.uniform(0, 2 * Math.PI)
      const p = offsetM(a.center, r * Math.cos(th), r * Math.sin(th))
      if (this.geometry.isClear(p) && (!from || this.geometry.segmentClear(from, p))) return p
    }
    return a.center
  }
}

class Person {
  readonly plan: Plan
  area: number
  lastReport = -Infinity
  /** The tag sends nothing in [silentFrom, silentTo) (set when a scenario excursion with a silence is planned). */
  silentFrom = Infinity
  silentTo = -Infinity
  /** The tag's SOS button is raised in these windows (紧急呼救 scenario). */
  readonly sos: ReadonlyArray<Extract<Effect, { type: 'sos' }>>
  readonly uwb: boolean
  private excursion: Extract<Effect, { type: 'excursion' }> | undefined

  constructor (readonly id: string, private readonly map: AreaMap, readonly rng: Rng, start: number, effects: readonly Effect[], site: string) {
    this.uwb = rng.chance(0.3)
    this.area = rng.int(0, map.areas.length - 1)
    this.excursion = effectsOf(effects, 'excursion').find((e) => e.site === site && e.entity === 'person' && e.entityId === id)
    this.sos = effectsOf(effects, 'sos').filter((e) => e.site === site && e.entityId === id)
    if (this.excursion) this.area = map.areas.reduce((best, a, i) => distanceM(a.center, this.excursion!.via[0]!) < distanceM(map.areas[best]!.center, this.excursion!.via[0]!) ? i : best, 0)
    const p0 = map.spot(this.area, undefined, rng)
    this.plan = new Plan((last) => this.extend(last, start, p0))
  }

  private extend (last: Segment | undefined, start: number, p0: LonLat): Segment[] {
    if (!last) return [{ kind: 'dwell', t0: start - Math.floor(this.rng.uniform(0, 30) * MINUTE), t1: start + Math.floor(this.rng.uniform(1, 30) * MINUTE), p: p0, heading: this.rng.uniform(0, 359) }]
    const here = last.kind === 'dwell' ? last.p : last.path.end
    if (last.kind === 'move') {
      return [{ kind: 'dwell', t0: last.t1, t1: last.t1 + Math.round(this.rng.uniform(5, 40) * MINUTE), p: here, heading: endHeading(last) }]
    }
    const e = this.excursion
    if (e && last.t1 >= e.fromMs) {
      this.excursion = undefined
      // walk to the area centre, then along the scenario's route, stay, and come back
      const out = new Polyline([here, this.map.areas[this.area]!.center, ...e.via])
      const go = move(last.t1, out, WALK_KMH)
      const stay: Segment = { kind: 'dwell', t0: go.t1, t1: Math.max(go.t1 + e.dwellMs, e.untilMs ?? -Infinity), p: out.end, heading: endHeading(go) }
      if (e.silence) { this.silentFrom = stay.t0 + e.silence.afterMs; this.silentTo = this.silentFrom + e.silence.forMs }
      return [go, stay, move(stay.t1, out.reversed(), WALK_KMH)]
    }
    let target = this.area
    if (this.excursion === undefined && this.rng.chance(0.25) && this.map.areas.length > 1) target = this.rng.int(0, this.map.areas.length - 1)
    const chain = target === this.area ? undefined : this.map.route(this.area, target)
    const points: LonLat[] = [here]
    if (chain) {
      for (const i of chain) points.push(this.map.areas[i]!.center)
      this.area = target
    }
    const dest = this.map.spot(this.area, points[points.length - 1], this.rng)
    points.push(dest)
    const clean = points.filter((p, i) => i === 0 || distanceM(p, points[i - 1]!) > 0.5)
    if (clean.length < 2) return [{ kind: 'dwell', t0: last.t1, t1: last.t1 + 5 * MINUTE, p: here, heading: last.heading }]
    return [move(last.t1, new Polyline(clean), this.rng.uniform(WALK_KMH - 1, WALK_KMH + 0.7))]
  }

  /** The SOS button is raised at t. */
  calling (t: number): boolean {
    return this.sos.some((e) => t >= e.fromMs && t < e.toMs)
  }
}

/** A personnel locator device (UWB anchor network or GNSS gateway) reporting its people in arrays. */
export class PersonnelGateway implements Actor {
  next: number
  private seq = 0
  private readonly rng: Rng
  private readonly intervalMs: number
  private readonly altM: number | undefined

  constructor (private readonly site: Site, private readonly device: Device, private readonly people: Person[], seed: number, start: number) {
    this.rng = new Rng(hashSeed(seed, device.id))
    this.intervalMs = device.intervalS * 1000
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.altM = site.elevation ? (site.elevation.minM + site.elevation.maxM) / 2 : undefined
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    const readings: Array<Record<string, unknown>> = []
    let stalest: Person | undefined
    for (const person of this.people) {
      const seg = person.plan.at(t)
      if (t >= person.silentFrom && t < person.silentTo) continue // the tag is not heard (标签失联 scenario)
      const pose = poseAt(seg, t)
      if (!stalest || person.lastReport < stalest.lastReport) stalest = person
      if (!pose.moving && !person.calling(t) && t - person.lastReport < IDLE_REPORT_MS) continue
      readings.push(this.fix(person, t))
    }
    if (readings.length === 0 && stalest) readings.push(this.fix(stalest, t))
    if (readings.length === 0) return undefined
    return message(this.site, this.device, t, readings, readings.length)
  }

  private fix (person: Person, t: number): Record<string, unknown> {
    // each tag's fix time lies within the last report interval
    const ts = t - Math.floor(this.rng.uniform(0, Math.min(this.intervalMs, 1000)))
    const pose = poseAt(person.plan.at(ts), ts)
    person.lastReport = t
    const accuracyM = person.uwb ? (pose.moving ? 0.5 : 0.3) : round(this.rng.uniform(2, 4.5), 1)
    const sd = accuracyM / 2
    const p = offsetM(pose.p, this.rng.normal(0, sd), this.rng.normal(0, sd))
    const r: Record<string, unknown> = {
      ts,
      seq: ++this.seq,
      entity: 'person',
      entityId: person.id,
      lat: round(p[1], 7),
      lon: round(p[0], 7),
      accuracyM,
      speedKmh: round(pose.moving ? Math.max(0, pose.speedKmh + this.rng.normal(0, 0.3)) : Math.abs(this.rng.normal(0, 0.1)), 1),
      heading: Math.round(((pose.heading + this.rng.normal(0, pose.moving ? 5 : 30)) % 360 + 360) % 360)
    }
    if (this.altM !== undefined && !person.uwb) r.alt = round(this.altM + this.rng.normal(0, accuracyM * 1.5), 1)
    if (person.calling(ts)) r.sos = 1
    return r
  }
}

/** Person ids of a site: `<site>-P001`, ... */
export function personId (site: Site, i: number): string {
  return `${site.id}-P${String(i + 1).padStart(3, '0')}`.slice(-64)
}

/** Builds the personnel gateways of a site with their people. */
export function buildPeople (site: Site, seed: number, start: number, effects: readonly Effect[]): Actor[] {
  const gateways = site.devices.filter((d) => d.kind === 'locator' && d.role === 'personnel')
  if (gateways.length === 0) return []
  const map = new AreaMap(new SiteGeometry(site), site)
  const count = site.simulation?.people || 10 * gateways.length
  const groups: Person[][] = gateways.map(() => [])
  for (let i = 0; i < count; i++) {
    const id = personId(site, i)
    groups[i % gateways.length]!.push(new Person(id, map, new Rng(hashSeed(seed, id)), start, effects, site.id))
  }
  return gateways.map((d, i) => new PersonnelGateway(site, d, groups[i]!, seed, start))
}

