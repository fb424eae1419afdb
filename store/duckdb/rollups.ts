/**
 * The rollup job of the embedded telemetry store: every `intervalMs` it takes, kind by kind, the
 * oldest marked minutes (rollup_dirty, written with the readings in ingest's transactions) and
 * rolls them up (rollup-sql.ts refreshSql) in one transaction per kind on a read connection, never
 * grouped with ingest's commits. Late readings inside the acceptance window mark their minute again,
 * so the next pass corrects its minute and hour. Queries never wait for the job: a marked minute is
 * read from the raw readings (docs/storage.md *Rollups*).
 */
import type { DuckDBConnection } from '@duckdb/node-api'
import { KINDS, type Kind } from '../../core/kinds.js'
import { MINUTE } from '../../core/time.js'
import { isMinewatchError } from '../../core/errors.js'
import type { Logger } from '../../core/log.js'
import { dirtyMinutesSql, refreshSql, toRanges } from './rollup-sql.js'

export interface RollupJobOptions {
  /** Runs fn on a read connection of the store (one operation at a time per connection). */
  run: <R>(fn: (conn: DuckDBConnection) => Promise<R>) => Promise<R>
  /** Pause between passes, ms. */
  intervalMs: number
  /**
   * Marked minutes one pass takes per kind, oldest first. A backlog (after the upgrade to rollups, or
   * a bulk load) is worked off in passes of this size, back to back; a pass that fails (e.g. DuckDB
   * out of memory under store.duckdb.memoryLimit) halves it for that kind until passes succeed again.
   */
  maxMinutesPerPass: number
  logger?: Logger
}

/** Rolls up the oldest `max` marked minutes of `kind` in one transaction; returns how many. */
export async function rollUpKind (conn: DuckDBConnection, kind: Kind, max: number): Promise<number> {
  await conn.run('BEGIN TRANSACTION')
  try {
    const minutes = (await conn.runAndReadAll(dirtyMinutesSql(kind, undefined, max))).getRowObjectsJS().map((r) => Number(r.t))
    if (minutes.length > 0) for (const sql of refreshSql(kind, toRanges(minutes, MINUTE))) await conn.run(sql)
    await conn.run('COMMIT')
    return minutes.length
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined)
    throw err
  }
}

export class RollupJob {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<number> | null = null
  private stopped = false
  /** Minutes rolled up since start, by kind (tests and the bench read it). */
  readonly rolled: Record<Kind, number> = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
  /** Minutes the next pass takes per kind: maxMinutesPerPass, halved after a failed pass, doubled back after a good one. */
  private readonly take: Record<Kind, number>
  /** The last pass left marked minutes behind (it took as many as it could): the next one starts at once. */
  private backlog = false

  constructor (private readonly opts: RollupJobOptions) {
    this.take = Object.fromEntries(KINDS.map((k) => [k, opts.maxMinutesPerPass])) as Record<Kind, number>
  }

  start (): void {
    const tick = () => {
      this.timer = null
      void this.runOnce().catch(() => 0).finally(() => {
        if (!this.stopped) { this.timer = setTimeout(tick, this.backlog ? 0 : this.opts.intervalMs); this.timer.unref() }
      })
    }
    this.timer = setTimeout(tick, this.opts.intervalMs)
    this.timer.unref()
  }

  /** One pass over every kind (a pass already going is joined); resolves to the minutes rolled up. Errors are logged, the marks stay for the next pass. */
  runOnce (): Promise<number> {
    this.running ??= this.pass().finally(() => { this.running = null })
    return this.running
  }

  private async pass (): Promise<number> {
    let total = 0
    let backlog = false
    for (const kind of KINDS) {
      const take = this.take[kind]
      try {
        const n = await this.opts.run((conn) => rollUpKind(conn, kind, take))
        this.rolled[kind] += n
        total += n
        if (n === take) backlog = true
        this.take[kind] = Math.min(this.opts.maxMinutesPerPass, take * 2)
      } catch (err) {
        if (isMinewatchError(err, 'MW_STORE_CLOSED')) continue
        this.take[kind] = Math.max(1, Math.floor(take / 2))
        backlog = true
        this.opts.logger?.error({ err, kind, minutes: take, next: this.take[kind] }, 'rollup pass failed; its minutes stay marked for the next pass')
      }
    }
    this.backlog = backlog
    return total
  }

  /** Passes until one leaves no marked minute behind (or `maxPasses`); returns the minutes rolled up. */
  async drain (maxPasses = 100_000): Promise<number> {
    let total = 0
    let idle = 0
    for (let i = 0; i < maxPasses && idle < 10; i++) { // 10 passes in a row without progress: failing, give up for now
      const n = await this.runOnce()
      total += n
      idle = n === 0 ? idle + 1 : 0
      if (!this.backlog) break
    }
    return total
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    await this.running
  }
}
