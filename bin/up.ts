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
import { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import { openStateStore, type StateStore } from '../store/duckdb/state.js'
import { InfluxTelemetryStore } from '../store/influx/index.js'
import { SpooledStore } from '../store/spool/index.js'
import { createIngest, type Ingest } from '../ingest/index.js'
import { startExternalIntake } from '../ingest/external.js'
import { createBroker, type Broker } from '../broker/index.js'
import { createAlertEngine, type AlertEngine } from '../alerts/index.js'
import { buildApp } from '../api/app.js'
import { startSimulatedSites } from '../simulators/index.js'
import type { FastifyInstance } from 'fastify'

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
}

export interface Minewatch {
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

function createTelemetryStore (loaded: LoadedConfig, dataDir: string, logger: Logger, metrics: Metrics, onRejected: SpoolRejectHandler): TelemetryStore {
  const store = loaded.config.store
  if (store.kind === 'influx' && store.influx) {
    const inner = new InfluxTelemetryStore({ config: store.influx, logger, metrics })
    return new SpooledStore({ inner, dir: join(dataDir, 'spool'), config: store.spool, logger, metrics, onRejected })
  }
  return new DuckDBTelemetryStore({
    path: join(dataDir, 'telemetry.duckdb'), logger, metrics,
    duckdb: { memory_limit: store.duckdb.memoryLimit, threads: String(store.duckdb.threads) }
  })
}

type SpoolRejectHandler = ConstructorParameters<typeof SpooledStore>[0]['onRejected']

export async function startMinewatch (opts: StartOptions): Promise<Minewatch> {
  const loaded = typeof opts.config === 'string' ? loadConfig(opts.config) : opts.config
  const config = loaded.config
  const logger = opts.logger ?? createLogger()
  const clock = opts.clock ?? systemClock
  for (const w of loaded.warnings) logger.warn(w)
  const dataDir = prepareDataDir(opts.dataDir)
  const registry = new Registry(config)
  const metrics = createMetrics({ defaults: true })

  const closers: Array<() => Promise<void>> = []
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) {
      try { await c() } catch (err) { logger.error({ err }, 'error while closing') }
    }
  }

  try {
    const state = await openStateStore({ path: join(dataDir, 'state.duckdb'), rejectsMaxRows: config.ingest.rejects.maxRows, logger, metrics })
    closers.push(() => state.close())

    const telemetry = createTelemetryStore(loaded, dataDir, logger, metrics, (readings, detail) => {
      // Lines InfluxDB refused as malformed go to rejects, one record per device.
      const byDevice = new Map<string, typeof readings[number][]>()
      for (const r of readings) {
        let list = byDevice.get(r.device)
        if (!list) byDevice.set(r.device, list = [])
        list.push(r)
      }
      for (const [device, rs] of byDevice) {
        const first = rs[0]!
        void state.rejects.add([{
          at: clock.now(), site: first.site, device, topic: `mines/${first.site}/${first.kind}/${device}`,
          reason: 'store_rejected', detail, count: rs.length, payload: JSON.stringify(rs.slice(0, 5)).slice(0, 1024)
        }]).catch((err) => logger.error({ err }, 'could not record store rejects'))
      }
    })
    await telemetry.init()
    closers.push(() => telemetry.close())

    const ingest = createIngest({ registry, store: telemetry, rejects: state.rejects, config: config.ingest, metrics, logger: logger.child({ part: 'ingest' }), clock })
    await ingest.start()

    // Filled below: the broker and the alert engine need each other (alerts publish on MQTT).
    const late: { broker?: Broker } = {}
    const alerts = createAlertEngine({
      registry, config, alertStore: state.alerts, outbox: state.outbox, telemetry,
      publish: async (topic, payload) => { if (late.broker) await late.broker.publish(topic, payload, 1) },
      metrics, logger: logger.child({ part: 'alerts' }), clock
    })
    await alerts.start()
    closers.push(() => alerts.close())
    const unsubscribe = ingest.onStored((readings) => {
      alerts.evaluate(readings).catch((err) => logger.error({ err }, 'alert evaluation failed'))
    })
    closers.push(async () => unsubscribe())
    // Closed before the alert engine and the stores: its last batches still reach both.
    closers.push(() => ingest.close())

    const broker = late.broker = createBroker({
      registry, config: config.broker, accounts: config.accounts, metrics, logger: logger.child({ part: 'broker' }), clock,
      intake: async (msg) => {
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
      const intake = await startExternalIntake({ url: ext.url, username: ext.username, password: ext.password, clientId: ext.clientId, topic: ext.topic, ingest, logger: logger.child({ part: 'external-intake' }) })
      closers.push(() => intake.close())
    }

    const app = await buildApp({
      registry, config, telemetry, rejects: state.rejects, alertStore: state.alerts, alerts, metrics, logger: logger.child({ part: 'api' }), clock,
      readiness: async () => {
        const h = await telemetry.health().catch((err: Error) => ({ ok: false, detail: err.message }))
        const checks: Record<string, { ok: boolean, detail?: string }> = {
          store: { ok: h.ok, detail: 'detail' in h ? h.detail : undefined },
          broker: { ok: !broker.aedes.closed }
        }
        if ('spoolBytes' in h && h.spoolBytes !== undefined) {
          checks.spool = { ok: h.ok, detail: `${h.spooledReadings ?? 0} readings, ${h.spoolBytes} bytes waiting` }
        }
        return { ready: Object.values(checks).every((c) => c.ok), checks }
      }
    })
    let httpPort: number
    try {
      await app.listen({ port: opts.httpPort, host: opts.host ?? config.api.host })
      httpPort = (app.server.address() as { port: number }).port
    } catch (err) {
      await app.close()
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new MinewatchError('MW_PORT_IN_USE', `HTTP port ${opts.httpPort}`, { cause: err })
      throw err
    }
    closers.push(() => app.close())

    if (opts.simulate) {
      const sim = await startSimulatedSites({ registry, brokerUrl: `mqtt://127.0.0.1:${listening.port}`, seed: opts.seed, speed: 1, logger: logger.child({ part: 'simulator' }) })
      closers.push(() => sim.stop())
    }

    logger.info({ mqttPort: listening.port, httpPort, dataDir, store: telemetry.name, sites: registry.sites.length, devices: registry.deviceCount }, 'minewatch is up')
    let closing: Promise<void> | undefined
    return {
      config: loaded, registry, metrics, logger, clock, telemetry, state, ingest, broker, alerts, app,
      mqttPort: listening.port, httpPort,
      close: () => (closing ??= closeAll())
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
