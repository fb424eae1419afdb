/** Response schemas shared by several routes (registered by id, so OpenAPI references them). */
import { z } from 'zod'
import { ALERT_KINDS, ALERT_STATES } from '../core/alerts.js'
import { SEVERITIES } from '../core/sites.js'
import { KINDS } from '../core/kinds.js'

const nullableNumber = z.number().nullable()

export const alertSchema = z.object({
  id: z.string(),
  site: z.string(),
  kind: z.enum(ALERT_KINDS),
  subject: z.string(),
  device: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  state: z.enum(ALERT_STATES),
  firedAt: z.number().describe('epoch ms'),
  updatedAt: z.number().describe('epoch ms'),
  resolvedAt: nullableNumber,
  ackedBy: z.string().nullable(),
  ackNote: z.string().nullable(),
  value: nullableNumber,
  limit: nullableNumber,
  unit: z.string(),
  standard: z.string(),
  message: z.string(),
  noDataSince: nullableNumber.optional().describe('epoch ms since the evidence is missing (the device stopped reporting; the alert stays open, "no data" is not "resolved"); null while readings arrive')
}).meta({ id: 'Alert' })

export const transitionSchema = z.object({
  seq: z.number().int().describe('monotonic; the SSE event id'),
  alertId: z.string(),
  site: z.string(),
  kind: z.enum(ALERT_KINDS),
  from: z.enum(ALERT_STATES).nullable(),
  to: z.enum(ALERT_STATES),
  severity: z.enum(SEVERITIES),
  at: z.number().describe('epoch ms'),
  reason: z.string(),
  value: nullableNumber,
  limit: nullableNumber,
  by: z.string().nullable(),
  message: z.string(),
  evidence: z.object({
    beyondM: z.number().describe('largest distance outside the licence polygon (越界) or the licensed elevation range (超层) over the run of fixes, m; the alert value'),
    fixes: z.array(z.object({
      ts: z.number().describe('epoch ms'),
      lon: z.number(),
      lat: z.number(),
      alt: nullableNumber.describe('m, when the fix carried one'),
      accuracyM: z.number(),
      beyondM: z.number().describe('how far outside this fix was, m')
    }))
  }).nullable().optional().describe('the fixes that proved a fence transition that fired; null otherwise')
}).meta({ id: 'AlertTransition' })

export const readingSchema = z.object({
  site: z.string(),
  device: z.string(),
  kind: z.enum(KINDS),
  ts: z.number().describe('epoch ms'),
  seq: z.number().int().optional(),
  values: z.record(z.string(), z.union([z.number(), z.string()]))
}).meta({ id: 'Reading' })

const lonLat = z.tuple([z.number(), z.number()])
export const polygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(lonLat))
}).meta({ id: 'Polygon' })
