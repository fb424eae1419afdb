/**
 * GET /schedules, POST /schedules, DELETE /schedules/{id}: recurring production, maintenance and
 * blasting windows (core/schedules.ts, docs/alerts.md "Schedules"). Everyone sees the windows of
 * their sites; operators and admins create and delete those of their sites (regulators may not);
 * every change is an audit record with the token name. Windows from the config file are listed
 * (source config) but changed only there.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { SCHEDULE_TYPES, scheduleSchema, WEEKDAYS, type ScheduleService } from '../../core/schedules.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'
import { canSeeSite, type Principal } from '../auth/principal.js'

const entrySchema = z.object({
  id: z.string(),
  type: z.enum(SCHEDULE_TYPES),
  site: z.string(),
  zone: z.string().optional(),
  device: z.string().optional(),
  owner: z.string(),
  reason: z.string(),
  weekly: z.array(z.object({ days: z.array(z.enum(WEEKDAYS)), from: z.string(), to: z.string() })),
  source: z.enum(['config', 'api']).describe('config: from alerts.schedules of the config file (change it there); api: made through this API'),
  createdBy: z.string().nullable(),
  createdAt: z.number().nullable().describe('epoch ms')
}).meta({ id: 'Schedule' })

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema }

function serviceOf (s: ScheduleService | undefined): ScheduleService {
  if (s === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'this minewatch runs no alert engine: no schedules')
  return s
}

function mayChange (p: Principal, site: string): void {
  if (p.role === 'regulator') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (regulator) may not change schedules: operators and admins only`)
  if (!canSeeSite(p, site)) throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' may not change schedules of site '${site}'`)
}

export default async function schedulesRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/schedules', {
    schema: {
      tags: ['alerts'],
      summary: 'Production, maintenance and blasting windows of the caller\'s sites (config file first, then those made through the API)',
      response: { 200: z.object({ items: z.array(entrySchema) }), ...errors }
    }
  }, async (req) => {
    const p = principalOf(req)
    return { items: serviceOf(deps.schedules).schedules().filter((s) => canSeeSite(p, s.site)) }
  })

  app.post('/schedules', {
    schema: {
      tags: ['alerts'],
      summary: 'Create a window (weekly slots in Beijing time, with owner and reason); operators and admins of its site; audit-logged',
      body: scheduleSchema,
      response: { 201: entrySchema, ...errors }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    mayChange(p, req.body.site)
    const made = await serviceOf(deps.schedules).createSchedule(req.body, p.name)
    return reply.code(201).send(made)
  })

  app.delete('/schedules/:id', {
    schema: {
      tags: ['alerts'],
      summary: 'Delete a window made through the API (config ones: 409); operators and admins of its site; audit-logged',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: { 204: z.null().describe('deleted'), ...errors }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    const service = serviceOf(deps.schedules)
    const s = service.schedules().find((x) => x.id === req.params.id)
    if (s === undefined || !canSeeSite(p, s.site)) throw new MinewatchError('MW_NOT_FOUND', `no schedule '${req.params.id}'`)
    mayChange(p, s.site)
    await service.deleteSchedule(s.id, p.name)
    return reply.code(204).send(null)
  })
}
