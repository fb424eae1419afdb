/**
 * Alert lifecycle: firing → acknowledged (by, note) → resolved, one open alert per
 * (site, kind, subject), severity escalation (warning → alarm re-fires an acknowledged alert).
 * Every transition is stored through AlertStore.transition before anyone hears of it.
 *
 * "No data" is not "resolved": when a device goes offline, every open alert that depends on it
 * is marked (Alert.noDataSince, a transition with reason no_data and the same state) and stays
 * open; when the device reports again the mark is lifted (reason data_back). Only a rule's
 * resolve signal (readings back below the clear level), or an operator's close with a reason,
 * closes the alert.
 *
 * Every transition is also an audit record (action alert.transition, core/audit.ts) stored in
 * the transition's own transaction: who (the token name, or `system`), when (the Clock), what.
 *
 * Maintenance windows (core/schedules.ts): an alert that fires inside a window covering it is
 * stored as usual but its transition's reason is `suppressed:<window>:<rule reason>`, and none of
 * its transitions is delivered while it stays suppressed. When the window is over (release) and
 * the alert is still open, a transition with reason `suppression_ended:<window>` (same state) is
 * stored and delivered. Which alerts are suppressed is derived from their stored transitions at
 * start (restoreSuppressed), so a restart inside or after a window changes nothing.
 */
import { randomUUID } from 'node:crypto'
import { CLOSED_PREFIX, CLOSE_REASONS, DATA_BACK_REASON, NO_DATA_REASON, type Alert, type AlertKind, type AlertState, type AlertTransition, type CloseReason } from '../core/alerts.js'
import { SYSTEM_ACTOR, type NewAuditEntry } from '../core/audit.js'
import type { Clock } from '../core/clock.js'
import { SUPPRESSED_PREFIX, SUPPRESSION_ENDED_PREFIX, suppressionWindow } from '../core/schedules.js'
import { GROUPED_PREFIX } from '../core/storm.js'
import { MinewatchError } from '../core/errors.js'
import type { Registry } from '../core/registry.js'
import type { AlertStore, NewOutboxItem } from '../store/state.js'
import { alertText, textReason, type Language } from './messages.js'
import type { EscalationText } from './escalation.js'
import type { PendingSignal } from './evaluate.js'
import type { FixEvidence } from './rules/signal.js'

export function alertKey (site: string, kind: string, subject: string): string {
  return `${site}\u0000${kind}\u0000${subject}`
}

/** Site-level alerts (no device) computed from the readings of a site's devices of one kind. */
const SITE_LEVEL_SOURCES: Readonly<Partial<Record<AlertKind, string>>> = { water_recycling_low: 'water', over_capacity: 'ore', zone_overcrowded: 'locator' }

/** True when `a`'s evidence comes from `device` (of `kind`, at `site`): its own alerts, or the site-level alert computed from it. */
export function dependsOnDevice (a: Alert, site: string, device: string, kind: string | undefined): boolean {
  if (a.kind === 'device_offline' || a.site !== site) return false
  if (a.device !== null) return a.device === device
  return kind !== undefined && SITE_LEVEL_SOURCES[a.kind] === kind
}

export interface StoredTransition {
  alert: Alert
  transition: AlertTransition
}

export class AlertBook {
  private readonly byKey = new Map<string, Alert>()
  private readonly byId = new Map<string, Alert>()
  /** Open alerts suppressed by a maintenance window: alert id → window id. */
  private readonly suppressed = new Map<string, string>()

  /**
   * `deliveries` builds the outbox items of a stored transition; the store enqueues them in the
   * transition's own transaction (a crash cannot keep one and lose the other).
   */
  constructor (
    private readonly store: AlertStore,
    private readonly registry: Registry,
    private readonly language: Language,
    private readonly clock: Clock,
    private readonly deliveries?: (alert: Alert, t: AlertTransition) => NewOutboxItem[],
    /** The maintenance window covering a new alert at its event time, or null (alerts/schedules.ts). */
    private readonly maintenanceFor?: (a: Alert, at: number) => string | null,
    /** The storm-control group a new alert is held in, or null (alerts/storm.ts). */
    private readonly groupFor?: (a: Alert) => string | null
  ) {}

