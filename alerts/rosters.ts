/**
 * The duty rosters the alert engine applies (core/rosters.ts): those of the config file
 * (alerts.rosters, follow a reload) and those set through the API. As with schedules
 * (alerts/schedules.ts), an API change is an audit record (roster.set / roster.delete, actor the
 * token name) and nothing else: at start the API's rosters are rebuilt by replaying those records.
 */
import type { Clock } from '../core/clock.js'
import { MinewatchError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import type { Registry } from '../core/registry.js'
import { ROSTER_DELETE_ACTION, ROSTER_SET_ACTION, rosterProblems, rosterSchema, type Roster, type RosterEntry } from '../core/rosters.js'
import { auditRecordsOf } from './audit-replay.js'
import type { AuditStore } from '../store/state.js'

export class RosterBook {
  private readonly api = new Map<string, RosterEntry>()

  constructor (private readonly registry: Registry, private readonly audit: AuditStore | undefined, private readonly clock: Clock, private readonly logger: Logger) {}

  /** Replays the API's roster changes from the audit log (start-up). */
  async load (): Promise<void> {
    if (this.audit === undefined) return
    const records = await auditRecordsOf(this.audit, [ROSTER_SET_ACTION, ROSTER_DELETE_ACTION])
    this.api.clear()
    for (const r of records) {
      if (r.action === ROSTER_DELETE_ACTION) { if (r.target !== null) this.api.delete(r.target); continue }
      const parsed = rosterSchema.safeParse(r.detail.roster)
      if (!parsed.success) { this.logger.warn({ seq: r.seq }, 'audit record roster.set holds no valid roster; skipped'); continue }
      this.api.set(parsed.data.site, { ...parsed.data, source: 'api', setBy: r.actor, setAt: r.at })
    }
  }

  private problems (r: Roster): string[] {
    const c = this.registry.config
    return rosterProblems([r], { siteIds: new Set(c.sites.map((s) => s.id)), channels: new Map(c.alerts.subscriptions.map((s) => [s.id, s.type])) })
      .map(([, path, m]) => `${path.join('.')}: ${m}`)
  }

  /** Every roster, the config file's first; API ones for a site the config now has a roster for, or that no longer validate, are left out. */
  list (): RosterEntry[] {
    const fromConfig: RosterEntry[] = this.registry.config.alerts.rosters.map((r) => ({ ...r, source: 'config', setBy: null, setAt: null }))
    const sites = new Set(fromConfig.map((r) => r.site))
    return [...fromConfig, ...[...this.api.values()].filter((r) => !sites.has(r.site) && this.problems(r).length === 0)]
  }

  get (site: string): RosterEntry | undefined {
    return this.list().find((r) => r.site === site)
  }

  /** Sets (creates or replaces) a site's roster made through the API; MW_CONFLICT when the config file sets that site's. */
  async set (r: Roster, by: string): Promise<RosterEntry> {
    const problems = this.problems(r)
    if (problems.length > 0) throw new MinewatchError('MW_BAD_REQUEST', problems.join('; '))
    if (this.get(r.site)?.source === 'config') throw new MinewatchError('MW_CONFLICT', `the roster of site '${r.site}' is set in the config file (alerts.rosters): change it there and reload`)
    const [rec] = (await this.store().append([{ at: this.clock.now(), site: r.site, actor: by, action: ROSTER_SET_ACTION, target: r.site, detail: { roster: r } }]))
      .filter((x) => x.action === ROSTER_SET_ACTION)
    const entry: RosterEntry = { ...r, source: 'api', setBy: by, setAt: rec!.at }
    this.api.set(r.site, entry)
    return entry
  }

  async delete (site: string, by: string): Promise<void> {
    const r = this.get(site)
    if (r === undefined) throw new MinewatchError('MW_NOT_FOUND', `no roster for site '${site}'`)
    if (r.source === 'config') throw new MinewatchError('MW_CONFLICT', `the roster of site '${site}' is set in the config file (alerts.rosters): remove it there and reload`)
    await this.store().append([{ at: this.clock.now(), site, actor: by, action: ROSTER_DELETE_ACTION, target: site, detail: {} }])
    this.api.delete(site)
  }

  private store (): AuditStore {
    if (this.audit === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'rosters made through the API are kept in the audit log, and none is configured')
    return this.audit
  }
}
