/**
 * The retention job of the embedded telemetry store: every `store.retention.intervalMs` (and once at
 * start) it deletes, kind by kind, the readings older than the kind's retention, in transactions of
 * at most `batchRows` rows with `pauseMs` between them, so ingest's commits keep their turn.
 * It deletes readings, and rollups past their own retention (rollupDays): alert history and
 * transitions, the outbox, day facts, rejects and every other table are out of its reach (the store
 * methods it calls take a kind of reading).
 * Cutoffs come from the injected clock. docs/storage.md *Retention* describes it.
 */
import { KINDS, type Kind } from '../core/kinds.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'
import { isMinewatchError } from '../core/errors.js'
import type { RetentionConfig } from '../core/config.js'

const DAY_MS = 86_400_000

/** What the job needs of a store (DuckDBTelemetryStore has it). */
export interface RetentionTarget {
  deleteReadingsBefore(kind: Kind, before: number, maxRows: number): Promise<number>
  /** Stores with rollups (store/duckdb/rollups.ts): deletes rollup rows of a level whose bucket starts before `before`. */
  deleteRollupsBefore?(level: '1m' | '1h', kind: Kind, before: number, maxRows: number): Promise<number>
  usedBytes(): Promise<number>
}

/** Days a kind's rollups of a level are kept: as long as its raw readings, and at least the level's own retention. */
export function rollupDays (config: RetentionConfig, level: '1m' | '1h', kind: Kind): number {
  return Math.max(config[kind], level === '1m' ? config.rollup1m : config.rollup1h)
}

export interface RetentionOptions {
  store: RetentionTarget
  config: RetentionConfig
  clock: Clock
  metrics?: Metrics
  logger?: Logger
}

export interface RetentionRun {
  /** Readings deleted, by kind. */
  deleted: Record<Kind, number>
  /** Rollup rows deleted, by level and kind. */
  rollupsDeleted: Record<'1m' | '1h', Record<Kind, number>>
  /** Decrease of the file's used bytes over the run (0 when it did not shrink). */
  freedBytes: number
}

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<RetentionRun | null> | null = null
  private stopped = false

  constructor (private readonly opts: RetentionOptions) {}

  /** Runs now, then every intervalMs until stop(). */
  start (): void {
    const tick = () => {
      this.timer = null
      void this.runOnce().finally(() => {
        if (!this.stopped) { this.timer = setTimeout(tick, this.opts.config.intervalMs); this.timer.unref() }
      })
    }
    tick()
  }

  /** One pass over every kind; a run already going is joined, not doubled. Never rejects (errors are logged). */
  runOnce (): Promise<RetentionRun | null> {
    this.running ??= this.pass().finally(() => { this.running = null })
    return this.running
  }

  private async pass (): Promise<RetentionRun | null> {
    const { store, config, clock, metrics, logger } = this.opts
    const zero = () => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
    const deleted = zero()
    const rollupsDeleted = { '1m': zero(), '1h': zero() }
    try {
      const bytesBefore = await store.usedBytes()
      for (const kind of KINDS) {
        const n = await this.inBatches((max) => store.deleteReadingsBefore(kind, clock.now() - config[kind] * DAY_MS, max))
        if (n === null) return null
        deleted[kind] += n
        metrics?.retentionRows.inc({ kind }, n)
      }
      const deleteRollups = store.deleteRollupsBefore?.bind(store)
      for (const level of ['1m', '1h'] as const) {
        for (const kind of KINDS) {
          if (deleteRollups === undefined) break
          const n = await this.inBatches((max) => deleteRollups(level, kind, clock.now() - rollupDays(config, level, kind) * DAY_MS, max))
          if (n === null) return null
          rollupsDeleted[level][kind] += n
        }
      }
      const freedBytes = Math.max(0, bytesBefore - await store.usedBytes())
      metrics?.retentionBytes.inc(freedBytes)
      const total = KINDS.reduce((n, k) => n + deleted[k], 0)
      if (total > 0) logger?.info({ deleted, rollupsDeleted, freedBytes }, 'retention: old readings deleted')
      return { deleted, rollupsDeleted, freedBytes }
    } catch (err) {
      if (!(this.stopped && isMinewatchError(err, 'MW_STORE_CLOSED'))) logger?.error({ err, deleted }, 'retention run failed; the next run retries')
      return null
    }
  }

  /** Deletes in transactions of batchRows with pauseMs between them until one deletes fewer; null once stopped. */
  private async inBatches (del: (maxRows: number) => Promise<number>): Promise<number | null> {
    const { batchRows, pauseMs } = this.opts.config
    let total = 0
    for (;;) {
      if (this.stopped) return null
      const n = await del(batchRows)
      total += n
      if (n < batchRows) return total
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }

  /** Stops the schedule and waits for a run in progress to end at its next batch. */
  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }
}
