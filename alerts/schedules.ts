/**
 * The schedules the alert engine applies (core/schedules.ts): those of the config file
 * (alerts.schedules, follow a reload) and those made through the API. An API change is an
 * audit record (schedule.create / schedule.delete, actor the token name) and nothing else: at
 * start the API's schedules are rebuilt by replaying those records, so they survive a restart
 * without a table of their own, and the audit log is where they can be proven.
 */
import type { Alert } from '../core/alerts.js'
import type { Clock } from '../core/clock.js'
import { MinewatchError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import type { Registry } from '../core/registry.js'
import {
  SCHEDULE_CREATE_ACTION, SCHEDULE_DELETE_ACTION, scheduleProblems, scheduleSchema, windowActive, windowCovers,
  type Schedule, type ScheduleEntry
} from '../core/schedules.js'
import { auditRecordsOf } from './audit-replay.js'
import type { AuditStore } from '../store/state.js'

export class ScheduleBook {
  private readonly api = new Map<string, ScheduleEntry>()
  /** Blasting windows per site and zone id (rebuilt on every change). */
  private blasting = new Map<string, Map<string, Schedule[]>>()
  private maintenance: Schedule[] = []

  constructor (private readonly registry: Registry, private readonly audit: AuditStore | undefined, private readonly clock: Clock, private readonly logger: Logger) {
    this.index()
  }

  /** Replays the API's schedule changes from the audit log (start-up). */
  async load (): Promise<void> {
    if (this.audit === undefined) return
    const records = await auditRecordsOf(this.audit, [SCHEDULE_CREATE_ACTION, SCHEDULE_DELETE_ACTION])
    this.api.clear()
    for (const r of records) {
      if (r.action === SCHEDULE_DELETE_ACTION) { if (r.target !== null) this.api.delete(r.target); continue }
      const parsed = scheduleSchema.safeParse(r.detail.schedule)
      if (!parsed.success) { this.logger.warn({ seq: r.seq }, 'audit record schedule.create holds no valid schedule; skipped'); continue }
      this.api.set(parsed.data.id, { ...parsed.data, source: 'api', createdBy: r.actor, createdAt: r.at })
    }
    this.index()
  }

  /** After a config reload: the file's schedules are the new ones. */
  reload (): void { this.index() }

  /** Every schedule, the config file's first; API ones the config now also names, or no longer validates against, are left out. */
  list (): ScheduleEntry[] {
    const fromConfig: ScheduleEntry[] = this.registry.config.alerts.schedules.map((s) => ({ ...s, source: 'config', createdBy: null, createdAt: null }))
    const ids = new Set(fromConfig.map((s) => s.id))
    return [...fromConfig, ...[...this.api.values()].filter((s) => !ids.has(s.id) && scheduleProblems(s, this.registry.config).length === 0)]
  }

  get (id: string): ScheduleEntry | undefined {
    return this.list().find((s) => s.id === id)
  }

  async create (s: Schedule, by: string): Promise<ScheduleEntry> {
    const problems = scheduleProblems(s, this.registry.config)
    if (problems.length > 0) throw new MinewatchError('MW_BAD_REQUEST', problems.map(([path, m]) => `${path}: ${m}`).join('; '))
    if (this.get(s.id) !== undefined) throw new MinewatchError('MW_CONFLICT', `a schedule with id '${s.id}' already exists`)
    const [r] = (await this.store().append([{ at: this.clock.now(), site: s.site, actor: by, action: SCHEDULE_CREATE_ACTION, target: s.id, detail: { schedule: s } }]))
      .filter((x) => x.action === SCHEDULE_CREATE_ACTION)
    const entry: ScheduleEntry = { ...s, source: 'api', createdBy: by, createdAt: r!.at }
    this.api.set(s.id, entry)
    this.index()
    return entry
  }

  async delete (id: string, by: string): Promise<ScheduleEntry> {
    const s = this.get(id)
    if (s === undefined) throw new MinewatchError('MW_NOT_FOUND', `no schedule '${id}'`)
    if (s.source === 'config') throw new MinewatchError('MW_CONFLICT', `schedule '${id}' is set in the config file (alerts.schedules): remove it there and reload`)
    await this.store().append([{ at: this.clock.now(), site: s.site, actor: by, action: SCHEDULE_DELETE_ACTION, target: id, detail: {} }])
    this.api.delete(id)
    this.index()
    return s
  }

  /** The first maintenance window covering the alert that is active at `t`, or null. */
  maintenanceFor (a: Pick<Alert, 'site' | 'kind' | 'subject' | 'device'>, t: number): string | null {
    for (const s of this.maintenance) if (windowCovers(s, a) && windowActive(s, t)) return s.id
    return null
  }

  /** The blasting windows of a site's zones (by zone id), or undefined when it has none (the hot path skips the rule). */
  blastingOf (site: string): ReadonlyMap<string, readonly Schedule[]> | undefined {
    return this.blasting.get(site)
  }

  private store (): AuditStore {
    if (this.audit === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'schedules are kept in the audit log, and none is configured')
    return this.audit
  }

  private index (): void {
    const all = this.list()
    this.maintenance = all.filter((s) => s.type === 'maintenance')
    const blasting = new Map<string, Map<string, Schedule[]>>()
    for (const s of all) {
      if (s.type !== 'blasting' || s.zone === undefined) continue
      let zones = blasting.get(s.site)
      if (!zones) { zones = new Map(); blasting.set(s.site, zones) }
      zones.set(s.zone, [...(zones.get(s.zone) ?? []), s])
    }
    this.blasting = blasting
  }
}

/** True when one of the windows is active at `t`. */
export function anyActive (windows: readonly Schedule[], t: number): boolean {
  for (const w of windows) if (windowActive(w, t)) return true
  return false
}
