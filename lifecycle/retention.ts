/**
 * The retention job of the embedded telemetry store: every `store.retention.intervalMs` (and once at
 * start) it deletes, kind by kind, the readings older than the kind's retention, in transactions of
 * at most `batchRows` rows with `pauseMs` between them, so ingest's commits keep their turn.
 * It deletes readings only: alert history and transitions, the outbox, day facts, rejects and every
 * other table are out of its reach (the store method it calls takes a kind of reading).
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
  usedBytes(): Promise<number>
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
    const deleted = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
    try {
      const bytesBefore = await store.usedBytes()
      for (const kind of KINDS) {
        const before = clock.now() - config[kind] * DAY_MS
        for (;;) {
          if (this.stopped) return null
          const n = await store.deleteReadingsBefore(kind, before, config.batchRows)
          deleted[kind] += n
          metrics?.retentionRows.inc({ kind }, n)
          if (n < config.batchRows) break
          await new Promise((resolve) => setTimeout(resolve, config.pauseMs))
        }
      }
      const freedBytes = Math.max(0, bytesBefore - await store.usedBytes())
      metrics?.retentionBytes.inc(freedBytes)
      const total = KINDS.reduce((n, k) => n + deleted[k], 0)
      if (total > 0) logger?.info({ deleted, freedBytes }, 'retention: old readings deleted')
      return { deleted, freedBytes }
    } catch (err) {
      if (!(this.stopped && isMinewatchError(err, 'MW_STORE_CLOSED'))) logger?.error({ err, deleted }, 'retention run failed; the next run retries')
      return null
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
