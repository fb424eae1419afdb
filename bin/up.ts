/**
 * The composition root: wires core, stores, ingest, broker, alerts, API (and, on request,
 * simulated sites) into one running minewatch. Nothing else imports across parts.
 */
import { mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig, type LoadedConfig } from '../core/config.js'
import { Registry } from '../core/registry.js'
import { createMetrics, type Metrics } from '../core/metrics.js'
import { createLogger, type Logger } from '../core/log.js'
import { systemClock, type Clock } from '../core/clock.js'
import { MinewatchError } from '../core/errors.js'
import type { TelemetryStore } from '../store/telemetry.js'
import type { Reading } from '../core/readings.js'
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { openStateStore, isDuckDBState, type StateStore } from '../store/duckdb/state.js'
import { openPgStateStore, pgPasswordFromEnv } from '../store/postgres/state.js'
import { checkDataDir } from '../lifecycle/check.js'
import { RetentionJob } from '../lifecycle/retention.js'
import { takeBackup } from '../lifecycle/backup.js'
import { InfluxTelemetryStore } from '../store/influx/index.js'
import { SpooledStore } from '../store/spool/index.js'
import { DiskWatch } from '../disk/watch.js'
import { LISTEN_BACKLOG } from '../broker/listeners.js'
import { guardStore } from '../disk/guard.js'
import { createIngest, type Ingest } from '../ingest/index.js'
import { startExternalIntake } from '../ingest/external.js'
import { createBroker, type Broker } from '../broker/index.js'
import { createAlertEngine, type AlertEngine } from '../alerts/index.js'
import { buildApp } from '../api/app.js'
import { startSimulatedSites } from '../simulators/index.js'
import { Hj212Gateway } from '../hj212/gateway.js'
import { createHj212Metrics } from '../hj212/metrics.js'
import { isIntervalReading } from '../core/readings.js'
import type { FastifyInstance } from 'fastify'
import { ReloadCoordinator, type ReloadReport } from '../reload/coordinator.js'
import { PID_FILE, RELOAD_STATUS_FILE, readPid } from '../reload/files.js'
import { DeviceLifecycle } from '../devices/service.js'
import { Uplink, UplinkReceiver, createUplinkMetrics } from '../uplink/index.js'
import { parseUplinkTopic } from '../core/topics.js'
import { computeDailyReport } from '../api/reports/daily.js'
import { fetchDailyInput } from '../api/reports/fetch.js'
import { dailyReportSchema } from '../api/reports/schema.js'
import { beijingDateToMs } from '../core/time.js'
import type { AlertService } from '../core/alerts.js'
import type { AlertStore } from '../store/state.js'

export interface StartOptions {
  /** A loaded config, or the path of a YAML config file. */
  config: LoadedConfig | string
  /** Where DuckDB files, the spool and other state live. Created when missing. */
  dataDir: string
  /** MQTT TCP port; 0 picks a free one. */
  mqttPort: number
  /** HTTP API port; 0 picks a free one. */
  httpPort: number
  /** Interface to bind both listeners to (default from config: broker.host / api.host). */
  host?: string
  /** Time source (tests and fast-forwarded simulations inject one). */
  clock?: Clock
  logger?: Logger
  /** Also run the configured sites' simulated devices against the embedded broker. */
  simulate?: boolean
  /** Seed for the simulated sites. */
  seed?: number
  /** HJ 212 TCP port (overrides hj212.port); 0 picks a free one; absent and unset in config: no gateway. */
  hj212Port?: number
  /** With simulate: the demo's incidents in the first minutes (simulators/demo-story.ts); default true. */
  story?: boolean
  /** Tests only: called before each part takes a reloaded config; a throw fails that part (the reload is rolled back). */
  reloadFault?: (part: string, next: LoadedConfig) => void
}

