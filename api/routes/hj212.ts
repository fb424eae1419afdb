/**
 * HJ 212 devices for operators: GET /sites/{site}/hj212 (connection state of each HJ 212 device)
 * and POST /sites/{site}/hj212/{device}/commands (time calibration 1012, real-time interval 1062,
 * history request 2051/2061/2031 for a backfill), answered once the device's 9012 arrives.
 * Commands are for operators and admins; regulators read only.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { idParam, instantParam } from '../params.js'
import { pathSite, principalOf } from '../auth/access.js'

/** What the API needs of the HJ 212 gateway (hj212/gateway.ts). */
export interface Hj212Control {
  status(): Array<{ device: string, mn: string, connected: boolean, address?: string, lastDataTime?: number }>
  command(deviceId: string, cmd:
    | { cn: '1012', systemTime: number }
    | { cn: '1062', rtdIntervalS: number }
    | { cn: '2051' | '2061' | '2031', begin: number, end: number }): Promise<{ cn: string, qn: string, exeRtn: string, detail: string }>
}

const statusSchema = z.object({
  device: z.string(), mn: z.string(), connected: z.boolean(), address: z.string().optional(),
  lastDataTime: z.number().optional().describe('newest DataTime seen, epoch ms')
}).meta({ id: 'Hj212DeviceStatus' })

const commandBody = z.discriminatedUnion('command', [
  z.object({ command: z.literal('calibrate-time').describe('CN 1012: set the device clock to server time') }),
  z.object({ command: z.literal('set-interval'), rtdIntervalS: z.number().int().min(30).max(3600).describe('CN 1062: real-time interval, 30–3600 s (HJ 212-2017 §6.6)') }),
  z.object({
    command: z.literal('backfill'),
    data: z.enum(['minute', 'hour', 'day']).default('minute').describe('CN 2051, 2061 or 2031'),
    from: instantParam.describe('BeginTime'),
    to: instantParam.describe('EndTime')
  })
])

const CN_OF = { minute: '2051', hour: '2061', day: '2031' } as const

export default async function hj212Routes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
  const gateway = (): Hj212Control => {
    if (!deps.hj212) throw new MinewatchError('MW_NOT_FOUND', 'the HJ 212 gateway is not running (set hj212.port)')
    return deps.hj212
  }

  app.get('/sites/:site/hj212', {
    schema: {
      tags: ['hj212'],
      summary: 'HJ 212 devices of a site and whether each is connected',
      params: z.object({ site: idParam }),
      response: { 200: z.object({ devices: z.array(statusSchema) }), ...errors }
    }
  }, async (req) => {
    const site = pathSite(deps.registry, principalOf(req), req.params.site)
    const ids = new Set(site.devices.map((d) => d.id))
    return { devices: gateway().status().filter((s) => ids.has(s.device)) }
  })

  app.post('/sites/:site/hj212/:device/commands', {
    schema: {
      tags: ['hj212'],
      summary: 'Send a command to a connected HJ 212 device; answers with its 9012 execution result',
      params: z.object({ site: idParam, device: idParam }),
      body: commandBody,
      response: {
        200: z.object({ cn: z.string(), qn: z.string(), exeRtn: z.string(), detail: z.string() }),
        ...errors, 502: errorBodySchema
      }
    }
  }, async (req) => {
    const p = principalOf(req)
    const site = pathSite(deps.registry, p, req.params.site)
    if (p.role === 'regulator') throw new MinewatchError('MW_FORBIDDEN', 'commands to devices are for operators and admins')
    const device = site.devices.find((d) => d.id === req.params.device && d.hj212)
    if (!device) throw new MinewatchError('MW_NOT_FOUND', `no HJ 212 device '${req.params.device}' at site '${site.id}'`)
    const b = req.body
    if (b.command === 'calibrate-time') return await gateway().command(device.id, { cn: '1012', systemTime: deps.clock.now() })
    if (b.command === 'set-interval') return await gateway().command(device.id, { cn: '1062', rtdIntervalS: b.rtdIntervalS })
    if (b.to <= b.from) throw new MinewatchError('MW_BAD_REQUEST', 'to must be after from')
    return await gateway().command(device.id, { cn: CN_OF[b.data], begin: b.from, end: b.to })
  })
}
