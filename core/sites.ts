/**
 * Site registry schema: sites, their licence boundary and zones, per-site limits,
 * and their devices. Loaded from YAML by core/config.ts.
 */
import { z } from 'zod'
import { KINDS } from './kinds.js'
import { DUST_UNITS } from './units.js'
import { ID_PATTERN } from './topics.js'
import { GENERATED_SECRET_N, PERSON_SECRET_MIN_N, scryptHashSchema } from './secrets.js'
import { WATER_ROLES, WATER_FORMULAS, FORMULA_INFO, type WaterRole } from './water.js'
import { legalRoles, limitApplies, isCalendarDayLimit, windowFits } from './dust.js'
import { noiseSettingsSchema } from './noise.js'
import { ENERGY_METERS, ENERGY_ROLES, METER_INFO, energySettingsSchema, type EnergyRole } from './energy.js'

const id = z.string().regex(ID_PATTERN, 'ids use letters, digits, . _ - (1–64 characters, starting with a letter or digit)')
const lon = z.number().min(-180).max(180)
const lat = z.number().min(-90).max(90)
export const lonLatSchema = z.tuple([lon, lat])

/** GeoJSON Polygon in lon/lat (CGCS2000 ≈ WGS84). Rings need at least 4 positions (closed). */
export const polygonSchema = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(lonLatSchema).min(4, 'a ring needs at least 4 positions (first = last)')).min(1)
}).superRefine((p, ctx) => {
  p.coordinates.forEach((ring, i) => {
    const a = ring[0]; const b = ring[ring.length - 1]
    if (a && b && (a[0] !== b[0] || a[1] !== b[1])) {
      ctx.addIssue({ code: 'custom', path: ['coordinates', i], message: 'ring must be closed: last position equals the first' })
    }
  })
})
export type Polygon = z.infer<typeof polygonSchema>

export const DUST_METRICS = ['tsp', 'pm10', 'pm25'] as const
export type DustMetric = (typeof DUST_METRICS)[number]
export const SEVERITIES = ['warning', 'alarm'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Where a dust monitor stands; a limit applies to some of these (core/dust.ts limitApplies). */
export const DUST_AREAS = ['extraction', 'processing', 'transport', 'boundary'] as const
export type DustArea = (typeof DUST_AREAS)[number]

export const dustLimitSchema = z.strictObject({
  metric: z.enum(DUST_METRICS),
  /** Limit in mg/m³. */
  limit: z.number().positive(),
  /** Averaging window, seconds. */
  windowS: z.number().int().positive(),
  /** The average must stay above the limit this long before the alert fires, seconds. */
  holdS: z.number().int().nonnegative().default(300),
  /** Clears only when the average is below this level (mg/m³) ... */
  clearBelow: z.number().nonnegative().optional(),
  /** ... for this long, seconds. */
  clearHoldS: z.number().int().nonnegative().default(600),
  /** Exceedances tolerated per day before the severity becomes alarm (local rules, e.g. DB13/2934-2019). */
  maxPerDay: z.number().int().nonnegative().optional(),
  severity: z.enum(SEVERITIES).default('alarm'),
  /**
   * The legal standard the limit comes from, quoted in alert texts. Absent: the site's own
   * operational limit, whose texts cite no standard.
   */
  standard: z.string().min(1).optional(),
  /**
   * Monitor roles the limit applies to. Absent: the roles its legal standard covers
   * (core/dust.ts LEGAL_STANDARD_ROLES: GB 16297-1996 and GB 3095-2012 the boundary), or
   * every monitor for an operational limit.
   */
  roles: z.array(z.enum(DUST_AREAS)).min(1).optional()
}).refine((l) => l.clearBelow === undefined || l.clearBelow <= l.limit, { message: 'clearBelow must not exceed limit', path: ['clearBelow'] })
  .superRefine((l, ctx) => {
    const covered = legalRoles(l.standard)
    const outside = covered && l.roles ? l.roles.filter((r) => !covered.includes(r)) : []
    if (outside.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['roles'], message: `${l.standard ?? ''} covers ${covered!.join(', ')} monitors only; give ${outside.join(', ')} an operational limit (no standard)` })
    }
  })
export type DustLimit = z.infer<typeof dustLimitSchema>

