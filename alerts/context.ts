/**
 * The engine's per-site and per-device rule state, built once from the registry so that the
 * per-reading path is a Map look-up plus field updates (subjects are precomputed strings).
 */
import type { AlertKind } from '../core/alerts.js'
import type { Config } from '../core/config.js'
import type { PolygonCoords } from '../core/geo.js'
import type { Registry } from '../core/registry.js'
import type { Device, DustLimit, Severity, Site } from '../core/sites.js'
import { roleOf } from '../core/sites.js'
import { isCalendarDayLimit, limitApplies, limitSource } from '../core/dust.js'
import { countsAsOutput } from '../core/ore.js'
import { createDustState, type DustState } from './rules/dust-exceedance.js'
import { createEpisodeState, createStuckState, type EpisodeState, type StuckState } from './rules/data-quality.js'
import { createMeterState, createWaterState, type MeterState, type WaterState } from './rules/water-recycling.js'
import { createOreState, type OreState } from './rules/over-capacity.js'
import { createOfflineState, type OfflineState } from './rules/device-offline.js'
import { createFenceState, type FenceState } from './rules/fence.js'
import { zoneSeverity } from './rules/zone-intrusion.js'
import { createSosState, type SosState } from './rules/sos.js'
import { createCrowdState, type CrowdState } from './rules/zone-crowding.js'
import { createLastFix, type LastFix } from './rules/over-speed.js'
import { createStayState, type StayState } from './rules/zone-overstay.js'
import { createNoiseState, type NoiseState } from './rules/noise-exceedance.js'
import { noiseApplies } from '../core/noise.js'
import { createStillState, type StillState } from './rules/person-motionless.js'
import { createTagState, type TagState } from './rules/tag-lost.js'
import { createEnergyMeterState, type EnergyMeterState } from './rules/energy-intensity.js'

/** Fields checked for stuck values, per device kind (locators may stand still; totalisers may not move). */
export const STUCK_FIELDS: Readonly<Record<string, readonly string[]>> = {
  dust: ['tsp', 'pm10', 'pm25'],
  water: ['flowM3h']
}

/** Subject for the running (day-to-date) water recycling warning of a site (one per site). */
export const WATER_SUBJECT = 'recycling_rate'

/** Subject of a whole-day water verdict: one per site and Beijing date (alerts/day-verdicts.ts). */
export function waterDaySubject (date: string): string {
  return `${WATER_SUBJECT}:${date}`
}

/** Subject of a calendar-day dust verdict: one per monitor, metric and Beijing date. */
export function dustDaySubject (device: string, metric: string, date: string): string {
  return `${device}:${metric}:day:${date}`
}

/** The running-window limits (not calendar-day ones) that apply to a dust monitor of this role. */
export function runningLimits (site: Site, device: Device): DustLimit[] {
  if (device.kind !== 'dust') return []
  const role = roleOf(device, 'dust')
  return site.dust.limits.filter((l) => !isCalendarDayLimit(l) && limitApplies(l, role))
}

/** The calendar-day limits that apply to a dust monitor of this role. */
export function dayLimits (site: Site, device: Device): DustLimit[] {
  if (device.kind !== 'dust') return []
  const role = roleOf(device, 'dust')
  return site.dust.limits.filter((l) => isCalendarDayLimit(l) && limitApplies(l, role))
}
/** Subject of a boundary monitor's hourly-Leq noise alert, and of its night-peak one (alerts/rules/noise-exceedance.ts). */
export function noiseSubject (device: string): string { return `${device}:noise` }
export function noisePeakSubject (device: string): string { return `${device}:noise:peak` }

/** Subject of a whole-day energy intensity verdict: one per site and Beijing date (alerts/rules/energy-intensity.ts). */
export const ENERGY_SUBJECT = 'intensity'
export function energyDaySubject (date: string): string {
  return `${ENERGY_SUBJECT}:${date}`
}