  /** True while the alert is suppressed by a maintenance window (its transitions are not delivered). */
  isSuppressed (id: string): boolean { return this.suppressed.has(id) }

  /** Which open alerts are suppressed, from each one's stored history (start-up, after restore). */
  async restoreSuppressed (): Promise<void> {
    this.suppressed.clear()
    for (const a of this.byId.values()) {
      const history = await this.store.history(a.id)
      for (let i = history.length - 1; i >= 0; i--) {
        const r = history[i]!.reason
        if (r.startsWith(SUPPRESSION_ENDED_PREFIX)) break
        if (r.startsWith(SUPPRESSED_PREFIX)) { this.suppressed.set(a.id, suppressionWindow(r)!); break }
      }
    }
  }

  /**
   * Releases suppressed alerts whose window no longer covers them at `now` (the clock): each still
   * open one gets a `suppression_ended:<window>` transition in its current state, delivered as usual.
   */
  async release (now: number, stillCovered: (a: Alert, at: number) => string | null): Promise<StoredTransition[]> {
    const out: StoredTransition[] = []
    for (const [id, window] of [...this.suppressed]) {
      const a = this.byId.get(id)
      if (!a) { this.suppressed.delete(id); continue }
      if (stillCovered(a, now) !== null) continue
      this.suppressed.delete(id) // before recording: this transition is delivered
      const next: Alert = { ...a, updatedAt: Math.max(now, a.updatedAt), message: '' }
      try {
        out.push(await this.record(a, next, `${SUPPRESSION_ENDED_PREFIX}${window}`, null, a.state))
      } catch (err) {
        this.suppressed.set(id, window) // not stored: released on a later tick
        throw err
      }
      this.replace(alertKey(a.site, a.kind, a.subject), next)
    }
    return out
  }

  /**
   * Stores an escalation step or reminder of an open, firing alert at `at` (the clock): a
   * transition in the same state with `reason`, delivered as usual. Null when the alert is no
   * longer open and firing (acknowledged, resolved or closed meanwhile).
   */
  async step (id: string, reason: string, at: number, text: EscalationText): Promise<StoredTransition | null> {
    const a = this.byId.get(id)
    if (!a || a.state !== 'firing' || this.suppressed.has(id)) return null
    const next: Alert = { ...a, updatedAt: Math.max(at, a.updatedAt), message: '' }
    const stored = await this.record(a, next, reason, null, a.state, undefined, undefined, text)
    this.replace(alertKey(a.site, a.kind, a.subject), next)
    return stored
  }

  /** An open alert by id. */
  openById (id: string): Alert | undefined { return this.byId.get(id) }

  /** The open alert of (site, kind, subject). */
  openAlert (site: string, kind: AlertKind, subject: string): Alert | undefined { return this.byKey.get(alertKey(site, kind, subject)) }

  /** Records a transition of an open alert in its current state with `reason` (storm control, alerts/storm.ts). */
  async note (id: string, reason: string, at: number): Promise<StoredTransition> {
    const a = this.byId.get(id)
    if (!a) throw new MinewatchError('MW_NOT_FOUND', `open alert ${id}`)
    const next: Alert = { ...a, updatedAt: Math.max(at, a.updatedAt), message: '' }
    const stored = await this.record(a, next, reason, null, a.state)
    this.replace(alertKey(a.site, a.kind, a.subject), next)
    return stored
  }

