/**
 * Dead letters: alert deliveries a receiver refused for good (HTTP 4xx other than 408/429, a
 * robot errcode meaning bad token or payload), with the receiver's answer, and retrying one
 * once the receiver is fixed. Admins see every dead letter; operators those of their site's
 * alerts; regulators none (they are about the site's own receivers).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import type { AlertStore, DeadLetter } from '../../store/state.js'
import { errorBodySchema } from '../errors.js'
import { idParam, limitParam } from '../params.js'
import { principalOf } from '../auth/access.js'
import { canSeeSite, type Principal } from '../auth/principal.js'

const deadLetterSchema = z.object({
  id: z.string().describe('delivery id (the X-Minewatch-Delivery header of webhooks)'),
  subscription: z.string(),
  channel: z.enum(['webhook', 'dingtalk', 'wecom', 'mqtt', 'email', 'aliyun_sms', 'tencent_sms']).nullable().describe('null when the subscription is no longer configured'),
  site: z.string().nullable().describe('site of the alert'),
  alertId: z.string().nullable(),
  transitionSeq: z.number().int(),
  attempts: z.number().int(),
  deadAt: z.number().describe('when the receiver refused it, epoch ms'),
  error: z.string(),
  answer: z.string().nullable().describe('what the receiver answered: HTTP status and body, or the robot errcode and errmsg'),
  payload: z.string().describe('the body that was refused, verbatim')
}).meta({ id: 'DeadLetter' })

const retriedSchema = z.object({
  id: z.string(),
  subscription: z.string(),
  dueAt: z.number().describe('epoch ms; delivery starts at once'),
  attempts: z.number().int()
}).meta({ id: 'RetriedDelivery' })

function mayManage (p: Principal): void {
  if (p.role === 'regulator') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (regulator) may not see alert deliveries: admin or operator only`)
}

/** The alert a dead letter was for, from its transition (null when the history no longer has it). */
async function alertOf (store: AlertStore, d: DeadLetter): Promise<{ site: string, alertId: string } | null> {
  const [t] = await store.transitionsSince(d.transitionSeq - 1, 1)
  return t !== undefined && t.seq === d.transitionSeq ? { site: t.site, alertId: t.alertId } : null
}

export default async function deliveriesRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const channels = new Map(deps.config.alerts.subscriptions.map((s) => [s.id, s.type]))

  /** Dead letters with their alert, those `p` may see, at most `limit`. */
  async function visible (p: Principal, subscription: string | undefined, limit: number) {
    // an operator's filter runs after the store's: ask for more, at most the bound below
    const rows = await deps.deliveries.deadLetters({ subscription, limit: p.role === 'admin' ? limit : 1000 })
    const out: z.infer<typeof deadLetterSchema>[] = []
    for (const d of rows) {
      const a = await alertOf(deps.alertStore, d)
      if (p.role !== 'admin' && (a === null || !canSeeSite(p, a.site))) continue
      out.push({ ...d, channel: channels.get(d.subscription) ?? null, site: a?.site ?? null, alertId: a?.alertId ?? null })
      if (out.length === limit) break
    }
    return out
  }

  app.get('/deliveries/dead', {
    schema: {
      tags: ['alerts'],
      summary: 'Alert deliveries refused for good by their receiver (dead letters), newest first',
      querystring: z.object({
        subscription: z.string().min(1).max(200).optional().describe('a subscription id of config.alerts.subscriptions'),
        limit: limitParam(100)
      }),
      response: { 200: z.object({ items: z.array(deadLetterSchema) }), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    mayManage(p)
    return { items: await visible(p, req.query.subscription, req.query.limit) }
  })

  app.post('/deliveries/dead/:id/retry', {
    schema: {
      tags: ['alerts'],
      summary: 'Put a dead letter back in the outbox and deliver it now (same delivery id and body)',
      params: z.object({ id: idParam }),
      response: { 200: retriedSchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    mayManage(p)
    const id = req.params.id
    if (p.role !== 'admin') {
      const mine = (await visible(p, undefined, 1000)).some((d) => d.id === id)
      if (!mine) throw new MinewatchError('MW_NOT_FOUND', `no dead letter '${id}'`)
    }
    const item = await deps.deliveries.retryDeadLetter(id)
    if (item === undefined) throw new MinewatchError('MW_NOT_FOUND', `no dead letter '${id}'`)
    req.log.info({ delivery: id, subscription: item.subscription, by: p.name }, 'dead letter put back for delivery')
    return { id: item.id, subscription: item.subscription, dueAt: item.dueAt, attempts: item.attempts }
  })
}
