/**
 * The device contract: payload schemas per kind (zod) and the normalised Reading.
 * docs/device-contract.md documents this file; its examples are test fixtures.
 */
import { z } from 'zod'
import type { Kind } from './kinds.js'

/** At most this many readings in one MQTT message. */
export const MAX_READINGS_PER_MESSAGE = 5000
/** At most this many bytes of payload in one MQTT message (256 KiB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024
/** Readings stamped further ahead than this are rejected (device clock wrong). */
export const MAX_FUTURE_MS = 5 * 60_000 // 5 min

/** A reading after decoding, validation and normalisation: what stores hold. */
export interface Reading {
  site: string
  device: string
  kind: Kind
  /** Epoch milliseconds, UTC. */
  ts: number
  /** The device's own counter, when it sends one. */
  seq?: number
  /** Field values in canonical units; names from core/kinds.ts FIELDS. */
  values: Record<string, number | string>
}

/** Largest time value a JavaScript Date can hold, ms (ECMA-262 §21.4.1.1: ±8.64e15, ±100,000,000 days). */
export const MAX_DATE_MS = 8.64e15

const tsSchema = z.union([
  z.number().int('ts in epoch milliseconds must be an integer').nonnegative().max(MAX_DATE_MS, 'ts is beyond the year 275760: not a time'),
  z.string().min(1)
])

const seqSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional()

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

/** HJ 212-2017 data flags. */
export const DATA_FLAGS = ['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B'] as const
export type DataFlag = (typeof DATA_FLAGS)[number]

const base = { ts: tsSchema, seq: seqSchema }

/** HJ 212 extras and interval statistics of dust (CN 2051/2061/2031, docs/hj212.md). */
function dustIntervalFields () {
  const c = finite.optional()
  return {
    pm1: c,
    pressure: finite.min(0).max(200).optional(), // kPa
    intervalS: z.number().int().positive().optional(),
    tspAvg: c, tspMin: c, tspMax: c, pm10Avg: c, pm10Min: c, pm10Max: c, pm25Avg: c, pm25Min: c, pm25Max: c
  }
}

/** True for interval statistics (HJ 212 minute/hour/day data), which real-time rules must not read as samples. */
export function isIntervalReading (r: Reading): boolean {
  return r.values.intervalS !== undefined
}

export const dustReadingSchema = z.strictObject({
  ...base,
  tsp: finite.optional(),
  pm10: finite.optional(),
  pm25: finite.optional(),
  temp: finite.min(-60).max(70).optional(),
  rh: finite.min(0).max(100).optional(),
  windSpeed: finite.min(0).max(100).optional(),
  windDir: finite.min(0).max(360).optional(),
  noise: finite.min(0).max(200).optional(),
  flag: z.enum(DATA_FLAGS).default('N'),
  ...dustIntervalFields()
}).refine((r) => r.tsp !== undefined || r.pm10 !== undefined || r.pm25 !== undefined ||
  (r.intervalS !== undefined && (r.tspAvg !== undefined || r.pm10Avg !== undefined || r.pm25Avg !== undefined)), {
  message: 'a dust reading needs at least one of tsp, pm10, pm25',
  path: ['tsp']
})

export const waterReadingSchema = z.strictObject({
  ...base,
  totalM3: finite.min(0).optional(),
  flowM3h: finite.optional(),
  // HJ 212 interval data (CN 2051/2061/2031): volume of the interval instead of the totaliser
  volumeM3: finite.min(0).optional(),
  intervalS: z.number().int().positive().optional(),
  flowM3hMin: finite.optional(),
  flowM3hMax: finite.optional()
}).refine((r) => r.totalM3 !== undefined || (r.intervalS !== undefined && r.volumeM3 !== undefined), {
  message: 'a water reading needs totalM3 (interval statistics: volumeM3 with intervalS)',
  path: ['totalM3']
})

export const locatorReadingSchema = z.strictObject({
  ...base,
  entity: z.enum(['person', 'vehicle']),
  entityId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'entityId: letters, digits, . _ - (1–64)'),
  lat: finite.min(-90).max(90),
  lon: finite.min(-180).max(180),
  alt: finite.optional(),
  accuracyM: finite.min(0).optional(),
  speedKmh: finite.min(0).optional(),
  heading: finite.min(0).max(360).optional(),
  /** The tag's SOS (紧急呼救) button is raised: true or 1; stored as 1/0 (alerts/rules/sos.ts). */
  sos: z.union([z.boolean(), z.literal(0), z.literal(1)]).transform((v) => (v === true || v === 1 ? 1 : 0)).optional()
})

export const oreReadingSchema = z.strictObject({
  ...base,
  tonnes: finite,
  totalT: finite.min(0).optional(),
  truckId: z.string().min(1).max(64).optional()
})

export const statusReadingSchema = z.strictObject({
  ...base,
  batteryPct: finite.min(0).max(100).optional(),
  rssiDbm: finite.min(-200).max(0).optional(),
  fw: z.string().max(64).optional(),
  uptimeS: z.number().int().nonnegative().optional()
})

/** 能耗: one totaliser per meter (core/energy.ts METER_INFO says which field the meter's type reads). */
export const energyReadingSchema = z.strictObject({
  ...base,
  totalKwh: finite.min(0).optional(),
  powerKw: finite.optional(),
  totalL: finite.min(0).optional(),
  totalKg: finite.min(0).optional()
}).refine((r) => r.totalKwh !== undefined || r.totalL !== undefined || r.totalKg !== undefined, {
  message: 'an energy reading needs a totaliser: totalKwh (electricity), totalL or totalKg (diesel)',
  path: ['totalKwh']
})

export const READING_SCHEMAS = {
  dust: dustReadingSchema,
  water: waterReadingSchema,
  locator: locatorReadingSchema,
  ore: oreReadingSchema,
  status: statusReadingSchema,
  energy: energyReadingSchema
} as const satisfies Record<Kind, z.ZodType>

export type RawReading = { ts: number | string, seq?: number } & Record<string, unknown>

/** Formats a zod issue as `path: message`, e.g. `[3].pm10: Invalid input: expected number`. */
export function formatIssue (issue: z.core.$ZodIssue, prefix: (string | number)[] = []): string {
  const path = [...prefix, ...issue.path]
  let p = ''
  for (const seg of path) p += typeof seg === 'number' ? `[${seg}]` : (p === '' ? String(seg) : `.${String(seg)}`)
  return p === '' ? issue.message : `${p}: ${issue.message}`
}
