/**
 * The alert engine: rules → lifecycle → stores → outbox → delivery. Everything that changes
 * alert state runs on one serial chain (evaluate, tick, ack, start), so transitions are applied
 * in order and an alert is never touched by two things at once. What only reads the telemetry
 * store (the day facts, the whole-day verdicts' queries) runs off it, so readings never wait for it.
 */
import { COMMENT_ACTION, isEvidenceTransition, type Alert, type AlertComment, type AlertKind, type AlertState, type AlertTransition, type CloseReason } from '../core/alerts.js'
import { MinewatchError } from '../core/errors.js'
import type { Reading } from '../core/readings.js'
import type { DeadLetter, DeadLetterQuery, NewOutboxItem, OutboxItem } from '../store/state.js'
import { buildContexts, carryOver, markActive, type Contexts } from './context.js'
import { checkTags, evaluateReading, type PendingSignal, type EvaluateSettings } from './evaluate.js'
import { checkOffline } from './rules/device-offline.js'
import { AlertBook, type StoredTransition } from './lifecycle.js'
import { DeliveryLoop } from './delivery.js'
import { matches, type Subscription } from './notify/subscriptions.js'
import { buildPayload, deliveryId } from './notify/payload.js'
import { restoreFromTelemetry } from './restore.js'
import { DayVerdicts } from './day-verdicts.js'
import { DayFactsWriter } from './day-facts.js'
import { beijingDayStart, DAY, SECOND } from '../core/time.js'
import { resolve as resolveSignal } from './rules/signal.js'
import type { AlertEngine, AlertEngineOptions } from './index.js'
import { ScheduleBook } from './schedules.js'
import { StormControl } from './storm.js'
import { buildGroupPayload } from './notify/group-payload.js'
import { EscalationBook } from './escalation.js'
import { buildHandover, handoverDelivery, HANDOVER_ACTION } from './handover.js'
import { ackActor, lastChange, type HandoverReport, type Roster, type RosterEntry } from '../core/rosters.js'
import { RosterBook } from './rosters.js'
import { SYSTEM_ACTOR } from '../core/audit.js'
import type { Schedule, ScheduleEntry } from '../core/schedules.js'

/** Clock-driven checks run this often once started, ms. */
export const TICK_INTERVAL_MS = 1000 // 1 s
/** The outbox is polled this often for due retries (new transitions are sent at once), ms. */
export const DELIVERY_POLL_MS = 500
/** A handover report looks at the alerts fired this long before its time (and every alert still open), ms. */
export const HANDOVER_LOOKBACK_MS = 31 * DAY
/** At start, the last handover sent is looked for this far back in the audit log, ms. */
const HANDOVER_MARK_LOOKBACK_MS = 8 * DAY
/** Alert events kept for a later retry while the telemetry store refuses them. */
export const MAX_BUFFERED_EVENTS = 10_000

export class Engine implements AlertEngine {
  private readonly ctx: Contexts
  private readonly settings: EvaluateSettings
  private readonly days: DayVerdicts
  private readonly facts: DayFactsWriter
  private readonly book: AlertBook
  private readonly windows: ScheduleBook
  private readonly storm: StormControl
  private readonly escalation: EscalationBook
  private readonly rosterBook: RosterBook
  private readonly delivery: DeliveryLoop
  private readonly subscriptions: readonly Subscription[]
  private readonly subscriptionById: ReadonlyMap<string, Subscription>
  private readonly listeners = new Set<(t: AlertTransition) => void>()
  /** Signals waiting to be applied (kept when the AlertStore fails, retried by the next call). */
  private readonly queue: PendingSignal[] = []
  private events: AlertTransition[] = []
  private readonly counts = new Map<string, number>()
  private chain: Promise<void> = Promise.resolve()
  private busy = 0
  /** Day facts refreshes, in order, off the chain (refreshFacts). */
  private factsChain: Promise<void> = Promise.resolve()
  private factsBusy = 0
  /** Whole-day verdicts, one judgement at a time, queried off the chain (judgeDays). */
  private daysChain: Promise<void> = Promise.resolve()
  private daysNext: Promise<void> | null = null
  private daysBusy = 0
  private timers: NodeJS.Timeout[] = []
  /** Per site with a roster: the start of the last shift whose handover was sent (or that began before the roster did). */
  private readonly handed = new Map<string, number>()
  private closed = false