  /** Loads open alerts (start-up). */
  restore (alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (a.state === 'resolved') continue
      this.byKey.set(alertKey(a.site, a.kind, a.subject), a)
      this.byId.set(a.id, a)
    }
  }

  openAlerts (): IterableIterator<Alert> { return this.byId.values() }
  get openCount (): number { return this.byId.size }

  /** Applies one rule signal; returns the stored transition, or null when it changes nothing. */
  async apply (p: PendingSignal): Promise<StoredTransition | null> {
    const key = alertKey(p.site, p.kind, p.subject)
    const open = this.byKey.get(key)
    const s = p.signal
    if (s.type === 'resolve') {
      if (!open) return null
      // a rule resolves only on readings (evidence), so the evidence is there again
      const next: Alert = { ...open, state: 'resolved', updatedAt: s.at, resolvedAt: s.at, value: s.value, limit: s.limit, message: '', noDataSince: null }
      const stored = await this.record(open, next, s.reason, null, 'resolved')
      this.byKey.delete(key); this.byId.delete(open.id); this.suppressed.delete(open.id)
      return stored
    }
    if (open) {
      if (!(open.severity === 'warning' && s.severity === 'alarm')) return null // already open: no re-fire
      const next: Alert = { ...open, state: 'firing', severity: 'alarm', updatedAt: s.at, value: s.value, limit: s.limit, message: '' }
      const stored = await this.record(open, next, `escalated:${s.reason}`, null, 'firing', undefined, s.evidence)
      this.replace(key, next)
      return stored
    }
    const alert: Alert = {
      id: randomUUID(),
      site: p.site,
      kind: p.kind,
      subject: p.subject,
      device: p.device,
      severity: s.severity,
      state: 'firing',
      firedAt: s.at,
      updatedAt: s.at,
      resolvedAt: null,
      ackedBy: null,
      ackNote: null,
      value: s.value,
      limit: s.limit,
      unit: p.unit,
      standard: p.standard,
      message: '',
      noDataSince: this.offlineSince(p.site, p.device)
    }
    const window = this.maintenanceFor?.(alert, s.at) ?? null
    if (window !== null) this.suppressed.set(alert.id, window) // before recording: its deliveries are left out
    const group = window === null ? this.groupFor?.(alert) ?? null : null // a suppressed alert is not grouped
    const reason = window !== null ? `${SUPPRESSED_PREFIX}${window}:${s.reason}` : group !== null ? `${GROUPED_PREFIX}${group}:${s.reason}` : s.reason
    let stored: StoredTransition
    try {
      stored = await this.record(null, alert, reason, null, 'firing', undefined, s.evidence)
    } catch (err) {
      this.suppressed.delete(alert.id)
      throw err
    }
    this.replace(key, alert)
    return stored
  }

  /** When `device` (or, for a site-level alert, a device it is computed from) went offline, or null while it reports. */
  private offlineSince (site: string, device: string | null): number | null {
    if (device !== null) return this.byKey.get(alertKey(site, 'device_offline', device))?.firedAt ?? null
    return null // a new site-level alert is computed from readings that just arrived
  }

  /**
   * After a device_offline transition: marks the open alerts depending on that device as missing
   * their evidence (it went offline), or lifts the mark (it reports again). Returns the stored
   * transitions (reason no_data / data_back, the alert's state unchanged).
   */
  async evidence (offline: StoredTransition): Promise<StoredTransition[]> {
    const { alert: o, transition: t } = offline
    if (o.kind !== 'device_offline' || o.device === null) return []
    const missing = t.to !== 'resolved'
    if (missing && t.from !== null) return [] // an acknowledgement of the offline alert changes nothing
    const kind = this.registry.device(o.device)?.device.kind
    const out: StoredTransition[] = []
    for (const a of [...this.byId.values()]) {
      if (!dependsOnDevice(a, o.site, o.device, kind)) continue
      const marked = a.noDataSince !== undefined && a.noDataSince !== null
      if (marked === missing) continue
      // a site-level alert stays marked while another of its source devices is still offline
      if (!missing && a.device === null && this.anotherOffline(a, o.device, kind)) continue
      const next: Alert = { ...a, updatedAt: Math.max(t.at, a.updatedAt), noDataSince: missing ? t.at : null, message: '' }
      out.push(await this.record(a, next, missing ? NO_DATA_REASON : DATA_BACK_REASON, null, a.state))
      this.replace(alertKey(a.site, a.kind, a.subject), next)
    }
    return out
  }

  private anotherOffline (a: Alert, except: string, kind: string | undefined): boolean {
    for (const x of this.byId.values()) {
      if (x.kind === 'device_offline' && x.site === a.site && x.device !== null && x.device !== except &&
        this.registry.device(x.device)?.device.kind === kind) return true
    }
    return false
  }

  /** Acknowledges a firing alert at `at` (wall-clock time of the operator's action). */
  async ack (id: string, by: string, note: string, at: number): Promise<StoredTransition> {
    const open = this.byId.get(id)
    if (!open) {
      const known = await this.store.get(id)
      if (!known) throw new MinewatchError('MW_NOT_FOUND', `alert ${id}`)
      throw new MinewatchError('MW_CONFLICT', `alert ${id} is ${known.state}; only a firing alert can be acknowledged`)
    }
    if (open.state !== 'firing') throw new MinewatchError('MW_CONFLICT', `alert ${id} is ${open.state}; only a firing alert can be acknowledged`)
    const next: Alert = { ...open, state: 'acknowledged', updatedAt: Math.max(at, open.updatedAt), ackedBy: by, ackNote: note, message: '' }
    const stored = await this.record(open, next, 'acknowledged', by, 'acknowledged', note)
    this.replace(alertKey(open.site, open.kind, open.subject), next)
    return stored
  }

  /**
   * Closes an open alert by hand at `at` (the clock): a transition to resolved with reason
   * `closed:<reason>`, `by` and the text. `other` needs a text.
   */
  async close (id: string, by: string, reason: CloseReason, text: string, at: number): Promise<StoredTransition> {
    if (!CLOSE_REASONS.includes(reason)) throw new MinewatchError('MW_BAD_REQUEST', `close reason must be one of ${CLOSE_REASONS.join(', ')}, got ${JSON.stringify(reason)}`)
    if (reason === 'other' && text.trim() === '') throw new MinewatchError('MW_BAD_REQUEST', 'closing with reason other (其他) needs a text saying why')
    const open = this.byId.get(id)
    if (!open) {
      const known = await this.store.get(id)
      if (!known) throw new MinewatchError('MW_NOT_FOUND', `alert ${id}`)
      throw new MinewatchError('MW_CONFLICT', `alert ${id} is ${known.state}; only an open alert can be closed`)
    }
    const when = Math.max(at, open.updatedAt)
    const next: Alert = { ...open, state: 'resolved', updatedAt: when, resolvedAt: when, message: '' }
    const stored = await this.record(open, next, `${CLOSED_PREFIX}${reason}`, by, 'resolved', text)
    this.byKey.delete(alertKey(open.site, open.kind, open.subject)); this.byId.delete(open.id); this.suppressed.delete(open.id)
    return stored
  }

  private replace (key: string, a: Alert): void {
    this.byKey.set(key, a)
    this.byId.set(a.id, a)
  }

  private async record (from: Alert | null, next: Alert, reason: string, by: string | null, to: AlertState, note?: string,
    evidence?: readonly FixEvidence[], escalation?: EscalationText): Promise<StoredTransition> {
    next.message = alertText({ alert: next, to, reason: textReason(reason), by, note, evidence, escalation }, this.registry, this.language)
    const transition = await this.store.transition(next, {
      alertId: next.id,
      site: next.site,
      kind: next.kind,
      from: from ? from.state : null,
      to,
      severity: next.severity,
      at: next.updatedAt,
      reason,
      value: next.value,
      limit: next.limit,
      by,
      message: next.message,
      evidence: evidence && evidence.length > 0 ? { beyondM: Math.max(...evidence.map((f) => f.beyondM)), fixes: [...evidence] } : null
    }, this.deliveries ? (stored) => this.deliveries!(next, stored) : undefined, this.auditOf(from, next, reason, by, note))
    return { alert: next, transition }
  }

  /** The audit record of a transition (its seq is added by the store). */
  private auditOf (from: Alert | null, next: Alert, reason: string, by: string | null, note: string | undefined): NewAuditEntry {
    return {
      at: this.clock.now(),
      site: next.site,
      actor: by ?? SYSTEM_ACTOR,
      action: 'alert.transition',
      target: next.id,
      detail: {
        kind: next.kind, subject: next.subject, device: next.device, from: from ? from.state : null, to: next.state,
        severity: next.severity, reason, eventAt: next.updatedAt, value: finiteOrNull(next.value), limit: finiteOrNull(next.limit),
        noDataSince: next.noDataSince ?? null, note: note ?? null
      }
    }
  }
}

function finiteOrNull (v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null
}
