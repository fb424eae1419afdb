/**
 * GET /series: aggregated time series of one numeric field, one value per device per bucket. A store
 * with rollups answers from them when that gives the raw answer (whole minutes or hours); the
 * response's `source` says which.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { KINDS, fieldDef, numericFields } from '../../core/kinds.js'
import { MinewatchError } from '../../core/errors.js'
import { HOUR, MINUTE } from '../../core/time.js'
import { AGGREGATES } from '../../store/telemetry.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam, stepParam, bucketCount } from '../params.js'
import { principalOf, querySite } from '../auth/access.js'

/** Most buckets one request may span (points = buckets × devices). */
export const MAX_BUCKETS = 10_000

const querySchema = z.object({
  site: idParam,
  kind: z.enum(KINDS),
  field: z.string().min(1).describe('a numeric field of the kind (docs/storage.md)'),
  device: idParam.optional(),
  entityId: z.string().min(1).max(64).optional().describe('locator readings: one person or vehicle'),
  from: instantParam.optional().describe('inclusive; default: `to` minus 1 h'),
  to: instantParam.optional().describe('exclusive; default: now'),
  step: stepParam.default(MINUTE).describe('bucket width, default 1m; buckets align to multiples of step since the epoch'),
  agg: z.enum(AGGREGATES).default('mean')
}).superRefine((q, ctx) => {
  const def = fieldDef(q.kind, q.field)
  if (!def || def.type === 'string') {
    ctx.addIssue({ code: 'custom', path: ['field'], message: `'${q.field}' is not a numeric field of ${q.kind}: use one of ${numericFields(q.kind).join(', ')}` })
  }
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' })
  }
})

const seriesResponse = z.object({
  site: z.string(),
  kind: z.enum(KINDS),
  field: z.string(),
  unit: z.string(),
  agg: z.enum(AGGREGATES),
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  source: z.enum(['raw', 'rollup-1m', 'rollup-1h']).describe('where the points were computed: the raw readings, or the 1-minute or 1-hour rollups, which give the same answer (docs/storage.md *Rollups*)'),
  points: z.array(z.object({ device: z.string(), t: z.number().describe('bucket start, epoch ms'), value: z.number() }))
}).meta({ id: 'Series' })

export default async function seriesRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/series', {
    schema: {
      tags: ['telemetry'],
      summary: `Aggregated series of one field; at most ${MAX_BUCKETS} buckets per request`,
      querystring: querySchema,
      response: { 200: seriesResponse, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const q = req.query
    const site = querySite(deps.registry, principalOf(req), q.site)
    const to = q.to ?? deps.clock.now()
    const from = q.from ?? to - HOUR
    if (to <= from) throw new MinewatchError('MW_BAD_REQUEST', 'to: must be after from')
    const buckets = bucketCount(from, to, q.step)
    if (buckets > MAX_BUCKETS) {
      throw new MinewatchError('MW_BAD_REQUEST', `step: ${buckets} buckets between from and to; at most ${MAX_BUCKETS}: use a larger step or a shorter range`, { details: { buckets, max: MAX_BUCKETS } })
    }
    if (q.device !== undefined) {
      const entry = deps.registry.device(q.device)
      if (!entry || entry.site.id !== site.id || entry.device.kind !== q.kind) {
        throw new MinewatchError('MW_BAD_REQUEST', `device: '${q.device}' is not a ${q.kind} device of site '${site.id}'`)
      }
    }
    if (q.entityId !== undefined && q.kind !== 'locator') throw new MinewatchError('MW_BAD_REQUEST', 'entityId: applies to kind locator only')
    const query = { site: site.id, kind: q.kind, field: q.field, device: q.device, entityId: q.entityId, from, to, stepMs: q.step, agg: q.agg }
    const points = await deps.telemetry.series(query)
    const source = deps.telemetry.seriesSource?.(query) ?? 'raw'
    return { site: site.id, kind: q.kind, field: q.field, unit: fieldDef(q.kind, q.field)?.unit ?? '', agg: q.agg, from, to, stepMs: q.step, source, points }
  })
}
