/**
 * GET /rosters, PUT /rosters/{site}, DELETE /rosters/{site}: duty rosters (core/rosters.ts,
 * docs/alerts.md "Duty rosters and shift handover"). Everyone sees the rosters of their sites;
 * operators and admins set and delete those of their sites (regulators may not); every change is
 * an audit record with the token name. Rosters from the config file are listed (source config)
 * but changed only there.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { rosterSchema, type RosterService } from '../../core/rosters.js'
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { principalOf } from '../auth/access.js'
import { canSeeSite, type Principal } from '../auth/principal.js'

const entrySchema = z.object({
  site: z.string(),
  people: z.array(z.object({ id: z.string(), name: z.string(), user: z.string().optional() })),
  shifts: z.array(z.object({ id: z.string(), name: z.string(), from: z.string(), to: z.string(), onDuty: z.array(z.string()), channel: z.string() })),
  source: z.enum(['config', 'api']).describe('config: from alerts.rosters of the config file (change it there); api: set through this API'),
  setBy: z.string().nullable(),
  setAt: z.number().nullable().describe('epoch ms')
}).meta({ id: 'Roster' })

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema }

function serviceOf (s: RosterService | undefined): RosterService {
  if (s === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'this minewatch runs no alert engine: no rosters')
  return s
}

function mayChange (p: Principal, site: string): void {
  if (!canSeeSite(p, site)) throw new MinewatchError('MW_NOT_FOUND', `site ${site}`)
  if (p.role === 'regulator') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (regulator) may not change rosters: operators and admins only`)
}

export default async function rostersRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/rosters', {
    schema: {
      tags: ['alerts'],
      summary: 'Duty rosters of the caller\'s sites (config file first, then those set through the API)',
      response: { 200: z.object({ items: z.array(entrySchema) }), ...errors }
    }
  }, async (req) => {
    const p = principalOf(req)
    return { items: serviceOf(deps.rosters).rosters().filter((r) => canSeeSite(p, r.site)) }
  })

  app.put('/rosters/:site', {
    schema: {
      tags: ['alerts'],
      summary: 'Set a site\'s roster (shifts in Beijing time, people on duty, channels); operators and admins of the site; audit-logged',
      params: z.object({ site: idParam }),
      body: rosterSchema.omit({ site: true }),
      response: { 200: entrySchema, ...errors }
    }
  }, async (req) => {
    const p = principalOf(req)
    mayChange(p, req.params.site)
    return await serviceOf(deps.rosters).setRoster({ site: req.params.site, ...req.body }, p.name)
  })

  app.delete('/rosters/:site', {
    schema: {
      tags: ['alerts'],
      summary: 'Delete a roster set through the API (config ones: 409); operators and admins of the site; audit-logged',
      params: z.object({ site: idParam }),
      response: { 204: z.null().describe('deleted'), ...errors }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    mayChange(p, req.params.site)
    await serviceOf(deps.rosters).deleteRoster(req.params.site, p.name)
    return reply.code(204).send(null)
  })
}
