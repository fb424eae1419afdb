/**
 * Storm control (core/storm.ts, docs/alerts.md "Storm control"): which new alerts are held for a
 * group, when a group's one notification goes out, and which offline alerts a parent's offline
 * alert inhibits. Nothing here stores anything itself: the alert book records each decision as a
 * transition of the alert it is about (reasons `grouped:`, `group_notified:`, `inhibited:`,
 * `inhibition_ended:`), and start-up rebuilds the held groups and inhibitions from those, so a
 * restart neither loses a held alert nor sends a group twice.
 *
 * Timing: a group opens at its first alert's event time and is notified once the clock passes
 * open + windowS. A device's offline alert whose device has a parent is held until its parent
 * would have been detected offline too (the child's last reading + its interval + the parent's
 * offline limit, the longest of its ancestors'), so children that fall silent before their gateway
 * does are still inhibited, whichever reporting intervals they have.
 */
import type { Alert, AlertTransition } from '../core/alerts.js'
import type { Registry } from '../core/registry.js'
import {
  GROUPED_PREFIX, GROUP_NOTIFIED_PREFIX, IMPLICIT_GROUP, INHIBITED_PREFIX, INHIBITION_ENDED_PREFIX,
  groupOfReason, inhibitorOfReason, ungroupedReason
} from '../core/storm.js'
import type { StoredTransition } from './lifecycle.js'

/** What storm control needs from the alert book (alerts/lifecycle.ts AlertBook). */
export interface StormBook {
  openById(id: string): Alert | undefined
  openAlert(site: string, kind: Alert['kind'], subject: string): Alert | undefined
  /** Records a transition in the alert's current state with `reason`. */
  note(id: string, reason: string, at: number): Promise<StoredTransition>
}

interface HeldGroup {
  key: string
  /** Earliest event time a member fired, epoch ms. */
  openedAt: number
  /** Latest time a member must wait for its parent's offline check, epoch ms (0: none). */
  parentDueAt: number
  /** Alert ids in the order they joined. */
  members: Set<string>
}

/** One alert of a group notification: the alert and the rule reason it fired with. */
export interface GroupMember { alert: Alert, reason: string }

/** The group notification being recorded: its leader's transition carries the deliveries. */
export interface GroupSending { key: string, windowS: number, leader: string, members: readonly GroupMember[] }

export class StormControl {
  private readonly groups = new Map<string, HeldGroup>()
  /** Held alert id → its group key and rule reason. */
  private readonly held = new Map<string, { key: string, reason: string }>()
  /** Inhibited alert id → the inhibiting alert, and since when (clock) it is no longer open. */
  private readonly inhibited = new Map<string, { by: string, goneAt: number | null }>()
  /** Set while a group's notification transitions are recorded (read by the deliveries callback). */
  sending: GroupSending | null = null

  constructor (private readonly registry: Registry, private readonly offlineFactor: number) {}

  /** The group a new alert is held in, or null (delivered at once). A pure look-up of the config. */
  groupFor (a: Pick<Alert, 'site' | 'kind' | 'device'>): string | null {
    for (const g of this.registry.config.alerts.groups) {
      if (!g.kinds.includes(a.kind) || (g.sites !== '*' && !g.sites.includes(a.site))) continue
      if (g.by === 'site') return `${g.id}/${a.site}`
      const parent = this.parentOf(a.device)
      if (parent !== undefined) return `${g.id}/${parent}`
    }
    if (a.kind !== 'device_offline') return null
    const parent = this.parentOf(a.device)
    return parent === undefined ? null : `${IMPLICIT_GROUP}/${parent}`
  }

  /** True while the alert's transitions are not delivered (held for its group, or inhibited). */
  isQuiet (id: string): boolean { return this.held.has(id) || this.inhibited.has(id) }

  /** How the deliveries of a transition are built: none, the group notification, or as usual. */
  deliveryOf (alert: Alert, t: AlertTransition): 'quiet' | 'group' | 'normal' {
    const r = t.reason
    if (r.startsWith(GROUP_NOTIFIED_PREFIX)) return this.sending?.leader === alert.id ? 'group' : 'quiet'
    if (r.startsWith(GROUPED_PREFIX) || r.startsWith(INHIBITED_PREFIX)) return 'quiet'
    if (r.startsWith(INHIBITION_ENDED_PREFIX)) return 'normal'
    return this.isQuiet(alert.id) ? 'quiet' : 'normal'
  }

  /** After every stored transition: a held firing joins its group; a resolved alert leaves. */
  observe ({ alert, transition: t }: StoredTransition): void {
    if (t.to === 'resolved') { this.forget(alert.id); return }
    if (t.from === null && t.reason.startsWith(GROUPED_PREFIX)) this.join(alert, groupOfReason(t.reason)!, ungroupedReason(t.reason))
  }

  /** Rebuilds held groups and inhibitions from the open alerts' stored transitions (start-up). */
  async restore (open: readonly Alert[], history: (id: string) => Promise<AlertTransition[]>): Promise<void> {
    this.groups.clear(); this.held.clear(); this.inhibited.clear()
    for (const a of open) {
      if (a.state === 'resolved') continue
      const h = await history(a.id)
      for (let i = h.length - 1; i >= 0; i--) {
        const r = h[i]!.reason
        if (r.startsWith(GROUP_NOTIFIED_PREFIX) || r.startsWith(INHIBITION_ENDED_PREFIX)) break
        if (r.startsWith(INHIBITED_PREFIX)) { this.inhibited.set(a.id, { by: inhibitorOfReason(r)!, goneAt: null }); break }
        if (r.startsWith(GROUPED_PREFIX)) { this.join(a, groupOfReason(r)!, ungroupedReason(r)); break }
      }
    }
  }

