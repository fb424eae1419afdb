/** The daily report's shape (zod: the API response schema and the TypeScript types). */
import { z } from 'zod'
import { KINDS } from '../../core/kinds.js'
import { DUST_METRICS, ORE_ROLES, WATER_ROLES } from '../../core/sites.js'
import { WATER_FORMULAS } from '../../core/water.js'
import { ENERGY_METERS, ENERGY_ROLES } from '../../core/energy.js'

export const dustRowSchema = z.object({
  metric: z.enum(DUST_METRICS),
  /** mg/m³ */
  limit: z.number(),
  windowS: z.number(),
  /** The legal standard; null for an operational limit of the site. */
  standard: z.string().nullable(),
  basis: z.enum(['legal', 'operational']),
  /** Dust monitors the limit applies to (core/dust.ts limitApplies). */
  devices: z.number().int(),
  /** Minutes in which at least one of those monitors' 1-min mean of counted readings is above the limit. */
  exceedanceMinutes: z.number().int(),
  /** The same count per monitor (monitors with none are listed with 0). */
  byDevice: z.record(z.string(), z.number().int()),
  /** Highest valid hourly mean (≥ 45 minutes of data, GB 3095-2012 §8) of any of those monitors. */
  maxHourlyAvg: z.object({ value: z.number(), device: z.string(), hourStart: z.number() }).nullable(),
  maxHourlyAvgAboveLimit: z.boolean(),
  /** Calendar-day limits only (else null): each monitor's daily mean, null unless ≥ 20 valid hourly means. */
  dayMeans: z.array(z.object({ device: z.string(), value: z.number().nullable(), validHours: z.number().int(), aboveLimit: z.boolean() })).nullable(),
  /** Calendar-day limits only: monitors whose valid daily mean is above the limit (the day verdict alerts). */
  dayExceedances: z.number().int().nullable()
}).meta({ id: 'DailyReportDustRow' })

export const meterRowSchema = z.object({
  device: z.string(),
  role: z.enum(WATER_ROLES),
  volumeM3: z.number(),
  /** Totaliser values used (one per minute with data, plus the baseline before the day). */
  samples: z.number().int(),
  resets: z.number().int(),
  rollovers: z.number().int(),
  backwards: z.number().int()
})

export const waterSectionSchema = z.object({
  formula: z.enum(WATER_FORMULAS),
  /** The formula's name, e.g. 选矿废水循环利用率 (core/water.ts FORMULA_INFO). */
  formulaName: z.string(),
  floor: z.number(),
  standard: z.string(),
  /** recycled_return + thickener_return + tailings_return, m³. */
  recycledM3: z.number(),
  freshM3: z.number(),
  dischargeM3: z.number(),
  /** recycled ÷ (recycled + fresh) or returned ÷ (returned + discharge); null when the denominator is 0. */
  rate: z.number().nullable(),
  /** The whole-day verdict the alert engine gives (core/water.ts waterDayVerdict); null when the day holds under 50 m³. */
  belowFloor: z.boolean().nullable(),
  meters: z.array(meterRowSchema)
}).meta({ id: 'DailyReportWater' })

export const oreSectionSchema = z.object({
  /** Which scales the output counts: truck scales when the site has any, else belt scales. */
  source: z.enum(['truck_scale', 'belt_scale', 'none']),
  outputT: z.number(),
  truckScaleT: z.number(),
  beltScaleT: z.number(),
  /** scaleTPerYear ÷ 365 */
  licenceDailyT: z.number(),
  /** outputT ÷ licenceDailyT */
  shareOfLicence: z.number(),
  devices: z.array(z.object({ device: z.string(), role: z.enum(ORE_ROLES), tonnes: z.number() }))
}).meta({ id: 'DailyReportOre' })

export const uptimeRowSchema = z.object({
  device: z.string(),
  kind: z.enum(KINDS),
  /** Interval length used, s: the device's intervalS, at least 60. */
  intervalS: z.number(),
  expected: z.number().int(),
  withData: z.number().int(),
  uptime: z.number()
})