/**
 * Defaults (domain.md §2), legal limits for boundary monitors only (core/dust.ts):
 * TSP 1.0 mg/m³ 1 h at the site boundary (GB 16297-1996 周界外浓度最高点), PM10 0.150 and
 * PM2.5 0.075 mg/m³ calendar-day means (GB 3095-2012 class II, §8 validity) as warnings.
 * Monitors in the pit, at the crusher or on haul roads get only the operational limits a site sets.
 */
export const DEFAULT_DUST_LIMITS: DustLimit[] = [
  { metric: 'tsp', limit: 1.0, windowS: 3600, holdS: 300, clearBelow: 0.8, clearHoldS: 900, severity: 'alarm', standard: 'GB 16297-1996' }, // GB 16297-1996 表2 颗粒物 1.0 mg/m³
  { metric: 'pm10', limit: 0.15, windowS: 86_400, holdS: 600, clearBelow: 0.12, clearHoldS: 1800, severity: 'warning', standard: 'GB 3095-2012 二级' }, // GB 3095-2012 表1 PM10 24 h 二级 150 µg/m³
  { metric: 'pm25', limit: 0.075, windowS: 86_400, holdS: 600, clearBelow: 0.06, clearHoldS: 1800, severity: 'warning', standard: 'GB 3095-2012 二级' } // GB 3095-2012 表1 PM2.5 24 h 二级 75 µg/m³
]

export { WATER_ROLES, type WaterRole }

export const waterSettingsSchema = z.strictObject({
  /** Minimum recycling rate, 0–1 (Gansu 甘资字〔2023〕11号: 0.85). */
  floor: z.number().min(0).max(1).default(0.85),
  /**
   * reuse: recycled ÷ (recycled + fresh intake);
   * beneficiation: returned ÷ (returned + discharge), i.e. process water returned over wastewater generated.
   */
  formula: z.enum(WATER_FORMULAS).default('reuse'),
  /** Totaliser rollover value, m³ (a drop larger than 90 % of it is a rollover, any other drop a reset). */
  rolloverM3: z.number().positive().default(1e9),
  /** The rule quoted in alert texts; default: the formula's own (core/water.ts FORMULA_INFO; Gansu only for beneficiation). */
  standard: z.string().min(1).optional()
}).transform((w) => ({ ...w, standard: w.standard ?? FORMULA_INFO[w.formula].standard }))
export type WaterSettings = z.output<typeof waterSettingsSchema>

export const oreSettingsSchema = z.strictObject({
  /** Warning when month-to-date exceeds its pro-rata share of the licence by this fraction. */
  monthlyMargin: z.number().min(0).default(0.1),
  standard: z.string().default('采矿许可证生产规模')
})

export const fenceSettingsSchema = z.strictObject({
  /** Consecutive fixes outside (error circle clear of the fence) before 越界 fires. */
  consecutiveFixes: z.number().int().positive().default(3),
  /** Accuracy assumed when a fix carries none, metres. */
  defaultAccuracyM: z.number().nonnegative().default(5)
})

export const peopleSettingsSchema = z.strictObject({
  /** A person tag's fix older than this no longer counts towards a zone's headcount, s (site setting). */
  staleS: z.number().int().positive().default(60),
  /** zone_overcrowded resolves at maxPeople − hysteresis people or fewer (site setting). */
  hysteresis: z.number().int().nonnegative().default(1),
  /** 人员长时间静止: a person not moving for longer than this, s, raises person_motionless (site setting; zones may set their own). */
  motionlessS: z.number().int().positive().optional(),
  /** A fix has moved when it is farther than this (plus both fixes' accuracy) from where the stillness began, m. */
  motionlessRadiusM: z.number().nonnegative().default(2),
  /** 标签失联: a tag not seen for longer than this, s, raises tag_lost (site setting; zones may set their own). */
  tagLostS: z.number().int().positive().optional()
})