/** Subject for the over-capacity alert of a site (one per site). */
export const ORE_SUBJECT = 'output'

export interface ZoneCtx {
  id: string
  coords: PolygonCoords
  severity: Severity
  /** 区域超员: the zone's headcount (null when the zone has no maxPeople). */
  crowd: CrowdState | null
  /** 超速: the zone's vehicle speed limit, km/h (null: none). */
  maxSpeedKmh: number | null
  /** 超时: the zone's longest stay, s (null: none). */
  maxStayS: number | null
  /** 人员长时间静止 and 标签失联 inside the zone, s (null: the site's). */
  motionlessS: number | null
  tagLostS: number | null
}

export interface EntityCtx {
  id: string
  boundary: FenceState
  /** 超层: the fixes' altitude against sites[].elevation (subject `{entity}:elevation`). */
  elevation: FenceState
  elevationSubject: string
  zones: FenceState[]
  zoneSubjects: string[]
  /** 紧急呼救: the tag's SOS button (subject `{entity}`). */
  sos: SosState
  /** 超速: the vehicle's previous fix (derived speed), and one counter per zone (unused for zones without maxSpeedKmh). */
  lastFix: LastFix
  speed: FenceState[]
  /** 超时: one stay per zone (unused for zones without maxStayS). */
  stays: StayState[]
  /** 爆破警戒: one counter per zone (used for zones with a blasting window, alerts/rules/blasting-entry.ts). */
  blasting: FenceState[]
  /** 人员长时间静止 (subject `{entity}`). */
  still: StillState
  /** 标签失联 (subject `{entity}`). */
  tag: TagState
}

export interface SiteCtx {
  site: Site
  boundary: PolygonCoords
  zones: ZoneCtx[]
  water: WaterState | null
  ore: OreState
  entities: Map<string, EntityCtx>
  /** Some zone has maxSpeedKmh (vehicle fixes keep their previous fix for a derived speed). */
  speedZones: boolean
  /** The site or one of its zones sets motionlessS / tagLostS (otherwise the rules are skipped). */
  motionless: boolean
  tagLost: boolean
}

export interface DeviceCtx {
  id: string
  device: Device
  site: SiteCtx
  dust: DustState[]
  dustSubjects: string[]
  /** What each running limit's alerts quote: its legal standard, or the operational-limit label. */
  dustSources: string[]
  flag: EpisodeState
  flagSubject: string
  implausible: EpisodeState
  implausibleSubject: string
  stuckFields: readonly string[]
  stuck: StuckState[]
  stuckSubjects: string[]
  offline: OfflineState
  meter: MeterState | null
  /** 厂界噪声: boundary monitors of a site with a noise zone class (core/noise.ts noiseApplies), else null. */
  noise: NoiseState | null
  noiseSubject: string
  noisePeakSubject: string
  /** Ore output of this device counts toward over_capacity. */
  countsOre: boolean
  /** 能耗: an energy meter's totaliser baseline (data_quality on a backwards step), else null. */
  energy: EnergyMeterState | null
  /** Beijing day start of the last reading that touched a day verdict (NaN: none since the last judgement). */
  lastDay: number
  /** Beijing day start of the last reading that marked the day facts, and the facts' generation then (alerts/day-facts.ts). */
  factsDay: number
  factsGeneration: number
}

export interface Contexts {
  sites: Map<string, SiteCtx>
  devices: Map<string, DeviceCtx>
}

