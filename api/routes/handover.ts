/**
 * GET /sites/{site}/handover?at=: the shift handover report (交接班, core/rosters.ts,
 * docs/alerts.md "Duty rosters and shift handover") of a site at a time (default now): the shift on
 * duty and the one before, open, acknowledged, escalated, overdue and suppressed alerts, devices offline.
 * Anyone who can see the site may read it.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { SEVERITIES } from '../../core/sites.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam } from '../params.js'
import { pathSite, principalOf } from '../auth/access.js'

const shiftSchema = z.object({
  id: z.string(), name: z.string(), from: z.string(), to: z.string(),
  startsAt: z.number().describe('epoch ms the shift began'),
  onDuty: z.array(z.object({ id: z.string(), name: z.string() }))
}).nullable()

const itemSchema = z.object({
  id: z.string(), kind: z.string(), subject: z.string(), device: z.string().nullable(),
  severity: z.enum(SEVERITIES), state: z.enum(['firing', 'acknowledged']).describe('state at the report time'),
  firedAt: z.number(), ackedBy: z.string().nullable(),
  tier: z.number().int().describe('escalation tier reached (1: not escalated)'),
  window: z.string().nullable().describe('the maintenance window suppressing it'),
  message: z.string().describe('the text it fired with')
})

const reportSchema = z.object({
  site: z.string(), siteName: z.string(), at: z.number(),
  shift: shiftSchema.describe('the shift on duty at `at` (the incoming one at a shift change)'),
  previous: shiftSchema.describe('the shift before it'),
  open: z.array(itemSchema).describe('firing, not acknowledged, not suppressed'),
  acknowledged: z.array(itemSchema),
  escalated: z.array(itemSchema).describe('open and escalated past tier 1'),
  overdue: z.array(itemSchema).describe('firing and not acknowledged since before the previous shift began'),
  suppressed: z.array(itemSchema).describe('open inside a maintenance window'),
  offline: z.array(z.object({ device: z.string(), since: z.number(), alertId: z.string() }))
}).meta({ id: 'HandoverReport' })

export default async function handoverRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  app.get('/sites/:site/handover', {
    schema: {
      tags: ['alerts'],
      summary: 'Shift handover report (交接班) of a site at a time (default now)',
      params: z.object({ site: idParam }),
      querystring: z.object({ at: instantParam.optional().describe('report time: RFC 3339 or epoch ms; default now') }),
      response: { 200: reportSchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema }
    }
  }, async (req) => {
    const site = pathSite(deps.registry, principalOf(req), req.params.site)
    if (deps.handover === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'this minewatch runs no alert engine: no handover reports')
    return await deps.handover.handover(site.id, req.query.at ?? deps.clock.now())
  })
}
