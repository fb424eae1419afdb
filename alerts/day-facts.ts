/**
 * Keeps the day facts (store/day-facts.ts) in the telemetry store current: every site-day that
 * received dust, water or ore readings is computed again from the stored day at most every
 * REFRESH_MS, and written with TelemetryStore.writeDayFacts (a later write replaces the day). So
 * today's figures follow the day, and late data inside the acceptance window re-states a past day.
 * The dashboards read these facts instead of re-deriving the rules in InfluxQL.
 */
import type { Site } from '../core/sites.js'
import type { Logger } from '../core/log.js'
import { MINUTE, SECOND } from '../core/time.js'
import { computeDayFacts } from '../store/day-facts.js'
import type { DayFacts, TelemetryStore } from '../store/telemetry.js'

/** A site-day with new data is computed again at most this often, ms (config alerts.dayFactsRefreshS). */
export const REFRESH_MS = 30 * SECOND
/** After a failed write, try again this much later, ms. */
export const RETRY_MS = MINUTE

export class DayFactsWriter {
  /**
   * Site-days with data not yet in the written facts, by `${site}\0${day}`. The site's config is
   * looked up when the day is computed, not when it is marked: a reload or a device change in
   * between (a replacement chain, a new limit) must count for the day.
   */
  private readonly dirty = new Map<string, { site: string, day: number }>()
  private due = 0
  /** Bumped on each refresh: a device marks its day again after it (alerts/evaluate.ts). */
  generation = 0

  /** `siteOf` looks a site up in the current config (a reload may add or remove sites). */
  constructor (
    private readonly siteOf: (id: string) => Site | undefined,
    private readonly telemetry: Pick<TelemetryStore, 'series' | 'writeDayFacts'>,
    private readonly logger: Logger,
    private readonly refreshMs: number = REFRESH_MS
  ) {}

  /** The Beijing day starting at `day` of `site` has new stored data. */
  mark (site: string, day: number): void {
    const key = `${site}\u0000${day}`
    if (this.dirty.has(key) || this.siteOf(site) === undefined) return
    this.dirty.set(key, { site, day })
  }

  get pendingDays (): number { return this.dirty.size }

  /** Computes and writes the marked days when due at `now` (or at once with `force`); keeps them marked on failure. */
  async refresh (now: number, force = false): Promise<void> {
    if (this.dirty.size === 0 || (!force && now < this.due)) return
    this.due = now + this.refreshMs
    this.generation++
    const days = [...this.dirty]
    this.dirty.clear()
    const facts: DayFacts[] = []
    try {
      for (const [, d] of days) {
        const site = this.siteOf(d.site)
        if (site) facts.push(await computeDayFacts(this.telemetry, site, d.day, now)) // a site removed since is not computed
      }
      await this.telemetry.writeDayFacts(facts)
    } catch (err) {
      for (const [key, d] of days) this.dirty.set(key, d)
      this.due = now + RETRY_MS
      this.logger.warn({ err, days: days.length }, 'day facts not written to the telemetry store; retried later')
    }
  }
}