  /**
   * At `now` (the clock): every group that is due sends its one notification (members whose
   * parent is offline are inhibited instead), and inhibited alerts whose inhibitor resolved a
   * while ago and that are still open are delivered. Returns the stored transitions; on a store
   * failure what was not recorded stays held and is retried on the next call.
   */
  async flush (now: number, book: StormBook): Promise<StoredTransition[]> {
    const out: StoredTransition[] = []
    try {
      for (const g of [...this.groups.values()]) {
        if (Math.max(g.openedAt + this.windowMs(g.key), g.parentDueAt) > now) continue
        await this.notify(g, now, book, out)
      }
      await this.uninhibit(now, book, out)
    } finally {
      this.sending = null
    }
    return out
  }

  private async notify (g: HeldGroup, now: number, book: StormBook, out: StoredTransition[]): Promise<void> {
    const members: GroupMember[] = []
    for (const id of [...g.members]) {
      const alert = book.openById(id)
      if (alert === undefined) { this.forget(id); continue }
      const by = this.inhibitorOf(alert, book)
      if (by === undefined) { members.push({ alert, reason: this.held.get(id)!.reason }); continue }
      out.push(await book.note(id, `${INHIBITED_PREFIX}${by.id}`, now))
      this.forget(id)
      this.inhibited.set(id, { by: by.id, goneAt: null })
    }
    if (members.length === 0) return
    members.sort((x, y) => x.alert.firedAt - y.alert.firedAt || (x.alert.subject < y.alert.subject ? -1 : 1)) // the same order after a restart
    // the leader first: once its transition (with the one notification) is stored, every member is in it
    this.sending = { key: g.key, windowS: this.windowMs(g.key) / 1000, leader: members[0]!.alert.id, members }
    for (const m of members) {
      out.push(await book.note(m.alert.id, `${GROUP_NOTIFIED_PREFIX}${g.key}`, now))
      this.forget(m.alert.id)
    }
    this.sending = null
  }

  private async uninhibit (now: number, book: StormBook, out: StoredTransition[]): Promise<void> {
    for (const [id, inh] of [...this.inhibited]) {
      const alert = book.openById(id)
      if (alert === undefined) { this.inhibited.delete(id); continue }
      if (book.openById(inh.by) !== undefined) { inh.goneAt = null; continue }
      inh.goneAt ??= now
      // the parent reports again: give the child one offline limit to report too before telling anyone
      if (now < inh.goneAt + this.limitMs(alert.device)) continue
      this.inhibited.delete(id) // before recording: this transition is delivered
      try {
        out.push(await book.note(id, `${INHIBITION_ENDED_PREFIX}${inh.by}`, now))
      } catch (err) {
        this.inhibited.set(id, inh)
        throw err
      }
    }
  }

  private join (a: Alert, key: string, reason: string): void {
    let g = this.groups.get(key)
    if (g === undefined) { g = { key, openedAt: a.firedAt, parentDueAt: 0, members: new Set() }; this.groups.set(key, g) }
    g.openedAt = Math.min(g.openedAt, a.firedAt)
    g.parentDueAt = Math.max(g.parentDueAt, this.parentDueAt(a))
    g.members.add(a.id)
    this.held.set(a.id, { key, reason })
  }

  private forget (id: string): void {
    const h = this.held.get(id)
    if (h !== undefined) {
      this.held.delete(id)
      const g = this.groups.get(h.key)
      g?.members.delete(id)
      if (g !== undefined && g.members.size === 0) this.groups.delete(h.key)
    }
    this.inhibited.delete(id)
  }

  /** When a held offline alert has waited long enough to know whether an ancestor is offline too (0 when it has none). */
  private parentDueAt (a: Alert): number {
    if (a.kind !== 'device_offline' || a.device === null) return 0
    const d = this.registry.device(a.device)?.device
    if (d?.parent === undefined) return 0
    let longest = 0
    for (let p: string | undefined = d.parent, n = 0; p !== undefined && n < 64; p = this.parentOf(p), n++) longest = Math.max(longest, this.limitMs(p))
    const lastSeen = a.firedAt - this.limitMs(a.device)
    return lastSeen + d.intervalS * 1000 + longest
  }

  /** The nearest ancestor's open offline alert, if any. */
  private inhibitorOf (a: Alert, book: StormBook): Alert | undefined {
    if (a.kind !== 'device_offline') return undefined
    for (let p = this.parentOf(a.device), n = 0; p !== undefined && n < 64; p = this.parentOf(p), n++) {
      const o = book.openAlert(a.site, 'device_offline', p)
      if (o !== undefined) return o
    }
    return undefined
  }

  private parentOf (device: string | null): string | undefined {
    return device === null ? undefined : this.registry.device(device)?.device.parent
  }

  /** device_offline's limit for a device (as alerts/rules/device-offline.ts computes it), ms. */
  private limitMs (device: string | null): number {
    const d = device === null ? undefined : this.registry.device(device)?.device
    return d === undefined ? 0 : Math.round(d.intervalS * this.offlineFactor * 1000)
  }

  private windowMs (key: string): number {
    const id = key.slice(0, key.indexOf('/'))
    const g = this.registry.config.alerts.groups.find((x) => x.id === id)
    return g === undefined ? 0 : g.windowS * 1000
  }
}
