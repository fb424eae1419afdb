/**
 * Config reload without a restart: re-reads and validates the config file; an invalid one
 * changes nothing (every problem is reported); a valid one is diffed against the running config
 * and handed to `apply`, which gives each part its new slice (bin/up.ts). Reloads run one at a
 * time. The outcome of the last one is kept for the API and written to `statusFile`, which
 * `minewatch reload` waits for (docs/operations.md).
 */
import { renameSync, writeFileSync } from 'node:fs'
import type { LoadedConfig } from '../core/config.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import { isMinewatchError } from '../core/errors.js'
import { diffConfig, isEmptyDiff, type ConfigDiff } from './diff.js'

/** What the parts report back from applying a new config. */
export interface ApplyResult {
  /** MQTT usernames and HJ 212 devices whose connection was closed (removed, disabled, re-granted, HJ 212 settings changed). */
  disconnected: string[]
  /** Open alerts resolved because their device, zone or rule left the config. */
  alertsClosed: number
}

export type ReloadOutcome = 'applied' | 'unchanged' | 'rejected' | 'failed'

export interface ReloadReport {
  /** 1 for the first reload of this process, counting up. */
  seq: number
  /** ISO 8601 time the reload finished. */
  at: string
  /** What asked for it: SIGHUP, api:<token name>, ... */
  trigger: string
  file: string
  /**
   * applied: the new config runs (settings in needsRestart keep their old values until a restart);
   * unchanged: the file says what runs already; rejected: invalid, the old config keeps running;
   * failed: valid, but applying it threw (see problems; the registry may be partly updated).
   */
  outcome: ReloadOutcome
  /** Why it was rejected or failed: `file:line: path: message` per problem. */
  problems: string[]
  warnings: string[]
  diff?: ConfigDiff
  disconnected: string[]
  alertsClosed: number
}

export interface ReloadCoordinatorOptions {
  /** The config running now. */
  current: LoadedConfig
  /** Reads and validates the file again (throws MW_CONFIG_INVALID with `details`). */
  load: () => LoadedConfig
  apply: (next: LoadedConfig, diff: ConfigDiff) => Promise<ApplyResult>
  logger: Logger
  clock: Clock
  /** Where each report is written as JSON (atomically), e.g. {dataDir}/reload.json. */
  statusFile?: string
}

export class ReloadCoordinator {
  private running: Promise<unknown> = Promise.resolve()
  private seq = 0
  private lastReport: ReloadReport | undefined
  private currentConfig: LoadedConfig
  readonly startedAt: number

  constructor (private readonly o: ReloadCoordinatorOptions) {
    this.currentConfig = o.current
    this.startedAt = o.clock.now()
  }

  /** The config running now (the last one applied). */
  get current (): LoadedConfig { return this.currentConfig }
  /** The last reload's report, if any reload ran. */
  get last (): ReloadReport | undefined { return this.lastReport }

  /** Reloads the config file; never rejects (a failure is a report). Queued behind a reload in progress. */
  reload (trigger: string): Promise<ReloadReport> {
    const run = this.running.then(() => this.run(trigger))
    this.running = run.catch(() => {})
    return run
  }

  private async run (trigger: string): Promise<ReloadReport> {
    const log = this.o.logger
    const base = { seq: ++this.seq, trigger, file: this.currentConfig.file, problems: [] as string[], warnings: [] as string[], disconnected: [] as string[], alertsClosed: 0 }
    let report: ReloadReport
    let next: LoadedConfig | undefined
    try {
      next = this.o.load()
    } catch (err) {
      const problems = isMinewatchError(err) && Array.isArray(err.details) ? (err.details as string[]) : [err instanceof Error ? err.message : String(err)]
      report = { ...base, at: this.at(), outcome: 'rejected', problems }
      for (const p of problems) log.error({ problem: p }, 'config reload rejected: the running config is kept')
      return this.finish(report)
    }
    const diff = diffConfig(this.currentConfig.config, next.config)
    if (isEmptyDiff(diff)) return this.finish({ ...base, at: this.at(), outcome: 'unchanged', warnings: next.warnings, diff })
    try {
      const r = await this.o.apply(next, diff)
      this.currentConfig = next
      report = { ...base, at: this.at(), outcome: 'applied', warnings: next.warnings, diff, disconnected: r.disconnected, alertsClosed: r.alertsClosed }
      for (const w of next.warnings) log.warn(w)
      log.info({ diff, disconnected: r.disconnected, alertsClosed: r.alertsClosed }, 'config reloaded')
      if (diff.needsRestart.length > 0) log.warn({ needsRestart: diff.needsRestart }, 'config reload: these settings changed but apply only after a restart; the old values stay in force')
    } catch (err) {
      log.error({ err }, 'config reload failed while applying')
      report = { ...base, at: this.at(), outcome: 'failed', problems: [err instanceof Error ? err.message : String(err)], diff }
    }
    return this.finish(report)
  }

  private at (): string {
    return new Date(this.o.clock.now()).toISOString()
  }

  private finish (report: ReloadReport): ReloadReport {
    this.lastReport = report
    if (this.o.statusFile) {
      try {
        const tmp = `${this.o.statusFile}.tmp`
        writeFileSync(tmp, JSON.stringify(report, null, 2) + '\n')
        renameSync(tmp, this.o.statusFile) // atomic: `minewatch reload` never reads half a report
      } catch (err) {
        this.o.logger.error({ err, file: this.o.statusFile }, 'could not write the reload report')
      }
    }
    return report
  }
}
