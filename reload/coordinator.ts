/**
 * Config reload without a restart: re-reads and validates the config file; an invalid one
 * changes nothing (every problem is reported); a valid one is diffed against the running config
 * and handed to each part in turn (bin/up.ts). When a part throws, the parts already changed (the
 * throwing one included) get the old config again, in the same order: the reload is rolled back. Reloads (and device changes
 * made through the API, applyPlan) run one at a time. The outcome of the last one is kept for the API and written to `statusFile`, which
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

/**
 * One part that takes its slice of a new config. `apply` must also accept the config that ran
 * before: that is how a reload that throws halfway is rolled back (the parts already changed get
 * the old config again, in their own order: the registry first, which the others read).
 */
export interface ReloadPart {
  name: string
  apply: (next: LoadedConfig, diff: ConfigDiff) => Promise<Partial<ApplyResult>> | Partial<ApplyResult>
}

export type ReloadOutcome = 'applied' | 'unchanged' | 'rejected' | 'rolled_back' | 'failed'

export interface ReloadReport {
  /** 1 for the first reload of this process, counting up. */
  seq: number
  /** ISO 8601 time the reload finished. */
  at: string
  /** What asked for it: SIGHUP, api:<token name>, device-change:<token name>, ... */
  trigger: string
  file: string
  /**
   * applied: the new config runs (settings in needsRestart keep their old values until a restart);
   * unchanged: the file says what runs already; rejected: invalid, the old config keeps running;
   * rolled_back: valid, but applying it threw (see problems): every part was given the old config
   * again and it runs as before; failed: the rollback threw too (restart to be sure).
   */
  outcome: ReloadOutcome
  /** Why it was rejected, rolled back or failed: `file:line: path: message` per problem. */
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
  /** The parts, in the order they take a new config (the registry first). */
  parts: readonly ReloadPart[]
  logger: Logger
  clock: Clock
  /** Where each report is written as JSON (atomically), e.g. {dataDir}/reload.json. */
  statusFile?: string
  /** Tests only: called before each part applies a config (not during a rollback); a throw fails that part. */
  beforePart?: (part: string, next: LoadedConfig) => void
}

/** A change to apply other than the file's (a device change through the API): its config, and a step that must succeed for it to stay. */
export interface ReloadPlan {
  next: LoadedConfig
  /** Runs after every part took `next` (e.g. stores the change); a throw rolls the reload back. */
  commit?: () => Promise<void>
}

const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

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
    return this.queue(() => this.run(trigger))
  }

  /**
   * Applies a config made from the running one (a device change), through the same diff, parts
   * and report as a reload, queued with them. `plan` runs in the queue, on the config running then;
   * an error it throws rejects the promise and changes nothing (no report).
   */
  applyPlan (trigger: string, plan: (current: LoadedConfig) => ReloadPlan): Promise<ReloadReport> {
    return this.queue(async () => {
      const p = plan(this.currentConfig)
      return await this.applyNext(this.base(trigger), p.next, p.commit)
    })
  }

  private queue<R> (fn: () => Promise<R>): Promise<R> {
    const run = this.running.then(fn)
    this.running = run.catch(() => {})
    return run
  }

  private base (trigger: string): Omit<ReloadReport, 'at' | 'outcome'> {
    return { seq: ++this.seq, trigger, file: this.currentConfig.file, problems: [], warnings: [], disconnected: [], alertsClosed: 0 }
  }

  private async run (trigger: string): Promise<ReloadReport> {
    const base = this.base(trigger)
    let next: LoadedConfig
    try {
      next = this.o.load()
    } catch (err) {
      const problems = isMinewatchError(err) && Array.isArray(err.details) ? (err.details as string[]) : [message(err)]
      for (const p of problems) this.o.logger.error({ problem: p }, 'config reload rejected: the running config is kept')
      return this.finish({ ...base, at: this.at(), outcome: 'rejected', problems })
    }
    return await this.applyNext(base, next)
  }

  private async applyNext (base: Omit<ReloadReport, 'at' | 'outcome'>, next: LoadedConfig, commit?: () => Promise<void>): Promise<ReloadReport> {
    const log = this.o.logger
    const prev = this.currentConfig
    const diff = diffConfig(prev.config, next.config)
    if (isEmptyDiff(diff)) {
      await commit?.() // nothing to apply: a device change that the file holds already is still recorded
      this.currentConfig = next
      return this.finish({ ...base, at: this.at(), outcome: 'unchanged', warnings: next.warnings, diff })
    }
    const done: ReloadPart[] = []
    const result: ApplyResult = { disconnected: [], alertsClosed: 0 }
    try {
      for (const part of this.o.parts) {
        done.push(part) // a part that throws may be half-changed: it is rolled back too
        this.o.beforePart?.(part.name, next)
        const r = await part.apply(next, diff)
        result.disconnected.push(...(r.disconnected ?? []))
        result.alertsClosed += r.alertsClosed ?? 0
      }
      await commit?.()
    } catch (err) {
      log.error({ err }, 'config reload failed while applying: rolling back to the running config')
      const problems = [message(err)]
      const back = diffConfig(next.config, prev.config)
      // in the parts' own order: the registry first, since the others read it while they reload
      for (const part of done) {
        try {
          await part.apply(prev, back)
        } catch (again) {
          log.error({ err: again, part: part.name }, 'config reload: rolling back failed; restart to be sure of the config in force')
          problems.push(`rollback of ${part.name}: ${message(again)}`)
        }
      }
      const outcome = problems.length > 1 ? 'failed' : 'rolled_back'
      return this.finish({ ...base, at: this.at(), outcome, problems, warnings: next.warnings, diff })
    }
    this.currentConfig = next
    for (const w of next.warnings) log.warn(w)
    log.info({ diff, disconnected: result.disconnected, alertsClosed: result.alertsClosed }, 'config reloaded')
    if (diff.needsRestart.length > 0) log.warn({ needsRestart: diff.needsRestart }, 'config reload: these settings changed but apply only after a restart; the old values stay in force')
    return this.finish({ ...base, at: this.at(), outcome: 'applied', warnings: next.warnings, diff, ...result })
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