export const ZONE_KINDS = ['blasting', 'restricted', 'tailings', 'plant', 'other'] as const
export const zoneSchema = z.strictObject({
  id,
  name: z.string().min(1),
  kind: z.enum(ZONE_KINDS).default('restricted'),
  geometry: polygonSchema,
  /** 区域超员: more person tags inside than this raise zone_overcrowded (a site setting; alerts/rules/zone-crowding.ts). */
  maxPeople: z.number().int().positive().optional(),
  /** 超速: vehicles inside faster than this, km/h, raise over_speed (a site setting; alerts/rules/over-speed.ts). */
  maxSpeedKmh: z.number().positive().optional(),
  /** 超时: a person continuously inside longer than this, s, raises zone_overstay (a site setting; alerts/rules/zone-overstay.ts). */
  maxStayS: z.number().int().positive().optional(),
  /** 人员长时间静止 inside this zone: overrides people.motionlessS for fixes clearly inside (alerts/rules/person-motionless.ts). */
  motionlessS: z.number().int().positive().optional(),
  /** 标签失联 for tags last seen clearly inside this zone: overrides people.tagLostS (alerts/rules/tag-lost.ts). */
  tagLostS: z.number().int().positive().optional()
})
export type Zone = z.infer<typeof zoneSchema>

export const ORE_ROLES = ['truck_scale', 'belt_scale'] as const
export type OreRole = (typeof ORE_ROLES)[number]
export { ENERGY_ROLES, type EnergyRole }
export const LOCATOR_ROLES = ['personnel', 'vehicle'] as const
export type LocatorRole = (typeof LOCATOR_ROLES)[number]
/** The roles a device of each kind may have (status gateways have none). */
export const ROLES_BY_KIND = { dust: DUST_AREAS, water: WATER_ROLES, ore: ORE_ROLES, locator: LOCATOR_ROLES, status: [], energy: ENERGY_ROLES } as const
export type DeviceRole = DustArea | WaterRole | OreRole | LocatorRole | EnergyRole
const ALL_ROLES = [...DUST_AREAS, ...WATER_ROLES, ...ORE_ROLES, ...LOCATOR_ROLES, ...ENERGY_ROLES] as const

/** A device that speaks HJ 212 over TCP (the gateway, docs/hj212.md): its MN, PW and the quirks tolerated. */
export const hj212DeviceSchema = z.strictObject({
  /** 设备唯一标识 MN as the device sends it (the standard's 24-hex format is not enforced: real ones differ). */
  mn: z.string().min(1).max(64).regex(/^[^;,=&\s]+$/, 'an MN has no ; , = & or spaces'),
  /** Plain PW: demo configs only. */
  pw: z.string().min(1).max(64).optional(),
  /** scrypt hash of the PW (`minewatch hash-secret`). */
  pwHash: scryptHashSchema('pwHash', PERSON_SECRET_MIN_N).optional(),
  /** Rotation window: a second PW hash also accepted (docs/operations.md). */
  nextPwHash: scryptHashSchema('nextPwHash', PERSON_SECRET_MIN_N).optional(),
  /** standard; swapped: also accept the two CRC bytes printed the other way round; off: no CRC check. */
  crc: z.enum(['standard', 'swapped', 'off']).default('standard'),
  /** bytes: the standard (§6.3.1); chars: length counted in characters also accepted; any: not checked. */
  length: z.enum(['bytes', 'chars', 'any']).default('bytes'),
  /** Text encoding of the data segment: UTF-8 (HJ 212-2017) or GBK (older loggers). */
  encoding: z.enum(['utf8', 'gbk']).default('utf8'),
  /** Interval of the device's minute data (CN 2051), seconds: 1–30 min (§6.6). */
  minuteIntervalS: z.number().int().min(60).max(1800).default(60)
}).refine((h) => h.pw !== undefined || h.pwHash !== undefined, { message: 'an HJ 212 device needs pwHash (or pw in a demo config)', path: ['pwHash'] })
export type Hj212Device = z.infer<typeof hj212DeviceSchema>

