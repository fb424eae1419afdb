/**
 * buildApp(deps): the HTTP API (fastify 5, zod 4 schemas end to end, OpenAPI at /docs).
 * It never listens: the composition root (bin/) calls listen, tests call app.inject().
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import {
  createJsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler
} from 'fastify-type-provider-zod'
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import type { TelemetryStore } from '../store/telemetry.js'
import type { RejectStore, AlertStore, AuditStore, DeadLetterService, ForwardedReportStore } from '../store/state.js'
import type { AlertService } from '../core/alerts.js'
import type { Metrics } from '../core/metrics.js'
import type { Logger } from '../core/log.js'
import type { Clock } from '../core/clock.js'
import { errorHandler, notFoundHandler } from './errors.js'
import { createAuthHook } from './auth/hook.js'
import { createResponseHook } from './request-log.js'
import { RefusalLog } from '../core/refusal-log.js'
import { trackUnusedConnections } from './unused-connections.js'
import { AddressCap, capHttpConnections } from '../core/connection-caps.js'
import { MinewatchError } from '../core/errors.js'
import opsRoutes from './routes/ops.js'
import sitesRoutes from './routes/sites.js'
import seriesRoutes from './routes/series.js'
import exportRoutes from './routes/export.js'
import alertsRoutes from './routes/alerts.js'
import alertStreamRoutes from './routes/alert-stream.js'
import rejectsRoutes from './routes/rejects.js'
import reportsRoutes from './routes/reports.js'
import hj212Routes, { type Hj212Control } from './routes/hj212.js'
import sessionRoutes from './routes/session.js'
import screenRoutes from './routes/screen.js'
import consoleRoutes from './routes/console.js'
import { SessionStore } from './auth/session.js'
import deliveriesRoutes from './routes/deliveries.js'
import configRoutes, { type ConfigControl } from './routes/config.js'
import auditRoutes from './routes/audit.js'
import deviceOpsRoutes, { type LifecycleControl } from './routes/devices-ops.js'
import backupRoutes, { type BackupControl } from './routes/backup.js'
import uplinkRoutes, { type UplinkControl } from './routes/uplink.js'
import schedulesRoutes from './routes/schedules.js'
import type { ScheduleService } from '../core/schedules.js'
import handoverRoutes from './routes/handover.js'
import rostersRoutes from './routes/rosters.js'
import type { HandoverService, RosterService } from '../core/rosters.js'

export interface AppDeps {
  registry: Registry
  config: Config
  telemetry: TelemetryStore
  rejects: RejectStore
  alertStore: AlertStore
  /** Daily reports forwarded by sites that uplink here (routes/reports.ts gives them for those site-days). */
  forwardedReports?: ForwardedReportStore
  /** The hash-chained audit log (routes/audit.ts, alert comments); absent: those routes answer 503. */
  auditStore?: AuditStore
  alerts: AlertService
  /** Dead letters of alert delivery (the alert engine). */
  deliveries: DeadLetterService
  metrics: Metrics
  logger: Logger
  clock: Clock
  /** Readiness of the parts (store reachable, broker listening, spool state...). */
  readiness: () => Promise<{ ready: boolean, checks: Record<string, { ok: boolean, detail?: string }> }>
  /** The HJ 212 gateway, when running (routes/hj212.ts). */
  hj212?: Hj212Control
  /** Config reloads (routes/config.ts), when started from a config file. */
  reloads?: ConfigControl
  /** Device lifecycle (routes/devices-ops.ts), when started from a config file. */
  lifecycle?: LifecycleControl
  /** Production, maintenance and blasting windows (routes/schedules.ts; the alert engine); absent: those routes answer 503. */
  schedules?: ScheduleService
  /** Shift handover reports (routes/handover.ts; the alert engine); absent: that route answers 503. */
  handover?: HandoverService
  /** Duty rosters set through the API (routes/rosters.ts; the alert engine); absent: those routes answer 503. */
  rosters?: RosterService
  /** Uplink forwarding status (routes/uplink.ts). */
  uplink?: UplinkControl
  /** Backups of the embedded stores (routes/backup.ts), when minewatch up runs them. */
  backup?: BackupControl
}