  constructor (private readonly o: AlertEngineOptions) {
    this.ctx = buildContexts(o.registry, o.config, o.clock.now())
    this.days = new DayVerdicts(this.ctx, o.telemetry, o.config.alerts.dayVerdictWaitS * 1000, o.config.alerts.language)
    this.facts = new DayFactsWriter((id) => this.ctx.sites.get(id)?.site, o.telemetry, o.logger, o.config.alerts.dayFactsRefreshS * SECOND)
    this.windows = new ScheduleBook(o.registry, o.audit, o.clock, o.logger)
    this.settings = {
      stuckAfterS: o.config.alerts.stuckAfterS,
      now: o.clock.now(),
      touchDay: (d, day) => this.days.touch(d.site.site.id, day, d),
      facts: this.facts,
      blasting: (site) => this.windows.blastingOf(site)
    }
    this.subscriptions = o.config.alerts.subscriptions
    this.storm = new StormControl(o.registry, o.config.alerts.offlineFactor)
    this.subscriptionById = new Map(this.subscriptions.map((s) => [s.id, s]))
    this.escalation = new EscalationBook(o.config.alerts.escalation)
    this.rosterBook = new RosterBook(o.registry, o.audit, o.clock, o.logger)
    this.book = new AlertBook(o.alertStore, o.registry, o.config.alerts.language, o.clock, (alert, t) => this.deliveriesFor(alert, t),
      (a, at) => this.windows.maintenanceFor(a, at), (a) => this.storm.groupFor(a))
    this.delivery = new DeliveryLoop({
      outbox: o.outbox,
      subscriptions: this.subscriptions,
      clock: o.clock,
      retry: o.config.alerts.retry,
      fetch: o.fetch ?? globalThis.fetch,
      publish: o.publish,
      metrics: o.metrics,
      logger: o.logger
    })
  }