export const deviceSchema = z.strictObject({
  id,
  kind: z.enum(KINDS),
  name: z.string().optional(),
  /**
   * dust: extraction|processing|transport|boundary (which limits apply); water: a WATER_ROLES
   * value (required); ore: truck_scale|belt_scale (required); locator: personnel|vehicle;
   * energy: an ENERGY_ROLES value (required: what the meter supplies, core/energy.ts).
   * Validated per kind (ROLES_BY_KIND).
   */
  role: z.enum(ALL_ROLES).optional(),
  /** Dust monitors only: the unit the device sends particulates in. */
  unit: z.enum(DUST_UNITS).optional(),
  /** Energy meters only (required): what the totaliser counts, electricity_kwh (totalKwh), diesel_l (totalL) or diesel_kg (totalKg); core/energy.ts METER_INFO. */
  meter: z.enum(ENERGY_METERS).optional(),
  /** Expected reporting interval, seconds (offline detection uses a multiple of it). */
  intervalS: z.number().positive(),
  location: lonLatSchema.optional(),
  /** Plain secret: demo configs only (logged as a warning). */
  password: z.string().min(8).optional(),
  /** scrypt hash made by `minewatch hash-secret`. */
  secretHash: scryptHashSchema('secretHash', GENERATED_SECRET_N).optional(),
  /**
   * Rotation window: a second scrypt hash also accepted at login, next to secretHash (or password).
   * Rotate by adding it, reloading, moving the device to the new secret, then making it the
   * secretHash and reloading again (docs/operations.md).
   */
  nextSecretHash: scryptHashSchema('nextSecretHash', GENERATED_SECRET_N).optional(),
  /** Kept in the registry (its history stays in reports) but refused at login and at ingest. */
  disabled: z.boolean().optional(),
  // ---- device lifecycle (devices/, docs/operations.md): retired and replaced devices are refused like disabled ones
  /** Taken out of service for good (ISO 8601 time): refused from then on, its past data still reported. */
  retiredAt: z.string().datetime({ offset: true }).optional(),
  /** The device that took this one's position (same site, kind, role, location), and when (ISO 8601). */
  replacedBy: z.string().optional(),
  replacedAt: z.string().datetime({ offset: true }).optional(),
  /** The device whose position this one took over: reports count the chain as one device (core/registry.ts positions). */
  replaces: z.string().optional(),
  // ---- end device lifecycle
  /**
   * The device this one reports through (a gateway, data logger or base station of the same
   * site): while the parent is offline, this device's offline alert is inhibited (core/storm.ts).
   */
  parent: z.string().min(1).optional(),
  /** Set when the device speaks HJ 212 over TCP instead of (or as well as) MQTT. */
  hj212: hj212DeviceSchema.optional()
}).superRefine((d, ctx) => {
  if (!d.password && !d.secretHash && !d.hj212) ctx.addIssue({ code: 'custom', path: ['secretHash'], message: 'a device needs secretHash (or password in a demo config)' })
  if (d.hj212 && d.kind !== 'dust' && d.kind !== 'water') ctx.addIssue({ code: 'custom', path: ['hj212'], message: 'HJ 212 devices are dust monitors or water meters' })
  if (d.kind === 'dust' && !d.unit) ctx.addIssue({ code: 'custom', path: ['unit'], message: 'a dust monitor needs its unit: mg/m3, ug/m3 or ng/m3' })
  if (d.kind !== 'dust' && d.unit) ctx.addIssue({ code: 'custom', path: ['unit'], message: 'unit applies to dust monitors only' })
  const allowed: readonly string[] = ROLES_BY_KIND[d.kind]
  if (d.kind === 'water' && !d.role) ctx.addIssue({ code: 'custom', path: ['role'], message: `a water meter needs a role: ${WATER_ROLES.join(', ')}` })
  if (d.kind === 'ore' && !d.role) ctx.addIssue({ code: 'custom', path: ['role'], message: `a scale needs a role: ${ORE_ROLES.join(', ')}` })
  if (d.kind === 'energy' && !d.role) ctx.addIssue({ code: 'custom', path: ['role'], message: `an energy meter needs a role: ${ENERGY_ROLES.join(', ')}` })
  if (d.kind === 'energy' && !d.meter) ctx.addIssue({ code: 'custom', path: ['meter'], message: `an energy meter needs meter: ${ENERGY_METERS.map((m) => `${m} (${METER_INFO[m].field})`).join(', ')}` })
  if (d.kind !== 'energy' && d.meter) ctx.addIssue({ code: 'custom', path: ['meter'], message: 'meter applies to energy meters only' })
  if (d.role && !allowed.includes(d.role)) {
    ctx.addIssue({ code: 'custom', path: ['role'], message: allowed.length > 0 ? `role of a ${d.kind} device is one of ${allowed.join(', ')}` : `a ${d.kind} device has no role` })
  }
  if ((d.replacedBy === undefined) !== (d.replacedAt === undefined)) ctx.addIssue({ code: 'custom', path: ['replacedAt'], message: 'replacedBy and replacedAt go together' })
  if ((d.retiredAt !== undefined || d.replacedBy !== undefined) && d.disabled !== true) ctx.addIssue({ code: 'custom', path: ['disabled'], message: 'a retired or replaced device is refused: set disabled: true as well' })
})
export type Device = z.infer<typeof deviceSchema>

