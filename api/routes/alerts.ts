/** GET /alerts (paginated), GET /alerts/{id} with its history, POST /alerts/{id}/ack. */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { ALERT_KINDS, ALERT_STATES, type Alert } from '../../core/alerts.js'
import { SEVERITIES } from '../../core/sites.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam, limitParam } from '../params.js'
import { alertSchema, transitionSchema } from '../schemas.js'
import { principalOf, querySite } from '../auth/access.js'
import { canSeeSite, siteFilter, type Principal } from '../auth/principal.js'
import type { AlertStore } from '../../store/state.js'

const listQuery = z.object({
  site: idParam.optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  state: z.enum(ALERT_STATES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  from: instantParam.optional().describe('firedAt ≥ from'),
  to: instantParam.optional().describe('firedAt < to'),
  cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page'),
  limit: limitParam(100)
}).superRefine((q, ctx) => {
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' })
})

const alertIdParams = z.object({ id: z.string().min(1).max(128) })
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }

/** The alert when it exists and the caller may see its site; 404 otherwise (existence not revealed). */
export async function visibleAlert (store: AlertStore, p: Principal, id: string): Promise<Alert> {
  const alert = await store.get(id)
  if (!alert || !canSeeSite(p, alert.site)) throw new MinewatchError('MW_NOT_FOUND', `no alert '${id}'`)
  return alert
}

export default async function alertsRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/alerts', {
    schema: {
      tags: ['alerts'],
      summary: 'Alerts of the caller\'s sites, newest first, paginated by cursor',
      querystring: listQuery,
      response: { 200: z.object({ items: z.array(alertSchema), nextCursor: z.string().nullable() }), ...errors }
    }
  }, async (req) => {
    const p = principalOf(req)
    const q = req.query
    if (q.site !== undefined) querySite(deps.registry, p, q.site)
    const page = await deps.alertStore.list({
      site: q.site, sites: q.site === undefined ? siteFilter(p) : undefined,
      kind: q.kind, state: q.state, severity: q.severity, from: q.from, to: q.to, cursor: q.cursor, limit: q.limit
    })
    return page
  })

  app.get('/alerts/:id', {
    schema: {
      tags: ['alerts'],
      summary: 'One alert with its transition history (oldest first)',
      params: alertIdParams,
      response: { 200: z.object({ alert: alertSchema, history: z.array(transitionSchema) }), ...errors }
    }
  }, async (req) => {
    const alert = await visibleAlert(deps.alertStore, principalOf(req), req.params.id)
    return { alert, history: await deps.alertStore.history(alert.id) }
  })

  app.post('/alerts/:id/ack', {
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge a firing alert (recorded with the token name)',
      params: alertIdParams,
      // no body at all is an acknowledgement without a note
      body: z.object({ note: z.string().max(2000).default('') }).nullish().transform((b) => b ?? { note: '' }),
      response: { 200: alertSchema, ...errors, 409: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    const alert = await visibleAlert(deps.alertStore, p, req.params.id)
    return await deps.alerts.ack(alert.id, p.name, req.body.note)
  })
}
