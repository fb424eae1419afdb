/**
 * openStateStore: rejects, alerts, the delivery outbox and device changes in one embedded DuckDB
 * file (dataDir/state.duckdb), apart from telemetry so it stays embedded whichever
 * telemetry store is used.
 */
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { StateStore } from '../state.js'
import { StateDb } from './state-db.js'
import type { DatabaseSnapshot } from './backup.js'
import { DuckDBRejectStore } from './rejects.js'
import { DuckDBAlertStore } from './alerts.js'
import { DuckDBOutboxStore } from './outbox.js'
import { DuckDBAuditStore } from './audit.js'
import { DuckDBDeviceChangeStore } from './device-changes.js'
import { DuckDBForwardedReportStore } from './forwarded-reports.js'

export type { StateStore } from '../state.js'

export interface StateStoreOptions {
  /** Database file (created when missing), or ':memory:'. */
  path: string
  /** Rejects kept; the oldest beyond this are deleted (counted in minewatch_rejects_dropped_total). */
  rejectsMaxRows: number
  logger?: Logger
  metrics?: Metrics
}

/** The DuckDB state store: the shared interface plus a consistent copy of its file for backups. */
export interface DuckDBStateStore extends StateStore {
  /** A consistent copy of the state file as of one instant into the new file `target` (store/duckdb/backup.ts), while writes go on. */
  snapshot(target: string): Promise<DatabaseSnapshot>
}

/** Whether a state store is the embedded DuckDB one (backups copy only that one). */
export function isDuckDBState (s: StateStore): s is DuckDBStateStore {
  return typeof (s as Partial<DuckDBStateStore>).snapshot === 'function'
}

/** Opens (creating when needed) the state file and its three stores. */
export async function openStateStore (opts: StateStoreOptions): Promise<DuckDBStateStore> {
  const db = await StateDb.open(opts.path, opts.logger)
  try {
    const rejects = await DuckDBRejectStore.open(db, opts.rejectsMaxRows, opts.metrics)
    const outbox = await DuckDBOutboxStore.open(db, opts.metrics)
    const audit = new DuckDBAuditStore(db, outbox)
    const alerts = await DuckDBAlertStore.open(db, outbox, audit)
    const deviceChanges = await DuckDBDeviceChangeStore.open(db)
    const forwardedReports = new DuckDBForwardedReportStore(db)
    opts.logger?.info({ path: opts.path }, 'duckdb state store open')
    return withClose({ rejects, alerts, outbox, audit, deviceChanges, forwardedReports, snapshot: (target: string) => db.snapshot(target) }, async () => {
      await rejects.drain()
      await db.close()
      opts.logger?.info({ path: opts.path }, 'duckdb state store closed')
    })
  } catch (err) {
    await db.close()
    throw err
  }
}

/** The stores with an idempotent close(): `close` runs once, every call gets its promise. */
export function withClose<S extends Omit<StateStore, 'close'>> (stores: S, close: () => Promise<void>): S & { close(): Promise<void> } {
  let closing: Promise<void> | null = null
  return { ...stores, close: () => (closing ??= close()) }
}
