/**
 * GET /rejects: messages (or readings) that were not stored, newest first. Rejects that
 * could not be attributed to a site of the registry (unknown device, bad topic) are visible to
 * admins only; everyone else gets their sites' rejects, filtered by the store in one query.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { REJECT_REASONS } from '../../core/rejects.js'
import { MinewatchError } from '../../core/errors.js'
import type { RejectQuery } from '../../store/state.js'
import { errorBodySchema } from '../errors.js'
import { idParam, limitParam } from '../params.js'
import { principalOf, querySite } from '../auth/access.js'
import { canSeeSite, visibleSiteIds, type Principal } from '../auth/principal.js'

const rejectSchema = z.object({
  id: z.number().int(),
  at: z.number().describe('server time of the reject, epoch ms'),
  site: z.string().nullable(),
  device: z.string().nullable(),
  topic: z.string(),
  reason: z.enum(REJECT_REASONS),
  detail: z.string(),
  count: z.number().int(),
  payload: z.string()
}).meta({ id: 'Reject' })

function seesAll (p: Principal): boolean {
  return p.role === 'admin'
}

export default async function rejectsRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/rejects', {
    schema: {
      tags: ['telemetry'],
      summary: 'Rejected messages and readings, newest first (page with `before`)',
      querystring: z.object({
        site: idParam.optional(),
        device: idParam.optional(),
        reason: z.enum(REJECT_REASONS).optional(),
        before: z.coerce.number().int().positive().optional().describe('only rejects with id < before (nextBefore of the previous page)'),
        limit: limitParam(100)
      }),
      response: {
        200: z.object({ items: z.array(rejectSchema), nextBefore: z.number().int().nullable() }),
        400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema
      }
    }
  }, async (req) => {
    const p = principalOf(req)
    const q = req.query
    if (q.site !== undefined) querySite(deps.registry, p, q.site)
    if (q.device !== undefined) {
      // a device's rejects belong to its registry site; unknown device ids are admin business
      const entry = deps.registry.device(q.device)
      if (entry) {
        if (!canSeeSite(p, entry.site.id)) throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' may not see site '${entry.site.id}' of device '${q.device}'`)
      } else if (!seesAll(p)) {
        throw new MinewatchError('MW_FORBIDDEN', `device '${q.device}' is in no site of token '${p.name}'`)
      }
    }
    const query: RejectQuery = { site: q.site, device: q.device, reason: q.reason, limit: q.limit, before: q.before }
    // a caller who does not see everything gets its sites filtered by the store, in one query
    // (paging through everything for visible rows took 41 s and outlived the request)
    if (!seesAll(p) && q.site === undefined) query.sites = visibleSiteIds(p, deps.registry)
    const items = await deps.rejects.list(query)
    const nextBefore = items.length === q.limit ? items[items.length - 1]!.id : null
    return { items, nextBefore }
  })
}
