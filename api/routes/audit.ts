/** GET /audit (JSON, CSV or a printable page) and GET /audit/verify: the hash-chained audit log for inspections. */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam, limitParam } from '../params.js'
import { principalOf, querySite } from '../auth/access.js'
import { siteFilter } from '../auth/principal.js'
import type { AuditStore } from '../../store/state.js'
import { auditCsv, auditHtml } from '../../audit/export.js'
import { verifyAudit } from '../../audit/verify.js'

const recordSchema = z.object({
  seq: z.number().int(),
  at: z.number().describe('epoch ms (the clock when it was recorded)'),
  site: z.string().nullable(),
  actor: z.string().describe('token or account name, or system'),
  action: z.string().describe('alert.transition, alert.comment, audit.digest, ...'),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string()
}).meta({ id: 'AuditRecord' })

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema }

function auditOf (store: AuditStore | undefined): AuditStore {
  if (store === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'this minewatch has no audit log')
  return store
}

export default async function auditRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/audit', {
    schema: {
      tags: ['audit'],
      summary: 'Audit log records of the caller\'s sites (and the daily digests), oldest first: JSON, CSV (format=csv) or a printable page (format=html)',
      querystring: z.object({
        site: idParam.optional(),
        from: instantParam.optional().describe('at ≥ from'),
        to: instantParam.optional().describe('at < to'),
        afterSeq: z.coerce.number().int().min(0).optional().describe('paging: records after this seq'),
        format: z.enum(['json', 'csv', 'html']).default('json'),
        limit: limitParam(1000, 10_000)
      }),
      produces: ['application/json', 'text/csv', 'text/html'],
      response: { 200: z.object({ items: z.array(recordSchema) }), ...errors }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    const q = req.query
    if (q.site !== undefined) querySite(deps.registry, p, q.site)
    if (q.from !== undefined && q.to !== undefined && q.to <= q.from) throw new MinewatchError('MW_BAD_REQUEST', 'to must be after from')
    const items = await auditOf(deps.auditStore).list({ site: q.site, sites: q.site === undefined ? siteFilter(p) : undefined, from: q.from, to: q.to, afterSeq: q.afterSeq, limit: q.limit })
    if (q.format === 'json') return { items }
    const name = `minewatch-audit${q.site ? `-${q.site}` : ''}`
    const raw = reply as FastifyReply // untyped: the 200 schema describes the JSON form
    if (q.format === 'csv') {
      return raw.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).serializer((s) => s as string).send(auditCsv(items))
    }
    const filter = `矿山 site: ${q.site ?? '全部 all'} · 自 from: ${q.from === undefined ? '—' : new Date(q.from).toISOString()} · 至 to: ${q.to === undefined ? '—' : new Date(q.to).toISOString()}`
    return raw.type('text/html; charset=utf-8').serializer((s) => s as string).send(auditHtml(items, { title: '告警操作审计记录 Alert audit log', filter, generatedAt: deps.clock.now() }))
  })

  app.get('/audit/verify', {
    schema: {
      tags: ['audit'],
      summary: 'Verifies the whole hash chain now (as minewatch audit verify does on a stopped data dir)',
      response: {
        200: z.object({ ok: z.boolean(), records: z.number().int(), head: z.string(), digests: z.number().int(), firstBad: z.object({ seq: z.number().int(), problem: z.string() }).optional() }),
        ...errors
      }
    }
  }, async (req) => {
    principalOf(req)
    return await verifyAudit(auditOf(deps.auditStore))
  })
}
