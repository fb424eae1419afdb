/**
 * Runs every rule that applies to one reading and collects the signals. This is the hot path
 * (called for every stored reading): one Map look-up, field updates, and an allocation only
 * when a rule actually signals (rare).
 */
import type { AlertKind } from '../core/alerts.js'
import type { Reading } from '../core/readings.js'
import { evaluateDust } from './rules/dust-exceedance.js'
import { flagCounts } from '../core/dust.js'
import { dustImplausible, evaluateEpisode, evaluateStuck, flagProblem, oreImplausible } from './rules/data-quality.js'
import { evaluateWater, STEP_BACKWARDS } from './rules/water-recycling.js'
import { evaluateOre } from './rules/over-capacity.js'
import { seenOffline } from './rules/device-offline.js'
import { evaluateBoundary, evaluateElevation, BOUNDARY_STANDARD } from './rules/boundary-breach.js'
import { evaluateZone, ZONE_STANDARD } from './rules/zone-intrusion.js'
import { evaluateSos, SOS_STANDARD } from './rules/sos.js'
import { evaluateCrowd, CROWD_STANDARD } from './rules/zone-crowding.js'
import { evaluateSpeed, measureSpeed, SPEED_STANDARD } from './rules/over-speed.js'
import { evaluateStay, STAY_STANDARD } from './rules/zone-overstay.js'
import { evaluateBlasting, BLASTING_STANDARD } from './rules/blasting-entry.js'
import { classifyFix, CLEARLY_INSIDE } from './rules/fence.js'
import { evaluateMotionless, MOTIONLESS_STANDARD } from './rules/person-motionless.js'
import { checkTag, gapTag, seenTag, TAG_LOST_STANDARD } from './rules/tag-lost.js'
import { anyActive } from './schedules.js'
import type { Schedule } from '../core/schedules.js'
import { evaluateNoiseHour, evaluateNoisePeak } from './rules/noise-exceedance.js'
import { evaluateEnergyMeter } from './rules/energy-intensity.js'
import { METER_INFO } from '../core/energy.js'
import { NOISE_STANDARD, noiseCounts } from '../core/noise.js'
import { entityCtx, ORE_SUBJECT, WATER_SUBJECT, type Contexts, type DeviceCtx, type SiteCtx } from './context.js'
import type { Signal } from './rules/signal.js'
import { beijingDayStart } from '../core/time.js'

/** A signal with what the lifecycle needs to know about its subject. */
export interface PendingSignal {
  signal: Signal
  site: string
  kind: AlertKind
  subject: string
  device: string | null
  unit: string
  standard: string
}

export const OFFLINE_STANDARD = 'HJ 212-2017(以周期上报判断在线)'
export const FLAG_STANDARD = 'HJ 212-2017 数据标记'
export const CHECK_STANDARD = 'minewatch 数据有效性检查'

const stepOut = new Float64Array(1)

function num (v: unknown): number {
  return typeof v === 'number' ? v : NaN
}

function push (out: PendingSignal[], signal: Signal | null, d: DeviceCtx, kind: AlertKind, subject: string, unit: string, standard: string,
  device: string | null = d.id): void {
  if (signal !== null) out.push({ signal, site: d.site.site.id, kind, subject, device, unit, standard })
}

export interface EvaluateSettings {
  stuckAfterS: number
  /** The clock at the start of the batch, epoch ms (a finished day gets no running water checks). */
  now: number
  /** Called with (device, Beijing day start) when a dust or water reading is of another day than its device's last one, so its stored day is (re)judged. */
  touchDay: (device: DeviceCtx, day: number) => void
  /** The day facts (alerts/day-facts.ts): marked for each dust, water or ore reading's day, once per device and day between refreshes. */
  facts: { readonly generation: number, mark: (site: string, day: number) => void }
  /** The blasting windows of a site's zones by zone id (alerts/schedules.ts), undefined when it has none. */
  blasting?: (site: string) => ReadonlyMap<string, readonly Schedule[]> | undefined
}

