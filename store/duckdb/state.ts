/**
 * openStateStore: rejects, alerts, the delivery outbox and device changes in one embedded DuckDB
 * file (dataDir/state.duckdb), apart from telemetry so it stays embedded whichever
 * telemetry store is used.
 */
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { AlertStore, AuditStore, DeviceChangeStore, OutboxStore, RejectStore } from '../state.js'
import { StateDb } from './state-db.js'
import type { DatabaseSnapshot } from './backup.js'
import { DuckDBRejectStore } from './rejects.js'
import { DuckDBAlertStore } from './alerts.js'
import { DuckDBOutboxStore } from './outbox.js'
import { DuckDBAuditStore } from './audit.js'
import { DuckDBDeviceChangeStore } from './device-changes.js'

export interface StateStoreOptions {
  /** Database file (created when missing), or ':memory:'. */
  path: string
  /** Rejects kept; the oldest beyond this are deleted (counted in minewatch_rejects_dropped_total). */
  rejectsMaxRows: number
  logger?: Logger
  metrics?: Metrics
}

export interface StateStore {
  rejects: RejectStore
  alerts: AlertStore
  outbox: OutboxStore
  /** The hash-chained audit log (alert transitions and operator actions, and other parts' actions). */
  audit: AuditStore
  /** Device lifecycle changes (devices/), append-only. */
  deviceChanges: DeviceChangeStore
  /** A consistent copy of the state file as of one instant into the new file `target` (store/duckdb/backup.ts), while writes go on. */
  snapshot(target: string): Promise<DatabaseSnapshot>
  /** Waits for queued writes, then closes the file. Idempotent; later calls reject with MW_STORE_CLOSED. */
  close(): Promise<void>
}

/** Opens (creating when needed) the state file and its three stores. */
export async function openStateStore (opts: StateStoreOptions): Promise<StateStore> {
  const db = await StateDb.open(opts.path, opts.logger)
  try {
    const rejects = await DuckDBRejectStore.open(db, opts.rejectsMaxRows, opts.metrics)
    const outbox = await DuckDBOutboxStore.open(db, opts.metrics)
    const audit = new DuckDBAuditStore(db)
    const alerts = await DuckDBAlertStore.open(db, outbox, audit)
    const deviceChanges = await DuckDBDeviceChangeStore.open(db)
    opts.logger?.info({ path: opts.path }, 'duckdb state store open')
    let closing: Promise<void> | null = null
    return {
      rejects,
      alerts,
      outbox,
      audit,
      deviceChanges,
      snapshot: (target) => db.snapshot(target),
      close () {
        closing ??= (async () => {
          await rejects.drain()
          await db.close()
          opts.logger?.info({ path: opts.path }, 'duckdb state store closed')
        })()
        return closing
      }
    }
  } catch (err) {
    await db.close()
    throw err
  }
}
