/**
 * Device lifecycle (admin only, docs/operations.md "Device lifecycle"):
 *   POST /api/v1/ops/devices                     add a device to a site
 *   POST /api/v1/ops/devices/{id}/disable        refuse it (its live connection is closed)
 *   POST /api/v1/ops/devices/{id}/enable         accept it again
 *   POST /api/v1/ops/devices/{id}/replace        a new device (new id and/or new HJ 212 MN) at its position
 *   POST /api/v1/ops/devices/{id}/retire         refuse it for good; its history stays in reports
 *   GET  /api/v1/ops/devices/changes             the audit list: who, when, why, what
 *   GET  /api/v1/ops/config/export               the config file with the changes folded in (YAML)
 * Every change needs a reason, is applied live through the reload coordinator (the answer holds
 * its reload report) and is stored as an override on top of the config file.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { loadConfig, type LoadedConfig } from '../../core/config.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'
import type { Principal } from '../auth/principal.js'
import { idParam } from '../params.js'
import { reloadReportSchema } from './config.js'
import { DEVICE_ACTIONS, type DeviceChange } from '../../store/state.js'
import type { DeviceChangeRequest, DeviceChangeResult } from '../../devices/service.js'
import { exportConfig } from '../../devices/export.js'

/** What the routes need of the device lifecycle (devices/service.ts). */
export interface LifecycleControl {
  change(req: DeviceChangeRequest): Promise<DeviceChangeResult>
  list(device?: string): Promise<DeviceChange[]>
  merge(file: LoadedConfig): LoadedConfig
}

const SECRET_FIELDS = new Set(['secretHash', 'nextSecretHash', 'pwHash', 'nextPwHash', 'password', 'pw'])

/** A stored spec without its secret hashes (the audit list is no place for them). */
function withoutSecrets (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !SECRET_FIELDS.has(k)).map(([k, x]) => [k, withoutSecrets(x)]))
  return v
}

const changeSchema = z.object({
  seq: z.number().int(),
  at: z.number().describe('epoch ms'),
  by: z.string().describe('the API token that made the change'),
  action: z.enum(DEVICE_ACTIONS),
  device: z.string().describe('the device changed (replace: the one replaced)'),
  site: z.string(),
  reason: z.string(),
  spec: z.record(z.string(), z.unknown()).nullable().describe('add: the device; replace: its replacement (secret hashes left out)'),
  override: z.enum(['applied', 'noop', 'skipped', 'pending']).describe('what the change does on top of the config file now: noop when the file holds it already (folded in), skipped when the file wins').optional(),
  overrideDetail: z.string().optional()
}).meta({ id: 'DeviceChange' })

const resultSchema = z.object({
  change: changeSchema,
  report: reloadReportSchema,
  generated: z.object({ secret: z.string().optional(), hj212Pw: z.string().optional() }).optional().describe('secrets generated for the new device: shown this once, only their hashes are kept')
}).meta({ id: 'DeviceChangeResult' })

const reasonBody = z.object({ reason: z.string().max(2000).optional().describe('why (required, audited)') })
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema }

function mayAdminister (p: Principal): void {
  if (p.role !== 'admin') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (${p.role}) may not change devices: admin only`)
}

export default async function deviceOpsRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const control = (): LifecycleControl => {
    if (!deps.lifecycle) throw new MinewatchError('MW_NOT_FOUND', 'this instance runs without device lifecycle')
    return deps.lifecycle
  }
  const view = (c: DeviceChange) => {
    const outcome = deps.reloads?.current.overrides?.find((x) => x.seq === c.seq)
    return { ...c, spec: c.spec === null ? null : withoutSecrets(c.spec) as Record<string, unknown>, override: outcome?.outcome ?? 'pending' as const, overrideDetail: outcome?.detail }
  }
  const answer = (r: DeviceChangeResult) => ({ change: view(r.change), report: r.report, generated: r.generated })

  app.post('/ops/devices', {
    schema: {
      tags: ['operations'],
      summary: 'Add a device to a site, live (admin); secrets as hashes, or generated and returned once',
      body: reasonBody.extend({ site: z.string(), device: z.record(z.string(), z.unknown()).describe('as in the config file (core/sites.ts deviceSchema); secretHash / hj212.pwHash, or leave them out') }),
      response: { 201: resultSchema, ...errors }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    mayAdminister(p)
    const id = typeof req.body.device.id === 'string' ? req.body.device.id : ''
    const r = await control().change({ action: 'add', device: id, site: req.body.site, spec: req.body.device, reason: req.body.reason, by: p.name })
    return reply.code(201).send(answer(r))
  })

  for (const action of ['disable', 'enable', 'retire'] as const) {
    app.post(`/ops/devices/:device/${action}`, {
      schema: {
        tags: ['operations'],
        summary: { disable: 'Disable a device: refused, its live connection closed (admin)', enable: 'Enable a disabled device again (admin)', retire: 'Retire a device for good: refused, its past data still reported (admin)' }[action],
        params: z.object({ device: idParam }),
        body: reasonBody,
        response: { 200: resultSchema, ...errors }
      }
    }, async (req) => {
      const p = principalOf(req)
      mayAdminister(p)
      return answer(await control().change({ action, device: req.params.device, reason: req.body.reason, by: p.name }))
    })
  }

  app.post('/ops/devices/:device/replace', {
    schema: {
      tags: ['operations'],
      summary: 'Replace a device by a new one at the same position: new id and/or new HJ 212 MN; reports count both as one (admin)',
      params: z.object({ device: idParam }),
      body: reasonBody.extend({
        id: z.string().optional().describe('the replacement\'s device id (default: the same id, with a new mn)'),
        mn: z.string().optional().describe('the replacement\'s HJ 212 MN'),
        name: z.string().optional(),
        secretHash: z.string().optional().describe('default: generated and returned once (a new id), or kept (the same id)'),
        pwHash: z.string().optional().describe('HJ 212 PW hash; default: the replaced device\'s'),
        kind: z.string().optional().describe('checked: a replacement keeps the kind'),
        site: z.string().optional().describe('checked: a replacement keeps the site')
      }),
      response: { 200: resultSchema, ...errors }
    }
  }, async (req) => {
    const p = principalOf(req)
    mayAdminister(p)
    const { reason, ...spec } = req.body
    return answer(await control().change({ action: 'replace', device: req.params.device, reason, spec, by: p.name }))
  })

  app.get('/ops/devices/changes', {
    schema: {
      tags: ['operations'],
      summary: 'Device changes made through the API, oldest first: who, when, why, what (admin)',
      querystring: z.object({ device: z.string().optional() }),
      response: { 200: z.object({ items: z.array(changeSchema) }), ...errors }
    }
  }, async (req) => {
    mayAdminister(principalOf(req))
    return { items: (await control().list(req.query.device)).map(view) }
  })

  app.get('/ops/config/export', {
    schema: {
      tags: ['operations'],
      summary: 'The config file with the device changes folded in, as YAML (admin): make it the file and the changes become no-ops',
      produces: ['application/yaml'],
      response: { 200: z.string(), ...errors }
    }
  }, async (req, reply) => {
    mayAdminister(principalOf(req))
    const file = deps.reloads?.current.file
    if (file === undefined) throw new MinewatchError('MW_NOT_FOUND', 'this instance was started without a config file')
    const text = readFileSync(file, 'utf8')
    const yaml = exportConfig(text, control().merge(loadConfig(file)))
    return reply.type('application/yaml; charset=utf-8').serializer((s) => s as string).send(yaml)
  })
}