/** Evaluates one reading; signals are appended to `out` in the order they happen. */
export function evaluateReading (ctx: Contexts, settings: EvaluateSettings, r: Reading, out: PendingSignal[]): void {
  const d = ctx.devices.get(r.device)
  if (d === undefined || d.site.site.id !== r.site || d.device.kind !== r.kind) return
  const ts = r.ts
  const v = r.values
  push(out, seenOffline(d.offline, ts), d, 'device_offline', d.id, 's', OFFLINE_STANDARD)
  switch (r.kind) {
    case 'dust': {
      touch(d, settings, ts)
      markFacts(d, settings, ts)
      const flag = v.flag
      const counts = flagCounts(flag)
      for (let i = 0; i < d.dust.length; i++) {
        const s = d.dust[i]!
        const x = v[s.limit.metric]
        push(out, evaluateDust(s, counts && typeof x === 'number' ? x : NaN, ts, ts), d, 'dust_exceedance', d.dustSubjects[i]!, 'mg/m³', d.dustSources[i]!)
      }
      const fp = flagProblem(flag)
      push(out, evaluateEpisode(d.flag, fp, null, ts), d, 'data_quality', d.flagSubject, '', FLAG_STANDARD)
      const tsp = num(v.tsp); const pm10 = num(v.pm10); const pm25 = num(v.pm25)
      const bad = dustImplausible(tsp, pm10, pm25)
      push(out, evaluateEpisode(d.implausible, bad, null, ts), d, 'data_quality', d.implausibleSubject, 'mg/m³', CHECK_STANDARD)
      if (fp === null) stuck(d, settings, v, ts, out, 'mg/m³')
      if (d.noise !== null) {
        const level = noiseCounts(flag, v.noise) ? v.noise : NaN
        push(out, evaluateNoiseHour(d.noise, level, ts), d, 'noise_exceedance', d.noiseSubject, 'dB(A)', NOISE_STANDARD)
        push(out, evaluateNoisePeak(d.noise, level, ts), d, 'noise_exceedance', d.noisePeakSubject, 'dB(A)', NOISE_STANDARD)
      }
      break
    }
    case 'water': {
      touch(d, settings, ts)
      markFacts(d, settings, ts)
      const total = v.totalM3
      if (typeof total === 'number' && d.meter !== null && d.site.water !== null) {
        push(out, evaluateWater(d.site.water, d.meter, total, ts, stepOut, settings.now), d, 'water_recycling_low', WATER_SUBJECT, '', d.site.site.water.standard, null)
        const bad = stepOut[0] === STEP_BACKWARDS ? 'totaliser_backwards' : null
        push(out, evaluateEpisode(d.implausible, bad, bad === null ? null : total, ts), d, 'data_quality', d.implausibleSubject, 'm³', CHECK_STANDARD)
      }
      stuck(d, settings, v, ts, out, 'm³/h')
      break
    }
    case 'ore': {
      if (d.site.site.energy.intensityLimitKgcePerT !== undefined) touch(d, settings, ts) // the day's output is the intensity's denominator
      markFacts(d, settings, ts)
      const tonnes = num(v.tonnes)
      const bad = oreImplausible(tonnes)
      push(out, evaluateEpisode(d.implausible, bad, bad === null ? null : tonnes, ts), d, 'data_quality', d.implausibleSubject, 't', CHECK_STANDARD)
      if (d.countsOre) push(out, evaluateOre(d.site.ore, tonnes, ts), d, 'over_capacity', ORE_SUBJECT, 't', d.site.site.ore.standard, null)
      break
    }
    case 'energy': {
      touch(d, settings, ts)
      const meter = d.device.meter
      const total = meter === undefined ? undefined : v[METER_INFO[meter].field]
      if (typeof total === 'number' && d.energy !== null) {
        const bad = evaluateEnergyMeter(d.energy, total, ts, d.site.site.energy.rollover) === STEP_BACKWARDS ? 'totaliser_backwards' : null
        push(out, evaluateEpisode(d.implausible, bad, bad === null ? null : total, ts), d, 'data_quality', d.implausibleSubject, METER_INFO[meter!].unit, CHECK_STANDARD)
      }
      break
    }
    case 'locator': {
      const id = v.entityId
      const lon = v.lon; const lat = v.lat
      if (typeof id !== 'string' || typeof lon !== 'number' || typeof lat !== 'number') break
      const sc = d.site
      const acc = typeof v.accuracyM === 'number' ? v.accuracyM : sc.site.fence.defaultAccuracyM
      const n = sc.site.fence.consecutiveFixes
      const e = entityCtx(sc, id)
      const alt = typeof v.alt === 'number' ? v.alt : null
      push(out, evaluateBoundary(e.boundary, sc.boundary, lon, lat, acc, ts, n, alt), d, 'boundary_breach', id, 'm', BOUNDARY_STANDARD)
      const range = sc.site.elevation
      if (alt !== null && range) push(out, evaluateElevation(e.elevation, range, lon, lat, alt, acc, ts, n), d, 'boundary_breach', e.elevationSubject, 'm', BOUNDARY_STANDARD)
      const vehicle = v.entity === 'vehicle'
      if (vehicle && sc.speedZones) measureSpeed(e.lastFix, typeof v.speedKmh === 'number' ? v.speedKmh : null, lon, lat, acc, ts)
      const blasting = v.entity === 'person' ? settings.blasting?.(sc.site.id) : undefined
      for (let i = 0; i < sc.zones.length; i++) {
        const z = sc.zones[i]!
        // 爆破警戒: a deleted window still ends an open alert (its rule runs once more, outside any window)
        const windows = blasting?.get(z.id)
        const blast = v.entity === 'person' && (windows !== undefined || e.blasting[i]!.active)
        const where = blast ? classifyFix(lon, lat, acc, z.coords) : undefined
        push(out, evaluateZone(e.zones[i]!, z.coords, z.severity, lon, lat, acc, ts, n, where), d, 'zone_intrusion', e.zoneSubjects[i]!, 'm', ZONE_STANDARD)
        if (where !== undefined) push(out, evaluateBlasting(e.blasting[i]!, where, windows !== undefined && anyActive(windows, ts), acc, ts, n), d, 'blasting_zone_entry', e.zoneSubjects[i]!, 'm', BLASTING_STANDARD)
        if (vehicle && z.maxSpeedKmh !== null) push(out, evaluateSpeed(e.speed[i]!, z.coords, z.maxSpeedKmh, lon, lat, acc, ts, n), d, 'over_speed', e.zoneSubjects[i]!, 'km/h', SPEED_STANDARD)
        if (z.maxStayS !== null && v.entity === 'person') push(out, evaluateStay(e.stays[i]!, z.coords, z.maxStayS, sc.site.people.staleS, lon, lat, acc, ts), d, 'zone_overstay', e.zoneSubjects[i]!, 's', STAY_STANDARD)
        if (z.crowd !== null && v.entity === 'person') push(out, evaluateCrowd(z.crowd, z.coords, id, lon, lat, acc, ts), d, 'zone_overcrowded', z.id, '', CROWD_STANDARD, null)
      }
      push(out, evaluateSos(e.sos, v.sos === 1, ts), d, 'sos', id, '', SOS_STANDARD)
      const person = v.entity === 'person'
      if (sc.motionless && person) {
        const p = sc.site.people
        push(out, evaluateMotionless(e.still, zoneSetting(sc, 'motionlessS', lon, lat, acc) ?? p.motionlessS ?? null, p.motionlessRadiusM, p.staleS, n, lon, lat, acc, ts), d, 'person_motionless', id, 's', MOTIONLESS_STANDARD)
      }
      if (sc.tagLost) {
        push(out, gapTag(e.tag, ts), d, 'tag_lost', id, 's', TAG_LOST_STANDARD, e.tag.device)
        push(out, seenTag(e.tag, tagLimitMs(sc, lon, lat, acc), d.id, person, ts), d, 'tag_lost', id, 's', TAG_LOST_STANDARD)
      }
      break
    }
    default:
      break
  }
}