/** Builds empty rule state for every configured site and device; never-seen devices count from `startedAt`. */
export function buildContexts (registry: Registry, config: Config, startedAt: number): Contexts {
  const sites = new Map<string, SiteCtx>()
  const devices = new Map<string, DeviceCtx>()
  for (const site of registry.sites) {
    const hasWater = site.devices.some((d) => d.kind === 'water')
    const sc: SiteCtx = {
      site,
      boundary: site.boundary.coordinates as PolygonCoords,
      zones: site.zones.map((z) => ({
        id: z.id,
        coords: z.geometry.coordinates as PolygonCoords,
        severity: zoneSeverity(z.kind),
        crowd: z.maxPeople === undefined ? null : createCrowdState(z.maxPeople, site.people.hysteresis, site.people.staleS),
        maxSpeedKmh: z.maxSpeedKmh ?? null,
        maxStayS: z.maxStayS ?? null,
        motionlessS: z.motionlessS ?? null,
        tagLostS: z.tagLostS ?? null
      })),
      water: hasWater ? createWaterState(site.water) : null,
      ore: createOreState(site.scaleTPerYear, site.ore.monthlyMargin),
      entities: new Map(),
      speedZones: site.zones.some((z) => z.maxSpeedKmh !== undefined),
      motionless: site.people.motionlessS !== undefined || site.zones.some((z) => z.motionlessS !== undefined),
      tagLost: site.people.tagLostS !== undefined || site.zones.some((z) => z.tagLostS !== undefined)
    }
    sites.set(site.id, sc)
    for (const device of site.devices) {
      if (device.disabled) continue // no rules, no offline alarm for a disabled device
      const stuckFields = STUCK_FIELDS[device.kind] ?? []
      const limits = runningLimits(site, device)
      const waterRole = roleOf(device, 'water')
      devices.set(device.id, {
        id: device.id,
        device,
        site: sc,
        dust: limits.map((l) => createDustState(l, device.intervalS)),
        dustSubjects: limits.map((l) => `${device.id}:${l.metric}:${l.windowS}`),
        dustSources: limits.map((l) => limitSource(l, config.alerts.language)),
        flag: createEpisodeState(),
        flagSubject: `${device.id}:flag`,
        implausible: createEpisodeState(),
        implausibleSubject: `${device.id}:implausible`,
        stuckFields,
        stuck: stuckFields.map(() => createStuckState()),
        stuckSubjects: stuckFields.map((f) => `${device.id}:stuck:${f}`),
        offline: createOfflineState(device.intervalS, config.alerts.offlineFactor, startedAt),
        meter: waterRole ? createMeterState(waterRole) : null,
        noise: noiseApplies(site.noise, device.kind, device.role) ? createNoiseState(site.noise) : null,
        noiseSubject: noiseSubject(device.id),
        noisePeakSubject: noisePeakSubject(device.id),
        countsOre: countsAsOutput(site, device),
        energy: device.kind === 'energy' ? createEnergyMeterState() : null,
        lastDay: NaN,
        factsDay: NaN,
        factsGeneration: -1
      })
    }
  }
  return { sites, devices }
}

/**
 * A config reload: moves the rule state of `prev` into the freshly built `next` wherever the
 * same subject is still configured, so open episodes continue and averaging windows keep their
 * data under changed limits. A dust window is kept when its width (windowS) is unchanged; its
 * new limit, hold and clear level apply from the next reading. Then `prev` takes `next`'s
 * contents in place (parts holding `prev`, like the day verdicts, see the new state).
 */
