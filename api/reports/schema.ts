/** The daily report's shape (zod: the API response schema and the TypeScript types). */
import { z } from 'zod'
import { KINDS } from '../../core/kinds.js'
import { DUST_METRICS, WATER_ROLES } from '../../core/sites.js'

export const dustRowSchema = z.object({
  metric: z.enum(DUST_METRICS),
  /** mg/m³ */
  limit: z.number(),
  windowS: z.number(),
  standard: z.string(),
  /** Dust monitors of the site. */
  devices: z.number().int(),
  /** Minutes in which at least one monitor's 1-min mean of valid readings is above the limit. */
  exceedanceMinutes: z.number().int(),
  /** The same count per monitor (monitors with none are listed with 0). */
  byDevice: z.record(z.string(), z.number().int()),
  /** Highest hourly mean of valid readings of any monitor, with its monitor and hour start. */
  maxHourlyAvg: z.object({ value: z.number(), device: z.string(), hourStart: z.number() }).nullable(),
  maxHourlyAvgAboveLimit: z.boolean()
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
  formula: z.enum(['reuse', 'beneficiation']),
  floor: z.number(),
  standard: z.string(),
  /** recycled_return + thickener_return + tailings_return, m³. */
  recycledM3: z.number(),
  freshM3: z.number(),
  dischargeM3: z.number(),
  /** recycled ÷ (recycled + fresh) or returned ÷ (returned + discharge); null when the denominator is 0. */
  rate: z.number().nullable(),
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
  devices: z.array(z.object({ device: z.string(), role: z.enum(['truck_scale', 'belt_scale']), tonnes: z.number() }))
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
  uptime: z.array(uptimeRowSchema)
}).meta({ id: 'DailyReport' })

export type DailyReport = z.infer<typeof dailyReportSchema>
export type DustRow = z.infer<typeof dustRowSchema>
export type WaterSection = z.infer<typeof waterSectionSchema>
export type OreSection = z.infer<typeof oreSectionSchema>
export type UptimeRow = z.infer<typeof uptimeRowSchema>
export type MeterRow = z.infer<typeof meterRowSchema>
