/**
 * Daily reports forwarded upstream (site side). A site-day's report is computed (the same
 * computation as GET /api/v1/reports/daily, injected by bin/up.ts) and queued:
 *  - when the day is over: `graceS` after its end (readings still arriving count);
 *  - again when late data for an ended day was stored: at most every `refreshS`, and only when the
 *    figures changed (a hash of the report), with the next revision.
 * `<data-dir>/uplink/reports.json` keeps the next day to report per site, the revision and hash
 * sent per site-day, and the days waiting to be computed again, so a restart (or a SIGKILL) neither
 * skips a day that ended while the process was down nor forgets late data it stored. The first
 * start begins with the current day: it does not report the past (a past day that receives late
 * data is reported). docs/uplink.md "Daily reports".
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Reading } from '../core/readings.js'
import { beijingDate, beijingDayStart, DAY, SECOND } from '../core/time.js'
import type { ForwardedDailyReport } from './items.js'

/** The watcher looks for due days this often, ms. */
const TICK_MS = SECOND

export interface ReportForwardingOptions {
  /** Sites whose reports are forwarded (MQTT targets with forward.dailyReports). */
  sites: readonly string[]
  graceMs: number
  refreshMs: number
  /** ingest.maxLateMs: older days get no late data, and are not caught up after a long stop. */
  maxLateMs: number
  /** The site's daily report of a Beijing day (api/reports), or undefined when the site is not configured any more. */
  compute: (site: string, date: string) => Promise<Record<string, unknown> | undefined>
  /** Queues the report on every target forwarding the site; resolves once it is durable in their queues. */
  offer: (r: ForwardedDailyReport) => Promise<void>
  stateFile: string
  clock: Clock
  logger: Logger
}

interface State {
  /** Per site: the start of the first day not yet reported (it has not ended, or not by graceMs). */
  next: Record<string, number>
  /** Per site and date: what was queued last. */
  sent: Record<string, Record<string, { revision: number, hash: string }>>
  /** Ended days to compute again (late data), `${site}\0${dayStart}` → due time. */
  pending: Record<string, number>
}

export class ReportForwarding {
  private state: State
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> = Promise.resolve()
  private closed = false
  private readonly watched: Set<string>

  constructor (private readonly o: ReportForwardingOptions) {
    this.watched = new Set(o.sites)
    this.state = this.load()
    const today = beijingDayStart(o.clock.now())
    for (const s of this.watched) this.state.next[s] ??= today // the first start: from the current day on
    this.save()
  }

  get enabled (): boolean { return this.watched.size > 0 }

  start (): void {
    if (!this.enabled) return
    const run = () => {
      this.running = this.running.then(() => this.runDue()).catch((err: unknown) => this.o.logger.error({ err }, 'uplink: daily report forwarding failed; tried again'))
    }
    this.timer = setInterval(run, TICK_MS)
    this.timer.unref()
    run()
  }

  /** ingest.onStored: readings of an ended, already reported day (late data) have that day computed again. */
  readingsStored (readings: readonly Reading[]): void {
    if (!this.enabled) return
    let changed = false
    const due = this.o.clock.now() + this.o.refreshMs
    for (const r of readings) {
      const next = this.state.next[r.site]
      if (next === undefined) continue
      const day = beijingDayStart(r.ts)
      if (day >= next) continue // not reported yet: it will be when it ends
      const key = `${r.site}\u0000${day}`
      if (this.state.pending[key] !== undefined) continue
      this.state.pending[key] = due
      changed = true
    }
    if (changed) this.save() // before the next tick: a SIGKILL now must not forget the late data
  }

  /** Reports the days that are due at the clock's now (the timer calls it every second; tests call it directly). */
  async runDue (): Promise<void> {
    if (this.closed) return
    const now = this.o.clock.now()
    const oldest = beijingDayStart(now - this.o.maxLateMs)
    // days that ended (by graceMs) since the last tick, or while the process was down
    for (const site of this.watched) {
      let next = Math.max(this.state.next[site]!, oldest)
      while (next + DAY + this.o.graceMs <= now) {
        this.state.pending[`${site}\u0000${next}`] = now
        next += DAY
      }
      if (next !== this.state.next[site]) { this.state.next[site] = next; this.save() }
    }
    for (const [key, due] of Object.entries(this.state.pending).sort((a, b) => a[1] - b[1])) {
      if (due > now || this.closed) continue
      const [site, dayText] = key.split('\u0000') as [string, string]
      const day = Number(dayText)
      if (!this.watched.has(site) || day < oldest) { delete this.state.pending[key]; this.save(); continue }
      // taken off before computing: a reading stored meanwhile marks the day again (computed once more)
      delete this.state.pending[key]
      try {
        await this.report(site, day)
      } catch (err) {
        this.state.pending[key] ??= now + this.o.refreshMs
        this.o.logger.warn({ err, site, date: beijingDate(day) }, 'uplink: daily report not computed or not queued; tried again later')
      }
      this.save()
    }
  }

  /** Computes one site-day; queues it when it is new or its figures changed. */
  private async report (site: string, day: number): Promise<void> {
    const date = beijingDate(day)
    const computedAt = this.o.clock.now()
    const report = await this.o.compute(site, date)
    if (report === undefined) return
    const hash = createHash('sha256').update(JSON.stringify(report)).digest('hex')
    const last = this.state.sent[site]?.[date]
    if (last?.hash === hash) return // late data that changed no figure
    const revision = (last?.revision ?? 0) + 1
    await this.o.offer({ site, date, revision, computedAt, report })
    ;(this.state.sent[site] ??= {})[date] = { revision, hash }
    this.prune(site, computedAt)
    this.o.logger.info({ site, date, revision }, 'uplink: daily report queued')
  }

  /** Forgets what was sent for days no late data can change any more. */
  private prune (site: string, now: number): void {
    const sent = this.state.sent[site]
    if (!sent) return
    const oldest = beijingDate(beijingDayStart(now - this.o.maxLateMs) - DAY)
    for (const date of Object.keys(sent)) if (date < oldest) delete sent[date]
  }

  private load (): State {
    const empty: State = { next: {}, sent: {}, pending: {} }
    if (!existsSync(this.o.stateFile)) return empty
    try {
      const s = JSON.parse(readFileSync(this.o.stateFile, 'utf8')) as Partial<State>
      return { next: s.next ?? {}, sent: s.sent ?? {}, pending: s.pending ?? {} }
    } catch (err) {
      // a torn file (written with rename, so only by a foreign hand): start over from the current day
      this.o.logger.warn({ err, file: this.o.stateFile }, 'uplink: daily report state unreadable; starting from the current day')
      return empty
    }
  }

  private save (): void {
    const tmp = this.o.stateFile + '.tmp'
    writeFileSync(tmp, JSON.stringify(this.state))
    renameSync(tmp, this.o.stateFile)
  }

  /** The file's content, for a backup. */
  snapshotState (): Buffer {
    return Buffer.from(JSON.stringify(this.state))
  }

  async close (): Promise<void> {
    this.closed = true
    if (this.timer !== null) { clearInterval(this.timer); this.timer = null }
    await this.running
  }
}