/** The first zone's setting (motionlessS, tagLostS) for a fix clearly inside it, or null. */
function zoneSetting (sc: SiteCtx, key: 'motionlessS' | 'tagLostS', lon: number, lat: number, acc: number): number | null {
  for (let i = 0; i < sc.zones.length; i++) {
    const z = sc.zones[i]!
    const x = z[key]
    if (x !== null && classifyFix(lon, lat, acc, z.coords) === CLEARLY_INSIDE) return x
  }
  return null
}

/** 标签失联: the limit in force for a tag last seen at (lon, lat), ms (0: not watched there). */
export function tagLimitMs (sc: SiteCtx, lon: number, lat: number, acc: number): number {
  const s = zoneSetting(sc, 'tagLostS', lon, lat, acc) ?? sc.site.people.tagLostS
  return s === undefined ? 0 : s * 1000
}

/** 标签失联 clock checks of every watched tag at `now` (engine.tick()). */
export function checkTags (ctx: Contexts, now: number, out: PendingSignal[]): void {
  for (const sc of ctx.sites.values()) {
    if (!sc.tagLost) continue
    for (const e of sc.entities.values()) {
      const s = checkTag(e.tag, now, ctx.devices.get(e.tag.device)?.offline.active ?? false)
      if (s !== null) out.push({ signal: s, site: sc.site.id, kind: 'tag_lost', subject: e.id, device: e.tag.device === '' ? null : e.tag.device, unit: 's', standard: TAG_LOST_STANDARD })
    }
  }
}

/** Tells the day verdicts that the reading's Beijing day has new data (once per device and day in a row). */
function touch (d: DeviceCtx, settings: EvaluateSettings, ts: number): void {
  const day = beijingDayStart(ts)
  if (day === d.lastDay) return
  d.lastDay = day
  settings.touchDay(d, day)
}

/** Tells the day facts that the reading's Beijing day has new data (once per device and day until the next refresh). */
function markFacts (d: DeviceCtx, settings: EvaluateSettings, ts: number): void {
  const day = beijingDayStart(ts)
  const gen = settings.facts.generation
  if (day === d.factsDay && gen === d.factsGeneration) return
  d.factsDay = day
  d.factsGeneration = gen
  settings.facts.mark(d.site.site.id, day)
}

function stuck (d: DeviceCtx, settings: EvaluateSettings, v: Reading['values'], ts: number, out: PendingSignal[], unit: string): void {
  for (let i = 0; i < d.stuckFields.length; i++) {
    const x = v[d.stuckFields[i]!]
    if (typeof x !== 'number') continue
    // a flow of exactly 0 is a stopped pump, not a frozen sensor: NaN never equals itself, so it never sticks
    const value = d.device.kind === 'water' && x === 0 ? NaN : x
    push(out, evaluateStuck(d.stuck[i]!, value, ts, settings.stuckAfterS), d, 'data_quality', d.stuckSubjects[i]!, unit, CHECK_STANDARD)
  }
}
