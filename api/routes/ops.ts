/** GET /healthz, /readyz, /metrics: open when config.api.openOps, else any valid token. */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { errorBodySchema } from '../errors.js'

const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() }))
}).meta({ id: 'Readiness' })

export default async function opsRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/healthz', {
    config: { auth: 'ops' },
    schema: {
      tags: ['operations'],
      summary: 'Liveness: the process is up and serving HTTP',
      response: { 200: z.object({ ok: z.literal(true) }), 401: errorBodySchema }
    }
  }, async () => ({ ok: true as const }))

  app.get('/readyz', {
    config: { auth: 'ops' },
    schema: {
      tags: ['operations'],
      summary: 'Readiness of the parts (store, broker, spool...); 503 when one is not ready',
      response: { 200: readinessSchema, 503: readinessSchema, 401: errorBodySchema }
    }
  }, async (_req, reply) => {
    let r: Awaited<ReturnType<typeof deps.readiness>>
    try {
      r = await deps.readiness()
    } catch (err) {
      r = { ready: false, checks: { readiness: { ok: false, detail: err instanceof Error ? err.message : String(err) } } }
    }
    return reply.code(r.ready ? 200 : 503).send(r)
  })

  app.get('/metrics', {
    config: { auth: 'ops' },
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      produces: ['text/plain'],
      response: { 200: z.string(), 401: errorBodySchema }
    }
  }, async (_req, reply) => {
    const text = await deps.metrics.registry.metrics()
    return reply.type(deps.metrics.registry.contentType).serializer((s) => s as string).send(text)
  })
}