  /** Runs `fn` after everything queued before it; errors are logged, never break the chain. */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    this.busy++
    const run = this.chain.then(fn)
    this.chain = run.then(() => undefined, () => undefined).finally(() => { this.busy-- })
    return run
  }

  async start (): Promise<void> {
    await this.serial(async () => {
      const open = await this.o.alertStore.open()
      this.book.restore(open)
      await this.windows.load()
      await this.book.restoreSuppressed()
      await this.storm.restore(open, (id) => this.o.alertStore.history(id))
      for (const a of open) this.escalation.restore(a, await this.o.alertStore.history(a.id))
      await this.rosterBook.load()
      await this.loadHandovers()
      for (const a of open) this.count(a.kind, a.state, 1)
      await restoreFromTelemetry(this.ctx, this.o.telemetry, this.o.logger)
      const now = this.o.clock.now()
      // yesterday may have ended while stopped, today ends later: both are judged from the store
      for (const site of this.ctx.sites.keys()) {
        for (const day of [beijingDayStart(now) - DAY, beijingDayStart(now)]) { this.days.touch(site, day); this.facts.mark(site, day) }
      }
      this.closeUnconfigured(now)
      await this.drain()
      this.o.logger.info({ open: this.book.openCount }, 'alert engine started')
    })
    this.timers.push(setInterval(() => { void this.tick() }, TICK_INTERVAL_MS).unref())
    this.timers.push(setInterval(() => { void this.delivery.kick() }, DELIVERY_POLL_MS).unref())
    void this.delivery.kick()
  }

  reload (): Promise<{ closed: number }> {
    return this.serial(async () => {
      const now = this.o.clock.now()
      carryOver(this.ctx, buildContexts(this.o.registry, this.o.config, now))
      this.windows.reload()
      this.escalation.reload(this.o.registry.config.alerts.escalation)
      const closed = this.closeUnconfigured(now)
      await this.drain()
      return { closed }
    })
  }

  /** Open alerts whose device, zone or rule left the configuration are closed rather than left open forever. */
  private closeUnconfigured (now: number): number {
    let closed = 0
    for (const a of [...this.book.openAlerts()]) {
      if (markActive(this.ctx, a.kind, a.site, a.subject, a.severity, a.updatedAt)) continue
      this.queue.push({ signal: resolveSignal(Math.max(now, a.updatedAt), a.value, a.limit, 'no_longer_configured'), site: a.site, kind: a.kind, subject: a.subject, device: a.device, unit: a.unit, standard: a.standard })
      closed++
    }
    return closed
  }

  evaluate (readings: readonly Reading[]): Promise<void> {
    return this.serial(async () => {
      const { ctx, settings, queue } = this
      settings.now = this.o.clock.now()
      for (let i = 0; i < readings.length; i++) evaluateReading(ctx, settings, readings[i]!, queue)
      if (queue.length > 0) await this.drain()
    })
  }

  tick (): Promise<void> {
    if (this.closed) return Promise.resolve()
    const work = this.serial(async () => {
      const now = this.o.clock.now()
      for (const d of this.ctx.devices.values()) {
        const s = checkOffline(d.offline, now)
        if (s !== null) this.queue.push({ signal: s, site: d.site.site.id, kind: 'device_offline', subject: d.id, device: d.id, unit: 's', standard: 'HJ 212-2017(以周期上报判断在线)' })
      }
      checkTags(this.ctx, now, this.queue) // 标签失联 (after the locators: a silent locator explains its tags)
      await this.drain()
      await this.releaseSuppressed(now)
      await this.flushStorm(now)
      await this.escalate(now)
      await this.sendHandovers(now)
      if (this.events.length > 0) await this.flushEvents()
    })
    return work.then(async () => { await Promise.all([this.judgeDays(), this.delivery.kick(), this.refreshFacts(false)]) })
  }

  /**
   * Whole-day verdicts: the days due are taken and their signals applied on the chain, their
   * queries run off it. At start-up under heavy ingest the queries for yesterday took 4.5–15 s, and
   * every batch of readings waiting behind them on the chain stayed in memory (docs/performance.md,
   * round 6). A tick while one runs waits for it and for one more (which sees what came meanwhile).
   */
  private judgeDays (): Promise<void> {
    if (this.closed || this.days.pendingDays === 0) return Promise.resolve()
    if (this.daysNext !== null) return this.daysNext
    this.daysBusy++
    const run = this.daysChain.then(async () => {
      this.daysNext = null
      if (this.closed) return
      const job = this.days.take(this.o.clock.now())
      if (job === null) return
      try {
        await this.days.query(job)
      } finally {
        await this.serial(async () => {
          const { signals, failed } = this.days.settle(job)
          if (failed !== undefined) this.o.logger.error({ err: failed }, 'day verdicts not judged (telemetry query failed); retried on a later tick')
          this.queue.push(...signals)
          await this.drain()
        })
      }
    }).catch((err: unknown) => { this.o.logger.error({ err }, 'day verdicts not judged') })
    this.daysNext = run
    this.daysChain = run.finally(() => { this.daysBusy-- })
    return run
  }

  /** Computes the marked days now, after the readings evaluated so far. */
  refreshDayFacts (): Promise<void> {
    return this.serial(async () => {}).then(() => this.refreshFacts(true))
  }

  /**
   * Day facts are computed off the serial chain, one refresh at a time: they read the telemetry
   * store and write day_facts, never alert state (marks are taken when a refresh starts). Under
   * heavy ingest a refresh's queries took seconds (12 s for 10 sites at 50,000 readings/s on the
   * loaded 2-core machine), and every batch of readings waiting behind it on the chain stayed in
   * memory and its alerts waited too (docs/performance.md, round 6).
   */
  private refreshFacts (force: boolean): Promise<void> {
    if (this.closed) return Promise.resolve() // close() waits for the refresh already running, starts none
    this.factsBusy++
    const run = this.factsChain.then(() => this.facts.refresh(this.o.clock.now(), force))
    this.factsChain = run.then(() => undefined, () => undefined).finally(() => { this.factsBusy-- })
    return run
  }

  /** `by` (the API token or account name) is recorded as the roster person when it is one (core/rosters.ts ackActor). */
  ack (id: string, by: string, note: string): Promise<Alert> {
    return this.serial(async () => {
      const now = this.o.clock.now()
      const site = [...this.book.openAlerts()].find((a) => a.id === id)?.site
      const st = await this.book.ack(id, site === undefined ? by : ackActor(this.rosterOf(site), by, now), note, now)
      await this.publish([st])
      return st.alert
    })
  }

  closeAlert (id: string, by: string, reason: CloseReason, text: string): Promise<Alert> {
    return this.serial(async () => {
      const st = await this.book.close(id, by, reason, text, this.o.clock.now())
      await this.publish([st])
      return st.alert
    })
  }

  /** A comment goes straight to the audit log (alert state is not touched, so it need not wait on the chain). */
  async comment (id: string, by: string, text: string): Promise<AlertComment> {
    const audit = this.o.audit
    if (audit === undefined) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'no audit log is configured for comments')
    if (text.trim() === '') throw new MinewatchError('MW_BAD_REQUEST', 'a comment needs a text')
    const alert = await this.o.alertStore.get(id)
    if (!alert) throw new MinewatchError('MW_NOT_FOUND', `alert ${id}`)
    const [r] = (await audit.append([{ at: this.o.clock.now(), site: alert.site, actor: by, action: COMMENT_ACTION, target: id, detail: { text } }])).filter((x) => x.action === COMMENT_ACTION)
    return { seq: r!.seq, alertId: id, at: r!.at, by, text }
  }

  schedules (): ScheduleEntry[] {
    return this.windows.list()
  }

  /** Serialised with evaluation: a reading is judged with the windows before or after the change, never half. */
  createSchedule (s: Schedule, by: string): Promise<ScheduleEntry> {
    return this.serial(() => this.windows.create(s, by))
  }

  /** Alerts the window suppressed are released by the next tick (if still open). */
  deleteSchedule (id: string, by: string): Promise<void> {
    return this.serial(async () => { await this.windows.delete(id, by) })
  }

  /** Suppressed alerts whose maintenance window is over (or deleted) and that are still open are delivered now. */
  private async releaseSuppressed (now: number): Promise<void> {
    let released: StoredTransition[] = []
    try {
      released = await this.book.release(now, (a, at) => this.windows.maintenanceFor(a, at))
    } catch (err) {
      this.o.logger.error({ err }, 'suppressed alert not released (transition not stored); retried on the next tick')
    }
    await this.publish(released)
  }

  /** Storm control: due groups send their one notification, inhibited alerts whose parent is back and that are still open are delivered. */
  private async flushStorm (now: number): Promise<void> {
    let stored: StoredTransition[] = []
    try {
      stored = await this.storm.flush(now, this.book)
    } catch (err) {
      this.o.logger.error({ err }, 'alert group not notified (transition not stored); retried on the next tick')
    }
    await this.publish(stored)
  }

  /**
   * Escalation steps and reminders due at `now` (the clock), each stored as a transition with its
   * deliveries; several due at once (a minewatch stopped past them) are stored in order.
   */
  private async escalate (now: number): Promise<void> {
    const stored: StoredTransition[] = []
    try {
      for (const id of this.escalation.tracked()) {
        for (let step = this.escalation.due(id, now); step !== null; step = this.escalation.due(id, now)) {
          const st = await this.book.step(id, step.reason, now, step.text)
          if (st === null) break
          this.escalation.observe(st.alert, st.transition)
          stored.push(st)
        }
      }
    } catch (err) {
      this.o.logger.error({ err }, 'escalation step not stored; retried on the next tick')
    }
    await this.publish(stored)
  }

  private rosterOf (site: string): Roster | undefined {
    return this.rosterBook.get(site)
  }

  rosters (): RosterEntry[] { return this.rosterBook.list() }

  /** Serialised with ticks: a shift change is judged with the roster before or after the change, never half. */
  setRoster (r: Roster, by: string): Promise<RosterEntry> {
    return this.serial(() => this.rosterBook.set(r, by))
  }

  deleteRoster (site: string, by: string): Promise<void> {
    return this.serial(() => this.rosterBook.delete(site, by))
  }

  /** The handover report of a site at `at`, from the stored histories of its alerts open at some time up to `at`. */
  async handover (site: string, at: number): Promise<HandoverReport> {
    const s = this.o.registry.site(site)
    if (s === undefined) throw new MinewatchError('MW_NOT_FOUND', `site ${site}`)
    const store = this.o.alertStore
    const candidates = new Map<string, Alert>()
    for (const a of await store.open()) if (a.site === site && a.firedAt <= at) candidates.set(a.id, a)
    let cursor: string | undefined
    do {
      const page = await store.list({ site, from: at - HANDOVER_LOOKBACK_MS, to: at + 1, limit: 500, ...(cursor === undefined ? {} : { cursor }) })
      for (const a of page.items) if (a.resolvedAt === null || a.resolvedAt > at) candidates.set(a.id, a)
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    const alerts = []
    for (const a of candidates.values()) alerts.push({ alert: a, history: await store.history(a.id) })
    return buildHandover({ site, siteName: s.name, roster: this.rosterOf(site), at, alerts })
  }

  /** The last handover sent per site, from the audit log (start-up); a site without one starts from its current shift. */
  private async loadHandovers (): Promise<void> {
    const now = this.o.clock.now()
    for (const r of this.rosterBook.list()) {
      const records = this.o.audit === undefined ? [] : await this.o.audit.list({ site: r.site, action: HANDOVER_ACTION, from: now - HANDOVER_MARK_LOOKBACK_MS, limit: 1000 })
      const last = records.at(-1)?.detail.startsAt
      this.handed.set(r.site, typeof last === 'number' ? last : lastChange(r, now)?.at ?? now)
    }
  }

  /**
   * At each shift change (the clock), the handover report goes to the incoming shift's channel:
   * its outbox item and an audit record (handover.sent, with the shift's start) in one
   * transaction, so it is sent once per shift change, also across a restart; a minewatch stopped
   * over the change sends it at its first tick (only the latest change's).
   */
  private async sendHandovers (now: number): Promise<void> {
    const audit = this.o.audit
    if (audit === undefined) return
    for (const r of this.rosterBook.list()) {
      const change = lastChange(r, now)
      if (change === null) continue
      const last = this.handed.get(r.site)
      if (last === undefined) { this.handed.set(r.site, change.at); continue } // a roster added by a reload: from its next change
      if (change.at <= last) continue
      try {
        const report = await this.handover(r.site, now)
        const sub = this.subscriptionById.get(change.incoming.channel)
        const item = sub === undefined ? undefined : handoverDelivery(sub, report, this.o.config.alerts.language, now)
        const counts = { open: report.open.length, acknowledged: report.acknowledged.length, escalated: report.escalated.length, overdue: report.overdue.length, suppressed: report.suppressed.length, offline: report.offline.length }
        await audit.append([{ at: now, site: r.site, actor: SYSTEM_ACTOR, action: HANDOVER_ACTION, target: r.site, detail: { shift: change.incoming.id, startsAt: change.at, channel: change.incoming.channel, deliveryId: item?.id ?? null, counts } }], item === undefined ? [] : [item])
        this.handed.set(r.site, change.at)
        if (item !== undefined) void this.delivery.kick()
        else this.o.logger.warn({ site: r.site, channel: change.incoming.channel }, 'handover channel is not a subscription read at start; recorded, not sent')
      } catch (err) {
        this.o.logger.error({ err, site: r.site }, 'handover not sent (store failed); retried on the next tick')
      }
    }
  }

  deadLetters (q: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.o.outbox.deadLetters(q)
  }

  async retryDeadLetter (id: string): Promise<OutboxItem | undefined> {
    const item = await this.o.outbox.retryDeadLetter(id, this.o.clock.now())
    if (item !== undefined) void this.delivery.kick()
    return item
  }

  onTransition (listener: (t: AlertTransition) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  async idle (): Promise<void> {
    while (this.busy > 0 || this.factsBusy > 0 || this.daysBusy > 0 || this.delivery.busy) {
      await this.chain
      await this.daysChain
      await this.factsChain
      await this.delivery.idle()
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    await this.chain
    await this.daysChain // a judgement already running is applied, none starts
    await this.factsChain
    await this.delivery.close()
  }

  /** Open alerts held in memory (for diagnostics and tests). */
  openAlerts (): Alert[] {
    return [...this.book.openAlerts()]
  }

  /** Applies queued signals in order; stops at the first store failure and keeps the rest queued. */
  private async drain (): Promise<void> {
    const stored: StoredTransition[] = []
    let i = 0
    try {
      for (; i < this.queue.length; i++) {
        const st = await this.book.apply(this.queue[i]!)
        if (st) {
          this.storm.observe(st)
          this.escalation.observe(st.alert, st.transition)
          stored.push(st)
          for (const e of await this.book.evidence(st)) { this.escalation.observe(e.alert, e.transition); stored.push(e) }
        }
      }
    } catch (err) {
      this.o.logger.error({ err, waiting: this.queue.length - i }, 'alert transition not stored; retried on the next evaluate or tick')
    } finally {
      this.queue.splice(0, i)
    }
    await this.publish(stored)
  }

  /**
   * The outbox items of a transition (stored with it): one per matching subscription, and one per
   * escalation receiver the alert's policy addresses it to (alerts/escalation.ts), each once.
   */
  private deliveriesFor (alert: Alert, t: AlertTransition): NewOutboxItem[] {
    const items: NewOutboxItem[] = []
    if (this.book.isSuppressed(alert.id)) return items // inside a maintenance window: stored, not delivered
    const storm = this.storm.deliveryOf(alert, t) // held for a group, or inhibited: stored, not delivered (alerts/storm.ts)
    if (storm === 'quiet') return items
    const now = this.o.clock.now()
    if (storm === 'group') {
      const g = this.storm.sending!
      for (const sub of this.subscriptions) {
        const members = g.members.filter((m) => matches(sub, m.alert.site, m.alert.kind, m.alert.severity))
        if (members.length === 0) continue
        const id = deliveryId(alert.id, t.seq, sub.id)
        items.push({ id, subscription: sub.id, transitionSeq: t.seq, dueAt: now, payload: buildGroupPayload(sub, id, { key: g.key, windowS: g.windowS, members }, alert, t, this.o.registry, this.o.config.alerts.language) })
      }
      return items
    }
    const to = new Set<Subscription>()
    for (const sub of this.subscriptions) if (!sub.escalationOnly && matches(sub, t.site, t.kind, alert.severity)) to.add(sub)
    for (const id of this.escalation.receivers(alert, t)) {
      const sub = this.subscriptionById.get(id)
      if (sub !== undefined) to.add(sub) // a receiver added by a reload is delivered to after a restart (subscriptions are read at start)
    }
    const text = this.escalation.textOf(alert.id, t)
    for (const sub of to) {
      if (isEvidenceTransition(t) && !sub.evidenceEvents) continue
      const id = deliveryId(alert.id, t.seq, sub.id)
      items.push({ id, subscription: sub.id, transitionSeq: t.seq, dueAt: now, payload: buildPayload(sub, id, alert, t, this.o.registry, this.o.config.alerts.language, text) })
    }
    return items
  }

  /** After transitions (and their deliveries) are stored: delivery, listeners, metrics, dashboard events. */
  private async publish (stored: readonly StoredTransition[]): Promise<void> {
    // Deliveries first: they are already in the outbox; the dashboard events below share the
    // telemetry store's write queue with ingest's batches, and a webhook must not wait behind them.
    if (stored.length > 0 && this.subscriptions.length > 0) void this.delivery.kick()
    for (const st of stored) {
      const { alert, transition: t } = st
      this.storm.observe(st)
      this.escalation.observe(alert, t) // already seen for those of drain() and escalate() (ignored then)
      this.o.metrics.alertTransitions.inc({ kind: t.kind, to: t.to })
      if (t.from) this.count(t.kind, t.from, -1)
      this.count(t.kind, t.to, 1)
      this.events.push(t)
      for (const l of this.listeners) {
        try { l(t) } catch (err) { this.o.logger.error({ err }, 'alert transition listener threw') }
      }
    }
    if (this.events.length > 0) await this.flushEvents()
  }

  private async flushEvents (): Promise<void> {
    try {
      await this.o.telemetry.writeAlertEvents(this.events)
      this.events = []
    } catch (err) {
      if (this.events.length > MAX_BUFFERED_EVENTS) this.events = this.events.slice(-MAX_BUFFERED_EVENTS)
      this.o.logger.warn({ err, buffered: this.events.length }, 'alert events not written to the telemetry store; retried later')
    }
  }

  private count (kind: AlertKind, state: AlertState, delta: number): void {
    const key = `${kind}\u0000${state}`
    const n = (this.counts.get(key) ?? 0) + delta
    this.counts.set(key, n)
    this.o.metrics.alerts.set({ kind, state }, n)
  }
}
