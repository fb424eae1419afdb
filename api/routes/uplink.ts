/** GET /api/v1/ops/uplink: each uplink target's backlog, last acknowledgement and rate (admin, regulator). docs/uplink.md. */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'

const targetSchema = z.object({
  name: z.string(),
  url: z.string(),
  site: z.string(),
  protocol: z.enum(['mqtt', 'hj212']).describe('mqtt: batches to a broker or minewatch; hj212: HJ 212-2017 frames to an environmental platform'),
  connected: z.boolean().describe('hj212: every device\'s connection is up'),
  backlogItems: z.number().int().describe('readings and alert transitions (mqtt) or frames (hj212) waiting in the queue'),
  backlogBytes: z.number().int(),
  maxBytes: z.number().int(),
  onFull: z.enum(['drop-oldest', 'refuse-new']),
  full: z.boolean().describe('the queue is at its bound: items are being dropped or refused'),
  ackedItems: z.number().int(),
  ackedBatches: z.number().int(),
  wireBytes: z.number().int().describe('bytes of acknowledged batches (mqtt: compressed payloads; hj212: whole frames)'),
  droppedItems: z.number().int(),
  refusedItems: z.number().int(),
  lastAckAt: z.number().nullable().describe('epoch ms of the last PUBACK (mqtt) or 9014 window (hj212)'),
  ratePerS: z.number().describe('items acknowledged per second over the last minute'),
  lastError: z.string().nullable(),
  downlinkApplied: z.number().int().describe('acknowledgements from upstream applied here')
})
const statusSchema = z.object({ at: z.number(), targets: z.array(targetSchema) }).meta({ id: 'UplinkStatus' })

/** What the route needs from the uplink (uplink/index.ts). */
export interface UplinkControl {
  status(): z.infer<typeof statusSchema>
}

export default async function uplinkRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  app.get('/ops/uplink', {
    schema: {
      tags: ['operations'],
      summary: 'Uplink targets: backlog, last acknowledgement, rate, drops (admin, regulator)',
      response: { 200: statusSchema, 401: errorBodySchema, 403: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    if (p.role === 'operator') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (operator) may not see the uplink: admin or regulator only`)
    return deps.uplink?.status() ?? { at: deps.clock.now(), targets: [] }
  })
}