/** Tuning that tests change; production uses the defaults. */
export interface AppOptions {
  /** Interval between SSE heartbeat comments, ms. */
  sseHeartbeatMs?: number
  /** Transitions read per page when an SSE client resumes with Last-Event-ID. */
  sseReplayPage?: number
  /** Bytes an SSE client may fall behind before it is disconnected (it resumes with Last-Event-ID). */
  sseMaxBufferedBytes?: number
  /** Directory of the built web console (default: dist/console, see api/routes/console.ts). */
  consoleDir?: string
}

export type ResolvedAppOptions = Required<Omit<AppOptions, 'consoleDir'>> & Pick<AppOptions, 'consoleDir'>

const DEFAULT_OPTIONS: ResolvedAppOptions = {
  sseHeartbeatMs: 15_000, // 15 s: below common proxy idle timeouts (30–60 s)
  sseReplayPage: 500,
  sseMaxBufferedBytes: 1024 * 1024 // 1 MiB
}

/** What every route plugin receives. */
export interface RouteContext {
  deps: AppDeps
  options: ResolvedAppOptions
  /** Web console browser sessions (api/auth/session.ts). */
  sessions: SessionStore
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered by buildApp (method and URL), in registration order; HEAD routes left out. */
    apiRoutes: readonly { method: string, url: string }[]
  }
}

/** Prefix of the versioned API. */
export const API_PREFIX = '/api/v1'

/** Builds the app with every route registered and ready; never listens. */
export async function buildApp (deps: AppDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }), // request-log.ts logs each request once, without secrets
    bodyLimit: 64 * 1024, // 64 KiB: the only body is an acknowledgement note
    return503OnClosing: true
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.decorateRequest('principal', null)
  const routes: { method: string, url: string }[] = []
  app.decorate('apiRoutes', routes)
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url })
  })
  const sessions = new SessionStore(deps.clock)
  app.addHook('onRequest', createAuthHook(deps.config, deps.clock, deps.metrics, sessions, () => deps.registry.config.api.tokens)) // tokens follow a config reload
  const refusals = new RefusalLog(deps.logger, { message: 'API request refused', level: 'info' })
  app.addHook('onClose', async () => { refusals.close() })
  app.addHook('onResponse', createResponseHook(deps.metrics, refusals))
  // per-address connection cap, ahead of everything else that listens for connections
  const connCap = new AddressCap(deps.config.api.connectionsPerAddress)
  capHttpConnections(app.server, connCap, { error: 'MW_TOO_MANY_CONNECTIONS', message: new MinewatchError('MW_TOO_MANY_CONNECTIONS', `at most ${connCap.max} at once (api.connectionsPerAddress)`).message }, (address) => {
    deps.metrics.connectionsRefused.inc({ listener: 'http', cap: 'address' })
    deps.logger.debug({ address }, 'HTTP connection refused: per-address cap')
  })
  const closeUnused = trackUnusedConnections(app.server)
  app.addHook('preClose', async () => { closeUnused() })

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'minewatch API', version: '1', description: 'Mine-site telemetry, alerts and regulatory reports. See docs/api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } })

  const ctx: RouteContext = { deps, options: { ...DEFAULT_OPTIONS, ...options }, sessions }
  await app.register(opsRoutes, ctx)
  await app.register(consoleRoutes, { dir: options.consoleDir })
  await app.register(async (api) => {
    await api.register(sitesRoutes, ctx)
    await api.register(seriesRoutes, ctx)
    await api.register(exportRoutes, ctx)
    await api.register(alertsRoutes, ctx)
    await api.register(alertStreamRoutes, ctx)
    await api.register(rejectsRoutes, ctx)
    await api.register(reportsRoutes, ctx)
    await api.register(hj212Routes, ctx)
    await api.register(uplinkRoutes, ctx)
    await api.register(sessionRoutes, ctx)
    await api.register(screenRoutes, ctx)
    await api.register(deliveriesRoutes, ctx)
    await api.register(configRoutes, ctx)
    await api.register(auditRoutes, ctx)
    await api.register(deviceOpsRoutes, ctx)
    await api.register(backupRoutes, ctx)
    await api.register(schedulesRoutes, ctx)
    await api.register(handoverRoutes, ctx)
    await api.register(rostersRoutes, ctx)
  }, { prefix: API_PREFIX })
  await app.ready()
  return app as unknown as FastifyInstance
}
