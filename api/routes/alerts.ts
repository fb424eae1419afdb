/** GET /alerts (paginated), GET /alerts/{id} with its history and comments, POST /alerts/{id}/ack, /comments, /close. */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { ALERT_KINDS, ALERT_STATES, CLOSE_REASONS, COMMENT_ACTION, type Alert, type AlertComment } from '../../core/alerts.js'
import { SEVERITIES } from '../../core/sites.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam, limitParam } from '../params.js'
import { alertSchema, transitionSchema } from '../schemas.js'
import { principalOf, querySite } from '../auth/access.js'
import { canSeeSite, siteFilter, type Principal } from '../auth/principal.js'
import type { AlertStore, AuditStore } from '../../store/state.js'

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

const commentSchema = z.object({
  seq: z.number().int().describe('the comment\'s audit record'),
  alertId: z.string(),
  at: z.number().describe('epoch ms'),
  by: z.string(),
  text: z.string()
}).meta({ id: 'AlertComment' })

/** The comments on an alert, oldest first (audit records alert.comment). */
async function commentsOf (audit: AuditStore | undefined, id: string): Promise<AlertComment[]> {
  if (audit === undefined) return []
  const rows = await audit.list({ target: id, action: COMMENT_ACTION, limit: 1000 })
  return rows.map((r) => ({ seq: r.seq, alertId: id, at: r.at, by: r.actor, text: String(r.detail.text) }))
}

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
      summary: 'One alert with its transition history and comments (oldest first)',
      params: alertIdParams,
      response: { 200: z.object({ alert: alertSchema, history: z.array(transitionSchema), comments: z.array(commentSchema) }), ...errors }
    }
  }, async (req) => {
    const alert = await visibleAlert(deps.alertStore, principalOf(req), req.params.id)
    return { alert, history: await deps.alertStore.history(alert.id), comments: await commentsOf(deps.auditStore, alert.id) }
  })

  app.post('/alerts/:id/comments', {
    schema: {
      tags: ['alerts'],
      summary: 'Comment on an alert in any state (audit-logged with the token name)',
      params: alertIdParams,
      body: z.object({ text: z.string().trim().min(1, 'a comment needs a text').max(2000) }),
      response: { 200: commentSchema, ...errors, 503: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    const alert = await visibleAlert(deps.alertStore, p, req.params.id)
    return await deps.alerts.comment(alert.id, p.name, req.body.text)
  })

  app.post('/alerts/:id/close', {
    schema: {
      tags: ['alerts'],
      summary: 'Close an open alert by hand with a reason: false_alarm 误报, device_fault 设备故障, rectified 已整改, other 其他 (text required); operators and admins',
      params: alertIdParams,
      body: z.object({ reason: z.enum(CLOSE_REASONS), text: z.string().trim().max(2000).default('') })
        .refine((b) => b.reason !== 'other' || b.text !== '', { path: ['text'], message: 'reason other (其他) needs a text saying why' }),
      response: { 200: alertSchema, ...errors, 409: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    const alert = await visibleAlert(deps.alertStore, p, req.params.id)
    if (p.role === 'regulator') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (regulator) may not close alerts: operators and admins only`)
    return await deps.alerts.closeAlert(alert.id, p.name, req.body.reason, req.body.text)
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