export const noiseRowSchema = z.object({
  device: z.string(),
  /** Valid clock hours (core/noise.ts: hourMinMinutes minutes of counted data) in the day and night periods. */
  dayHours: z.number().int(),
  nightHours: z.number().int(),
  /** Valid hours whose Leq is above the day (night) limit. */
  dayExceedanceHours: z.number().int(),
  nightExceedanceHours: z.number().int(),
  /** The highest valid hourly Leq, dB(A). */
  maxLeq: z.object({ value: z.number(), hourStart: z.number(), night: z.boolean() }).nullable(),
  /** Night minutes whose highest counted level is above the night limit plus the sudden-noise allowance. */
  nightPeakMinutes: z.number().int()
})

/** Boundary noise (GB 12348-2008), null when the site sets no noise.zoneClass. */
export const noiseSectionSchema = z.object({
  standard: z.string(),
  zoneClass: z.number().int(),
  dayLimit: z.number(),
  nightLimit: z.number(),
  nightPeakLimit: z.number(),
  monitors: z.array(noiseRowSchema)
}).meta({ id: 'DailyReportNoise' })

/** Energy (能耗, core/energy.ts), null when the site has no energy meters. */
export const energySectionSchema = z.object({
  /** The standard of the coefficients: GB/T 2589-2020. */
  standard: z.string(),
  /** The site's coefficients (defaults GB/T 2589-2020: 0.1229 kgce/kWh, 1.4571 kgce/kg) and diesel density, kg/L. */
  electricityKgcePerKwh: z.number(),
  dieselKgcePerKg: z.number(),
  dieselDensityKgPerL: z.number(),
  electricityKwh: z.number(),
  /** kg (litre meters × dieselDensityKgPerL). */
  dieselKg: z.number(),
  /** Standard coal equivalent of all meters, kgce, and the same in tce (÷ 1000). */
  kgce: z.number(),
  tce: z.number(),
  /** The ore section's outputT, t. */
  oreOutputT: z.number(),
  /** kgce ÷ oreOutputT; null without ore output. */
  intensityKgcePerT: z.number().nullable(),
  /** energy.intensityLimitKgcePerT; null when the site sets none. */
  limitKgcePerT: z.number().nullable(),
  /** The whole-day verdict of energy_intensity_high; null when not judged (no limit, or output under energy.minOreT). */
  aboveLimit: z.boolean().nullable(),
  byRole: z.array(z.object({ role: z.enum(ENERGY_ROLES), kgce: z.number() })),
  meters: z.array(z.object({
    device: z.string(),
    role: z.enum(ENERGY_ROLES),
    meter: z.enum(ENERGY_METERS),
    /** The totaliser's unit: kWh, L or kg. */
    unit: z.string(),
    amount: z.number(),
    kgce: z.number(),
    samples: z.number().int(),
    resets: z.number().int(),
    rollovers: z.number().int(),
    backwards: z.number().int()
  }))
}).meta({ id: 'DailyReportEnergy' })

export const dailyReportSchema = z.object({
  site: z.string(),
  siteName: z.string(),
  /** Beijing calendar day, YYYY-MM-DD. */
  date: z.string(),
  /** Window covered, epoch ms: [from, to). */
  from: z.number(),
  to: z.number(),
  /** True when the day is not over yet (to is now). */
  partial: z.boolean(),
  dust: z.array(dustRowSchema),
  water: waterSectionSchema,
  ore: oreSectionSchema,
  fence: z.object({ boundaryBreaches: z.number().int(), zoneIntrusions: z.number().int() }),
  uptime: z.array(uptimeRowSchema),
  noise: noiseSectionSchema.nullable(),
  energy: energySectionSchema.nullable()
}).meta({ id: 'DailyReport' })