export interface Minewatch {
  /** The config running now (the last one a reload applied). */
  readonly config: LoadedConfig
  readonly registry: Registry
  readonly metrics: Metrics
  readonly logger: Logger
  readonly clock: Clock
  readonly telemetry: TelemetryStore
  readonly state: StateStore
  readonly ingest: Ingest
  readonly broker: Broker
  readonly alerts: AlertEngine
  readonly app: FastifyInstance
  readonly mqttPort: number
  readonly httpPort: number
  /** The HJ 212 gateway, when hj212.port (or --hj212-port) is set. */
  readonly hj212?: Hj212Gateway
  readonly hj212Port?: number
  /** Config reloads (SIGHUP, `minewatch reload`, the API): the last report and the running config. */
  readonly reloads: ReloadCoordinator
  /** Device changes through the API (devices/): add, disable, enable, replace, retire. */
  readonly lifecycle: DeviceLifecycle
  /** Forwarding to upstream brokers (config uplink.targets; docs/uplink.md). */
  readonly uplink: Uplink
  /** Re-reads the config file and applies what changed live (see reload/coordinator.ts); never rejects. */
  reload(trigger?: string): Promise<ReloadReport>
  /** Stops intake first, then flushes ingest, alerts and the stores. Idempotent. */
  close(): Promise<void>
}