/** True when the device is out of service for good (retired, or replaced by another): it may not be enabled again. */
export function isRetired (d: Device): boolean {
  return d.retiredAt !== undefined || d.replacedBy !== undefined
}

/** The device's role when it is of `kind` (the config validated that the role fits the kind). */
export function roleOf<K extends keyof typeof ROLES_BY_KIND> (d: Device, kind: K): (typeof ROLES_BY_KIND)[K][number] | undefined {
  return d.kind === kind ? d.role as (typeof ROLES_BY_KIND)[K][number] | undefined : undefined
}

/** Hints for simulators: how many people and vehicles, where they go. Not used by ingest. */
export const simulationSchema = z.strictObject({
  people: z.number().int().nonnegative().default(0),
  vehicles: z.number().int().nonnegative().default(0),
  /** Haul roads: polylines inside the boundary (pit → crusher → dump). */
  haulRoads: z.array(z.strictObject({ id, path: z.array(lonLatSchema).min(2) })).default([]),
  /** Work areas people move between. */
  workAreas: z.array(z.strictObject({ id, name: z.string(), center: lonLatSchema, radiusM: z.number().positive() })).default([])
})

export const siteSchema = z.strictObject({
  id,
  name: z.string().min(1),
  province: z.string().min(1),
  /** 采矿许可证号 */
  licence: z.string().min(1),
  mineral: z.string().default(''),
  /** Licensed production scale, tonnes per year. */
  scaleTPerYear: z.number().positive(),
  boundary: polygonSchema,
  /** Licensed elevation range, metres (below minM is 超层 mining). */
  elevation: z.strictObject({ minM: z.number(), maxM: z.number() }).optional(),
  zones: z.array(zoneSchema).default([]),
  dust: z.strictObject({ limits: z.array(dustLimitSchema).default(DEFAULT_DUST_LIMITS) }).default({ limits: DEFAULT_DUST_LIMITS }),
  water: waterSettingsSchema.prefault({}),
  ore: oreSettingsSchema.prefault({}),
  /** Boundary noise (core/noise.ts, GB 12348-2008): the zone class and day/night hours. */
  noise: noiseSettingsSchema.prefault({}),
  /** Energy (core/energy.ts): GB/T 2589-2020 conversion coefficients, the intensity limit (kgce per t of ore). */
  energy: energySettingsSchema.prefault({}),
  fence: fenceSettingsSchema.prefault({}),
  people: peopleSettingsSchema.prefault({}),
  devices: z.array(deviceSchema).default([]),
  simulation: simulationSchema.optional()
}).superRefine((s, ctx) => {
  s.zones.forEach((z, j) => {
    if (z.maxPeople !== undefined && s.people.hysteresis > z.maxPeople) ctx.addIssue({ code: 'custom', path: ['zones', j, 'maxPeople'], message: `maxPeople ${z.maxPeople} is below people.hysteresis ${s.people.hysteresis}: zone_overcrowded would resolve only below 0 people, i.e. never` })
  })
  // a running average is counted in the monitor's own reports (core/dust.ts windowBuckets): a
  // window shorter than a monitor's reporting interval would hold at most one report, never an average
  s.dust.limits.forEach((l, i) => {
    if (isCalendarDayLimit(l)) return
    for (const d of s.devices) {
      if (d.kind !== 'dust' || windowFits(l.windowS, d.intervalS) || !limitApplies(l, roleOf(d, 'dust'))) continue
      ctx.addIssue({ code: 'custom', path: ['dust', 'limits', i, 'windowS'], message: `${l.metric} over ${l.windowS} s cannot be averaged for ${d.id}: it reports every ${d.intervalS} s, so the window holds at most one report; lengthen the window to at least ${d.intervalS} s or narrow its roles` })
    }
  })
})
export type Site = z.infer<typeof siteSchema>