export function carryOver (prev: Contexts, next: Contexts): void {
  for (const [id, n] of next.devices) {
    const o = prev.devices.get(id)
    if (!o || o.device.kind !== n.device.kind) continue
    n.dust.forEach((d, i) => {
      const j = o.dustSubjects.indexOf(n.dustSubjects[i]!)
      const old = j < 0 ? undefined : o.dust[j]
      if (!old || old.bucketMs !== d.bucketMs || old.buckets !== d.buckets) return
      d.sums.set(old.sums); d.counts.set(old.counts)
      Object.assign(d, { head: old.head, sum: old.sum, count: old.count, filled: old.filled, lastTs: old.lastTs, active: old.active, since: old.since, day: old.day, firedToday: old.firedToday })
    })
    n.flag = o.flag
    n.implausible = o.implausible
    n.stuck = n.stuckFields.map((f, i) => { const k = o.stuckFields.indexOf(f); return k < 0 ? n.stuck[i]! : o.stuck[k]! })
    Object.assign(n.offline, { lastSeen: o.offline.lastSeen, active: o.offline.active })
    if (n.meter && o.meter && n.meter.role === o.meter.role) n.meter = o.meter
    if (n.energy && o.energy && n.device.meter === o.device.meter) n.energy = o.energy
    if (n.noise && o.noise) Object.assign(n.noise, { hour: o.noise.hour, active: o.noise.active, run: o.noise.run, peakActive: o.noise.peakActive, lastPeak: o.noise.lastPeak, quietSince: o.noise.quietSince, lastTs: o.noise.lastTs })
    n.lastDay = o.lastDay
  }
  for (const [id, n] of next.sites) {
    const o = prev.sites.get(id)
    if (!o) continue
    if (n.water && o.water) {
      n.water.volumes.set(o.water.volumes)
      Object.assign(n.water, { day: o.water.day, active: o.water.active, lastTs: o.water.lastTs })
    }
    Object.assign(n.ore, { month: o.ore.month, year: o.ore.year, mtd: o.ore.mtd, ytd: o.ore.ytd, level: o.ore.level, lastTs: o.ore.lastTs })
    for (const e of o.entities.values()) {
      const ne = entityCtx(n, e.id)
      ne.boundary = e.boundary
      ne.elevation = e.elevation
      ne.zones = n.zones.map((z, i) => { const k = o.zones.findIndex((oz) => oz.id === z.id); return k < 0 ? ne.zones[i]! : e.zones[k]! })
      ne.sos = e.sos
      ne.lastFix = e.lastFix
      ne.speed = n.zones.map((z, i) => { const k = o.zones.findIndex((oz) => oz.id === z.id); return k < 0 ? ne.speed[i]! : e.speed[k]! })
      ne.stays = n.zones.map((z, i) => { const k = o.zones.findIndex((oz) => oz.id === z.id); return k < 0 ? ne.stays[i]! : e.stays[k]! })
      ne.blasting = n.zones.map((z, i) => { const k = o.zones.findIndex((oz) => oz.id === z.id); return k < 0 ? ne.blasting[i]! : e.blasting[k]! })
      ne.still = e.still
      ne.tag = e.tag
    }
    for (const z of n.zones) {
      const oc = o.zones.find((oz) => oz.id === z.id)?.crowd
      if (z.crowd && oc) Object.assign(z.crowd, { inside: oc.inside, active: oc.active, lastTs: oc.lastTs }) // a new maxPeople applies from the next fix
    }
  }
  prev.sites = next.sites
  prev.devices = next.devices
}

/** The entity's fence state, created on its first fix. */
export function entityCtx (sc: SiteCtx, id: string): EntityCtx {
  let e = sc.entities.get(id)
  if (!e) {
    e = {
      id,
      boundary: createFenceState(),
      elevation: createFenceState(),
      elevationSubject: `${id}:elevation`,
      zones: sc.zones.map(() => createFenceState()),
      zoneSubjects: sc.zones.map((z) => `${z.id}:${id}`),
      sos: createSosState(),
      lastFix: createLastFix(),
      speed: sc.zones.map(() => createFenceState()),
      stays: sc.zones.map(() => createStayState()),
      blasting: sc.zones.map(() => createFenceState()),
      still: createStillState(),
      tag: createTagState()
    }
    sc.entities.set(id, e)
  }
  return e
}

/**
 * Marks the rule state behind an open alert as active, so the rule continues it instead of
 * firing again. Returns false when no configured rule owns the subject any more.
 */
