/**
 * openPgStateStore: rejects, alerts, the delivery outbox, the audit log and device changes in one
 * PostgreSQL database, for the provincial tier where several minewatch processes share the state
 * (docs/scale.md). Same StateStore as the DuckDB file (store/duckdb/state.ts); the schema is
 * migrated at open (store/postgres/schema.ts).
 */
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { StateStore } from '../state.js'
import { MinewatchError } from '../../core/errors.js'
import { withClose } from '../duckdb/state.js'
import { PgDb } from './db.js'
import { upgradePgSchema } from './schema.js'
import { PgRejectStore } from './rejects.js'
import { PgOutboxStore } from './outbox.js'
import { PgAuditStore } from './audit.js'
import { PgAlertStore } from './alerts.js'
import { PgDeviceChangeStore } from './device-changes.js'
import { PgForwardedReportStore } from './forwarded-reports.js'

/** A claim on outbox rows lasts this long unless configured: longer than a batch of deliveries with their timeouts. */
export const DEFAULT_CLAIM_LEASE_MS = 300_000

export interface PgStateStoreOptions {
  /** postgres://user@host:port/database, without a password. */
  url: string
  /** The password (from an environment variable, never the config file). */
  password?: string
  poolSize: number
  rejectsMaxRows: number
  /** How long due() holds the outbox rows it returns for this process. */
  claimLeaseMs?: number
  logger?: Logger
  metrics?: Metrics
}

export interface PgStateStore extends StateStore {
  outbox: PgOutboxStore
}

/** Connects, migrates the schema (or refuses a newer one), and opens the stores. */
export async function openPgStateStore (opts: PgStateStoreOptions): Promise<PgStateStore> {
  const db = PgDb.open({ url: opts.url, password: opts.password, poolSize: opts.poolSize, logger: opts.logger })
  try {
    const c = await db.client()
    try {
      await upgradePgSchema(c, db.where, { logger: opts.logger }).catch(db.wrap('state schema not checked'))
    } finally {
      c.release()
    }
    const rejects = new PgRejectStore(db, opts.rejectsMaxRows, opts.metrics)
    const outbox = new PgOutboxStore(db, opts.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS, opts.metrics)
    const audit = new PgAuditStore(db, outbox)
    const alerts = new PgAlertStore(db, outbox, audit)
    const deviceChanges = new PgDeviceChangeStore(db)
    const forwardedReports = new PgForwardedReportStore(db)
    await outbox.updateGauge()
    opts.logger?.info({ where: db.where, poolSize: opts.poolSize }, 'postgres state store open')
    return withClose({ rejects, alerts, outbox, audit, deviceChanges, forwardedReports }, async () => {
      await rejects.drain()
      await db.close()
      opts.logger?.info({ where: db.where }, 'postgres state store closed')
    })
  } catch (err) {
    await db.close()
    throw err
  }
}

/** The password in the environment variable `name` (config store.state.postgres.passwordEnv); undefined when no variable is named. */
export function pgPasswordFromEnv (name: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name === undefined) return undefined
  const v = env[name]
  if (v === undefined || v === '') throw new MinewatchError('MW_CONFIG_INVALID', `store.state.postgres: environment variable ${name} (the database password) is not set`)
  return v
}
