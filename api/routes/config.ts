/**
 * The running config and its reloads (admin only, docs/operations.md):
 *   GET  /api/v1/ops/config         the config file, what runs from it, the last reload's outcome
 *   POST /api/v1/ops/config/reload  re-reads the file and applies what changed live (as SIGHUP does)
 * A reload that is rejected or fails answers 200 with `outcome` saying so and every problem.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'
import type { Principal } from '../auth/principal.js'

const idChangesSchema = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.object({ id: z.string(), fields: z.array(z.string()).describe('names of the settings that differ (never their secret values)') }))
})

const diffSchema = z.object({
  sites: idChangesSchema,
  devices: idChangesSchema.extend({ disabled: z.array(z.string()), enabled: z.array(z.string()) }),
  limits: z.array(z.object({ site: z.string(), limit: z.string().describe('metric:windowS'), change: z.enum(['added', 'removed', 'changed']), fields: z.array(z.string()).optional() })),
  accounts: idChangesSchema,
  tokens: idChangesSchema,
  needsRestart: z.array(z.string()).describe('settings that changed but are read at start only: the old values stay in force until a restart')
}).meta({ id: 'ConfigDiff' })

export const reloadReportSchema = z.object({
  seq: z.number().int(),
  at: z.string().describe('ISO 8601'),
  trigger: z.string().describe('SIGHUP, api:<token name>, device-change:<token name>'),
  file: z.string(),
  outcome: z.enum(['applied', 'unchanged', 'rejected', 'rolled_back', 'failed']).describe('rejected: the file is invalid and the running config is kept; rolled_back: applying it threw and every part runs the old config again; failed: the rollback threw too'),
  problems: z.array(z.string()).describe('file:line: path: message, one per problem'),
  warnings: z.array(z.string()),
  diff: diffSchema.optional(),
  disconnected: z.array(z.string()).describe('logins whose connection was closed (removed, disabled, grants or HJ 212 settings changed)'),
  alertsClosed: z.number().int().describe('open alerts resolved as no longer configured')
}).meta({ id: 'ReloadReport' })
type ReloadReport = z.infer<typeof reloadReportSchema>

const configViewSchema = z.object({
  file: z.string(),
  startedAt: z.number().describe('epoch ms the process started'),
  sites: z.number().int(),
  devices: z.number().int(),
  disabledDevices: z.array(z.string()),
  lastReload: reloadReportSchema.nullable()
}).meta({ id: 'ConfigView' })

/** What the routes need from the reload coordinator (reload/coordinator.ts). */
export interface ConfigControl {
  readonly current: { file: string, overrides?: ReadonlyArray<{ seq: number, outcome: 'applied' | 'noop' | 'skipped', detail?: string }> }
  readonly last: ReloadReport | undefined
  readonly startedAt: number
  reload(trigger: string): Promise<ReloadReport>
}

function mayAdminister (p: Principal): void {
  if (p.role !== 'admin') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (${p.role}) may not see or reload the config: admin only`)
}

export default async function configRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const control = (): ConfigControl => {
    if (!deps.reloads) throw new MinewatchError('MW_NOT_FOUND', 'this instance was started without a config file to reload')
    return deps.reloads
  }

  app.get('/ops/config', {
    schema: {
      tags: ['operations'],
      summary: 'The running config file and the outcome of the last reload (admin)',
      response: { 200: configViewSchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    mayAdminister(principalOf(req))
    const c = control()
    const devices = [...deps.registry.devices()]
    return {
      file: c.current.file,
      startedAt: c.startedAt,
      sites: deps.registry.sites.length,
      devices: devices.length,
      disabledDevices: devices.filter((e) => e.device.disabled).map((e) => e.device.id),
      lastReload: c.last ?? null
    }
  })

  app.post('/ops/config/reload', {
    schema: {
      tags: ['operations'],
      summary: 'Re-read the config file and apply what changed live, as SIGHUP does (admin)',
      response: { 200: reloadReportSchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    mayAdminister(p)
    const report = await control().reload(`api:${p.name}`)
    req.log.info({ by: p.name, outcome: report.outcome, seq: report.seq }, 'config reload requested through the API')
    return report
  })
}