export function markActive (ctx: Contexts, kind: AlertKind, site: string, subject: string, severity: Severity, at: number): boolean {
  const sc = ctx.sites.get(site)
  if (!sc) return false
  const parts = subject.split(':')
  switch (kind) {
    case 'dust_exceedance': {
      const d = ctx.devices.get(parts[0] ?? '')
      if (d && parts[2] === 'day') return dayLimits(sc.site, d.device).some((l) => l.metric === parts[1]) // judged from the store
      const i = d ? d.dustSubjects.indexOf(subject) : -1
      if (!d || i < 0) return false
      d.dust[i]!.active = true
      return true
    }
    case 'data_quality': {
      const d = ctx.devices.get(parts[0] ?? '')
      if (!d) return false
      // max: after a reload the carried-over episode may know a later bad reading than the alert's last update
      if (parts[1] === 'flag') { d.flag.active = true; d.flag.lastBad = Math.max(d.flag.lastBad, at); return true }
      if (parts[1] === 'implausible') { d.implausible.active = true; d.implausible.lastBad = Math.max(d.implausible.lastBad, at); return true }
      const i = d.stuckSubjects.indexOf(subject)
      if (i < 0) return false
      d.stuck[i]!.active = true
      return true
    }
    case 'water_recycling_low':
      if (!sc.water) return false
      if (subject.startsWith(`${WATER_SUBJECT}:`)) return true // a whole-day verdict, judged from the store
      if (subject !== WATER_SUBJECT) return false
      sc.water.active = true
      return true
    case 'over_capacity':
      if (subject !== ORE_SUBJECT) return false
      sc.ore.level = severity === 'alarm' ? 2 : 1
      return true
    case 'device_offline': {
      const d = ctx.devices.get(subject)
      if (!d || d.site !== sc) return false
      d.offline.active = true
      return true
    }
    case 'boundary_breach':
      if (parts[1] === 'elevation') {
        if (!sc.site.elevation) return false
        entityCtx(sc, parts[0] ?? '').elevation.active = true
        return true
      }
      entityCtx(sc, subject).boundary.active = true
      return true
    case 'zone_intrusion': {
      const zi = sc.zones.findIndex((z) => z.id === parts[0])
      if (zi < 0 || !parts[1]) return false
      entityCtx(sc, parts[1]).zones[zi]!.active = true
      return true
    }
    case 'sos':
      entityCtx(sc, subject).sos.raised = true
      return true
    case 'over_speed': {
      const zi = sc.zones.findIndex((z) => z.id === parts[0])
      if (zi < 0 || sc.zones[zi]!.maxSpeedKmh === null || !parts[1]) return false
      entityCtx(sc, parts[1]).speed[zi]!.active = true
      return true
    }
    case 'zone_overstay': {
      const zi = sc.zones.findIndex((z) => z.id === parts[0])
      if (zi < 0 || sc.zones[zi]!.maxStayS === null || !parts[1]) return false
      entityCtx(sc, parts[1]).stays[zi]!.active = true
      return true
    }
    case 'blasting_zone_entry': {
      const zi = sc.zones.findIndex((z) => z.id === parts[0])
      if (zi < 0 || !parts[1]) return false
      entityCtx(sc, parts[1]).blasting[zi]!.active = true
      return true
    }
    case 'noise_exceedance': {
      const d = ctx.devices.get(parts[0] ?? '')
      if (!d || d.site !== sc || !d.noise) return false
      if (subject === d.noiseSubject) { d.noise.active = true; return true }
      if (subject === d.noisePeakSubject) { d.noise.peakActive = true; return true }
      return false
    }
    case 'person_motionless':
      if (!sc.motionless) return false
      entityCtx(sc, subject).still.active = true
      return true
    case 'tag_lost':
      if (!sc.tagLost) return false
      entityCtx(sc, subject).tag.active = true
      return true
    case 'energy_intensity_high':
      return sc.site.energy.intensityLimitKgcePerT !== undefined && subject.startsWith(`${ENERGY_SUBJECT}:`) // a whole-day verdict, judged from the store
    case 'zone_overcrowded': {
      const crowd = sc.zones.find((z) => z.id === subject)?.crowd
      if (!crowd) return false
      crowd.active = true
      return true
    }
  }
  return false
}