/** Checks the data dir can be created and written, so a bad one fails at start with a clear message. */
export function prepareDataDir (dir: string): string {
  const abs = resolve(dir)
  try {
    mkdirSync(abs, { recursive: true })
    const probe = join(abs, `.write-probe-${process.pid}`)
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (err) {
    throw new MinewatchError('MW_DATA_DIR_UNWRITABLE', `${abs}: ${(err as Error).message}`, { cause: err })
  }
  return abs
}

function createTelemetryStore (loaded: LoadedConfig, dataDir: string, logger: Logger, metrics: Metrics, onRejected: SpoolRejectHandler, disk: DiskWatch): TelemetryStore {
  const store = loaded.config.store
  if (store.kind === 'influx' && store.influx) {
    const inner = new InfluxTelemetryStore({ config: store.influx, logger, metrics })
    const diskRoom = () => { const free = disk.freeBytes('spool') ?? disk.freeBytes('data'); return free === undefined ? undefined : free - disk.floorBytes }
    return new SpooledStore({ inner, dir: join(dataDir, 'spool'), config: store.spool, logger, metrics, onRejected, diskRoom })
  }
  return new DuckDBTelemetryStore({
    path: join(dataDir, 'telemetry.duckdb'), logger, metrics,
    duckdb: { memory_limit: store.duckdb.memoryLimit, threads: String(store.duckdb.threads) },
    rollups: { intervalMs: store.duckdb.rollupIntervalMs }
  })
}

type SpoolRejectHandler = ConstructorParameters<typeof SpooledStore>[0]['onRejected']

export async function startMinewatch (opts: StartOptions): Promise<Minewatch> {
  const fileLoaded = typeof opts.config === 'string' ? loadConfig(opts.config) : opts.config
  const logger = opts.logger ?? createLogger()
  const clock = opts.clock ?? systemClock
  const dataDir = prepareDataDir(opts.dataDir)
  const metrics = createMetrics({ defaults: true })

  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try { await c() } catch (err) { logger.error({ err }, 'error while closing') }
    }
  }

  try {
    // every store file's schema version, read-only, before any store opens (lifecycle/check.ts)
    await checkDataDir(dataDir)
    // the state: the embedded DuckDB file, or a PostgreSQL database shared by several processes (docs/scale.md)
    const stateConfig = fileLoaded.config.store.state
    const rejectsMaxRows = fileLoaded.config.ingest.rejects.maxRows
    const state: StateStore = stateConfig.engine === 'postgres' && stateConfig.postgres
      ? await openPgStateStore({
        url: stateConfig.postgres.url, password: pgPasswordFromEnv(stateConfig.postgres.passwordEnv), poolSize: stateConfig.postgres.poolSize,
        claimLeaseMs: stateConfig.postgres.claimLeaseMs, rejectsMaxRows, logger, metrics
      })
      : await openStateStore({ path: join(dataDir, 'state.duckdb'), rejectsMaxRows, logger, metrics })
    closers.push(() => state.close())
    // device changes made through the API: stored overrides on top of the file (devices/, docs/operations.md)
    const late: { broker?: Broker, reloads?: ReloadCoordinator } = {}
    const lifecycle = new DeviceLifecycle({ store: state.deviceChanges, changes: await state.deviceChanges.list(), reloads: () => late.reloads!, clock })
    const loaded = lifecycle.merge(fileLoaded)
    const config = loaded.config
    for (const w of loaded.warnings) logger.warn(w)
    const registry = new Registry(config)

    // Lines InfluxDB refused as malformed go to rejects (ingest files them; it is built below, on this store).
    // (a spool replaying at init() may refuse some first: those wait for ingest.)
    const lateIngest: { ingest?: Ingest, early: Array<[Reading[], string]> } = { early: [] }
    const recordStoreRejected = (readings: Reading[], detail: string) => {
      if (!lateIngest.ingest) { lateIngest.early.push([readings, detail]); return }
      lateIngest.ingest.recordStoreRejected(readings, detail).catch((err) => logger.error({ err }, 'could not record store rejects'))
    }
    // free disk of the data and spool directories (disk/): below the floor writes are refused cleanly, /readyz says why
    const disk = new DiskWatch({ dirs: { data: dataDir }, floorBytes: config.store.diskFreeFloorBytes, metrics, logger: logger.child({ part: 'disk' }) })
    await disk.start()
    closers.push(async () => disk.stop())
    const rawTelemetry = createTelemetryStore(loaded, dataDir, logger, metrics, recordStoreRejected, disk)
    const telemetry = guardStore(rawTelemetry, disk)
    await telemetry.init()
    closers.push(() => telemetry.close())
    if (rawTelemetry instanceof DuckDBTelemetryStore) { // InfluxDB keeps what its retention policy says
      const retention = new RetentionJob({ store: rawTelemetry, config: config.store.retention, clock, metrics, logger: logger.child({ part: 'retention' }) })
      retention.start()
      closers.push(() => retention.stop())
    }
    if (config.store.kind === 'influx') { disk.watch('spool', join(dataDir, 'spool')); await disk.refresh() }

    const ingest = lateIngest.ingest = createIngest({ registry, store: telemetry, rejects: state.rejects, config: config.ingest, metrics, logger: logger.child({ part: 'ingest' }), clock })
    await ingest.start()
    for (const [readings, detail] of lateIngest.early.splice(0)) recordStoreRejected(readings, detail)

    // ---- uplink (docs/uplink.md): sites with a site-uplink account send their own alerts here; this
    // minewatch's alert engine leaves them alone (it neither evaluates their readings nor closes their alerts)
    let accountsNow = config.accounts
    const uplinked = (site: string) => accountsNow.some((a) => a.role === 'site-uplink' && Array.isArray(a.sites) && a.sites.includes(site))
    const alertView = (c: typeof config) => c.accounts.some((a) => a.role === 'site-uplink') ? { ...c, sites: c.sites.filter((s) => !uplinked(s.id)) } : c
    const alertConfig = alertView(config)
    const alertRegistry = alertConfig === config ? registry : new Registry(alertConfig)
    const openHere = async () => (await state.alerts.open()).filter((a) => !uplinked(a.site))
    const alertStore: AlertStore = alertConfig === config ? state.alerts : new Proxy(state.alerts, {
      get: (target, key) => {
        if (key === 'open') return openHere
        const v = Reflect.get(target, key, target) as unknown
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v
      }
    })
    const uplinkMetrics = createUplinkMetrics(metrics.registry)
    // ---- end uplink

    // Filled below (`late`): the broker and the alert engine need each other (alerts publish on MQTT).
    const alerts = createAlertEngine({
      registry: alertRegistry, config: alertConfig, alertStore, outbox: state.outbox, telemetry,
      publish: async (topic, payload) => { if (late.broker) await late.broker.publish(topic, payload, 1) },
      metrics, logger: logger.child({ part: 'alerts' }), clock, audit: state.audit
    })
    await alerts.start()
    closers.push(() => alerts.close())
    const unsubscribe = ingest.onStored((readings) => {
      // HJ 212 interval statistics (minute/hour/day) are not samples for the real-time rules
      const samples = readings.some(isIntervalReading) || alertConfig !== config ? readings.filter((r) => !isIntervalReading(r) && !uplinked(r.site)) : readings
      if (samples.length === 0) return
      alerts.evaluate(samples).catch((err) => logger.error({ err }, 'alert evaluation failed'))
    })
    closers.push(async () => unsubscribe())
    // uplink: queues stored readings and alert transitions; closed after ingest (its last batches are queued too)
    const uplink = new Uplink({
      config: config.uplink, sites: config.sites, telemetry, dataDir, alertStore: state.alerts, clock,
      ack: (id, by, note) => alerts.ack(id, by, note), comment: (id, by, text) => alerts.comment(id, by, text), close: (id, by, reason, text) => alerts.closeAlert(id, by, reason, text), audit: state.audit, logger: logger.child({ part: 'uplink' }), metrics: uplinkMetrics,
      // the site's daily report as its API gives it (api/reports), forwarded upstream when a day is over
      dailyReport: async (id, date) => { const s = registry.site(id); return s ? computeDailyReport(await fetchDailyInput({ telemetry, alertStore: state.alerts }, s, date, beijingDateToMs(date), clock.now())) : undefined },
      maxLateMs: config.ingest.maxLateMs
    })
    closers.push(() => uplink.close())
    const unsubscribeUplink = [ingest.onStored((rs) => uplink.readingsStored(rs)), alerts.onTransition((t) => uplink.transitionStored(t))]
    closers.push(async () => { for (const u of unsubscribeUplink) u() })
    // Closed before the alert engine and the stores: its last batches still reach both.
    closers.push(() => ingest.close())

    const receiver = new UplinkReceiver({
      registry, ingest, alertStore: state.alerts, forwardedReports: state.forwardedReports, audit: state.audit, checkReport: (r) => { const c = dailyReportSchema.safeParse(r); if (!c.success) throw new Error(c.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')) }, isUplinked: uplinked, clock, logger: logger.child({ part: 'uplink' }), metrics: uplinkMetrics,
      publish: async (topic, payload) => { await late.broker!.publish(topic, payload, 1) }
    })
    const broker = late.broker = createBroker({
      registry, config: config.broker, accounts: config.accounts, metrics, logger: logger.child({ part: 'broker' }), clock,
      intake: async (msg) => {
        const up = parseUplinkTopic(msg.topic) // only a site-uplink account may publish there (broker/acl.ts)
        if (up !== null) return await receiver.handle(up.site, msg)
        const outcome = await ingest.handle({ topic: msg.topic, payload: msg.payload, deviceId: msg.deviceId, receivedAt: msg.receivedAt })
        return { forward: outcome.rejected === 0 } // a message with refused readings is acknowledged but not passed on to subscribers
      },
      onDenied: (d) => {
        ingest.recordDenied({ deviceId: d.deviceId, topic: d.topic, reason: d.reason, payload: d.payload, at: d.at })
          .catch((err) => logger.error({ err }, 'could not record a refused publish'))
      }
    })
    closers.push(() => broker.close())
    const host = opts.host ?? config.broker.host
    const listening = await broker.listen({ port: opts.mqttPort, host, tlsPort: config.broker.tls?.port, wsPort: config.broker.ws?.port })

    if (config.ingest.external) {
      const ext = config.ingest.external
      const intake = await startExternalIntake({ ...ext, ingest, metrics, logger: logger.child({ part: 'external-intake' }) })
      closers.push(() => intake.close())
    }

    // HJ 212 gateway: devices with an `hj212:` entry push frames over TCP into the same ingest (docs/hj212.md)
    let hj212: Hj212Gateway | undefined
    let hj212Port: number | undefined
    const hjPort = opts.hj212Port ?? config.hj212.port
    if (hjPort !== undefined) {
      hj212 = new Hj212Gateway({
        registry, config: config.hj212, ingest, metrics: createHj212Metrics(metrics.registry), logger: logger.child({ part: 'hj212' }), clock,
        lastReadings: async () => {
          const last = new Map<string, number>()
          for (const site of registry.sites) {
            if (!site.devices.some((d) => d.hj212)) continue
            for (const r of await telemetry.latest({ site: site.id })) last.set(r.device, r.ts)
          }
          return last
        }
      })
      closers.push(() => hj212!.close())
    }

    // Config reload: each part gets its new slice through one explicit method, in this order; the
    // registry is swapped in place first, so ingest, the API and the gateway look devices up in the
    // new one. A part that throws rolls the reload back: the same methods get the old config again.
    const reloads = late.reloads = new ReloadCoordinator({
      current: loaded,
      load: () => lifecycle.merge(loadConfig(fileLoaded.file)),
      logger: logger.child({ part: 'reload' }),
      clock,
      statusFile: join(dataDir, RELOAD_STATUS_FILE),
      beforePart: opts.reloadFault,
      parts: [
        {
          name: 'registry',
          apply: (next) => {
            registry.replace(next.config)
            accountsNow = next.config.accounts
            if (alertRegistry !== registry) alertRegistry.replace(alertView(next.config))
            return {}
          }
        },
        { name: 'broker', apply: (next) => ({ disconnected: broker.reload(registry, next.config.accounts) }) },
        { name: 'hj212', apply: () => ({ disconnected: hj212 ? hj212.reload() : [] }) },
        { name: 'alerts', apply: async () => ({ alertsClosed: (await alerts.reload()).closed }) }
      ]
    })

    // the API acknowledges a site's forwarded alert through the downlink (the site applies it), others here
    const alertService: AlertService = {
      ack: async (id, by, note) => { const a = await receiver.owns(id); return a ? await receiver.ack(a, by, note) : await alerts.ack(id, by, note) },
      // a comment on a forwarded alert is kept here and goes down to the site; a close is the site's to apply
      comment: async (id, by, text) => { const c = await alerts.comment(id, by, text); const a = await receiver.owns(id); if (a) await receiver.comment(a, by, text); return c },
      closeAlert: async (id, by, reason, text) => { const a = await receiver.owns(id); return a ? await receiver.close(a, by, reason, text) : await alerts.closeAlert(id, by, reason, text) },
      onTransition: (l) => { const off = [alerts.onTransition(l), receiver.onTransition(l)]; return () => { for (const u of off) u() } }
    }
    const app = await buildApp({
      registry, config, telemetry, rejects: state.rejects, alertStore: state.alerts, forwardedReports: state.forwardedReports, auditStore: state.audit, alerts: alertService, deliveries: alerts, schedules: alerts, handover: alerts, rosters: alerts, metrics, logger: logger.child({ part: 'api' }), clock, hj212, reloads, lifecycle, uplink,
      // backups (lifecycle/backup.ts): each DuckDB store copies its own file as of one instant while ingest goes on
      backup: !isDuckDBState(state)
        ? async () => { throw new MinewatchError('MW_CONFLICT', 'the state is in PostgreSQL (store.state.engine: postgres): back it up with pg_dump (docs/storage.md); minewatch backup copies only embedded DuckDB state') }
        : (dir) => takeBackup(dir, { state, telemetry: rawTelemetry instanceof DuckDBTelemetryStore ? rawTelemetry : undefined, telemetryStore: rawTelemetry.name, spool: rawTelemetry instanceof SpooledStore ? rawTelemetry : undefined, uplink, configFile: fileLoaded.file, clock }),
      readiness: async () => {
        const h = await telemetry.health().catch((err: Error) => ({ ok: false, detail: err.message }))
        const checks: Record<string, { ok: boolean, detail?: string }> = {
          store: { ok: h.ok, detail: 'detail' in h ? h.detail : undefined },
          broker: broker.health(),
          disk: disk.health(),
          ...uplink.health()
        }
        if ('spoolBytes' in h && h.spoolBytes !== undefined) {
          checks.spool = { ok: h.ok, detail: `${h.spooledReadings ?? 0} readings, ${h.spoolBytes} bytes waiting` }
        }
        return { ready: Object.values(checks).every((c) => c.ok), checks }
      }
    })
    let httpPort: number
    try {
      await app.listen({ port: opts.httpPort, host: opts.host ?? config.api.host, backlog: LISTEN_BACKLOG })
      httpPort = (app.server.address() as { port: number }).port
    } catch (err) {
      await app.close()
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new MinewatchError('MW_PORT_IN_USE', `HTTP port ${opts.httpPort}`, { cause: err })
      throw err
    }
    closers.push(() => app.close())

    if (hj212) hj212Port = (await hj212.listen({ port: hjPort!, host: config.hj212.host ?? host })).port
    uplink.start()

    if (opts.simulate) {
      const sim = await startSimulatedSites({
        registry, brokerUrl: `mqtt://127.0.0.1:${listening.port}`, seed: opts.seed, speed: 1, story: opts.story ?? true, logger: logger.child({ part: 'simulator' }),
        hj212: hj212Port !== undefined ? { host: '127.0.0.1', port: hj212Port } : undefined
      })
      closers.push(() => sim.stop())
    }

    const pidFile = join(dataDir, PID_FILE)
    writeFileSync(pidFile, `${process.pid}\n`)
    closers.unshift(async () => { if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true }) }) // runs last

    logger.info({ mqttPort: listening.port, httpPort, hj212Port, dataDir, store: telemetry.name, sites: registry.sites.length, devices: registry.deviceCount }, 'minewatch is up')
    let closing: Promise<void> | undefined
    return {
      get config () { return reloads.current },
      registry, metrics, logger, clock, telemetry, state, ingest, broker, alerts, app,
      mqttPort: listening.port, httpPort, hj212, hj212Port, reloads, lifecycle, uplink,
      reload: (trigger = 'api') => reloads.reload(trigger),
      close: () => (closing ??= closeAll())
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