/** A site's month: every figure the sum of the month's daily reports (api/reports/monthly.ts). */
export const monthlyReportSchema = z.object({
  site: z.string(),
  siteName: z.string(),
  /** YYYY-MM, Beijing. */
  month: z.string(),
  from: z.number(),
  to: z.number(),
  /** True when the month is not over (its last day is partial or today). */
  partial: z.boolean(),
  /** Daily reports summed. */
  days: z.number().int(),
  dust: z.array(z.object({
    metric: z.enum(DUST_METRICS), limit: z.number(), windowS: z.number(), standard: z.string().nullable(),
    /** Σ daily exceedanceMinutes; byDevice Σ per monitor. */
    exceedanceMinutes: z.number().int(),
    byDevice: z.record(z.string(), z.number().int()),
    /** Σ daily dayExceedances (calendar-day limits), else null. */
    dayExceedances: z.number().int().nullable()
  })),
  water: z.object({
    formula: z.enum(WATER_FORMULAS), floor: z.number(), standard: z.string(),
    recycledM3: z.number(), freshM3: z.number(), dischargeM3: z.number(),
    /** The formula's rate of the summed volumes; null when the denominator is 0. */
    rate: z.number().nullable(),
    /** Days with a whole-day verdict, and those below the floor. */
    daysJudged: z.number().int(),
    daysBelowFloor: z.number().int()
  }),
  ore: z.object({ outputT: z.number(), licenceMonthT: z.number().describe('scaleTPerYear ÷ 12'), shareOfLicence: z.number() }),
  fence: z.object({ boundaryBreaches: z.number().int(), zoneIntrusions: z.number().int() }),
  noise: z.object({ monitors: z.array(z.object({ device: z.string(), dayExceedanceHours: z.number().int(), nightExceedanceHours: z.number().int(), nightPeakMinutes: z.number().int() })) }).nullable(),
  energy: z.object({
    electricityKwh: z.number(), dieselKg: z.number(), kgce: z.number(), tce: z.number(), oreOutputT: z.number(),
    /** Σ kgce ÷ Σ ore output; null without output. */
    intensityKgcePerT: z.number().nullable(),
    limitKgcePerT: z.number().nullable(),
    daysAboveLimit: z.number().int(),
    byRoleKgce: z.record(z.string(), z.number())
  }).nullable(),
  /** Per device: Σ intervals with data ÷ Σ intervals expected (the daily uptime, from each device's intervalS). */
  completeness: z.array(z.object({ device: z.string(), kind: z.enum(KINDS), expected: z.number().int(), withData: z.number().int(), completeness: z.number() })),
  cameras: z.object({ monitored: z.boolean(), note: z.string() })
}).meta({ id: 'MonthlyReport' })
export type MonthlyReport = z.infer<typeof monthlyReportSchema>

/** One site-day's facts as core/ computes them (store/telemetry.ts DayFacts), the figures the dashboards show. */
export const dayFactsSchema = z.object({
  date: z.string().describe('Beijing calendar day, YYYY-MM-DD'),
  day: z.number().int().describe('the day start (00:00+08:00), epoch ms'),
  to: z.number().int().describe('the figures cover [day, to), epoch ms'),
  recycledM3: z.number(),
  freshM3: z.number(),
  dischargeM3: z.number(),
  rate: z.number().nullable().describe('recycling rate per the site formula; null when the day is not judged (< 50 m³)'),
  oreOutputT: z.number(),
  dustDayExceedances: z.number().int().describe('monitors whose valid GB 3095-2012 daily mean exceeded a calendar-day limit')
}).meta({ id: 'DayFacts' })

export const dayFactsListSchema = z.object({ site: z.string(), items: z.array(dayFactsSchema) }).meta({ id: 'DayFactsList' })

export type DailyReport = z.infer<typeof dailyReportSchema>
export type DustRow = z.infer<typeof dustRowSchema>
export type WaterSection = z.infer<typeof waterSectionSchema>
export type OreSection = z.infer<typeof oreSectionSchema>
export type UptimeRow = z.infer<typeof uptimeRowSchema>
export type MeterRow = z.infer<typeof meterRowSchema>
export type NoiseSection = z.infer<typeof noiseSectionSchema>
export type EnergySection = z.infer<typeof energySectionSchema>
