/**
 * Duty rosters and shift handover (issue 16 point 3, 交接班): per site, the shifts of a day in
 * Beijing time (e.g. 白班 08:00–16:00), who is on duty in each, and the channel the incoming
 * shift is told on (a subscription). Set in the config (alerts.rosters).
 *
 * The mine-site rules live here once: which shift is on at a time (shiftAt), who an API
 * account is in the roster and whether they are on duty (dutyOf), and the acknowledging name
 * recorded for them (ackActor). Times reuse core/schedules.ts (HH:MM, overnight, Beijing days).
 */
import { z } from 'zod'
import { minutesOf, windowActive, WEEKDAYS } from './schedules.js'
import { BEIJING_OFFSET_MS, DAY, MINUTE } from './time.js'
import type { AlertState } from './alerts.js'
import type { Severity } from './sites.js'

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/
const ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _, at most 64')

export const rosterPersonSchema = z.strictObject({
  /** Staff number (工号), unique in the roster. */
  id: ID,
  name: z.string().trim().min(1).max(100),
  /** The API token or console account name this person acknowledges with (api.tokens[].name, accounts[].username). */
  user: z.string().min(1).optional()
})

export const shiftSchema = z.strictObject({
  id: ID,
  /** e.g. 白班, 中班, 夜班 */
  name: z.string().trim().min(1).max(50),
  /** Start, Beijing 'HH:MM' (the handover time). */
  from: z.string().regex(HHMM, 'a Beijing time HH:MM, 00:00 to 23:59'),
  /** End, Beijing 'HH:MM' (24:00 for midnight); earlier than `from`: the shift ends the next day. */
  to: z.string().regex(HHMM, 'a Beijing time HH:MM, 00:00 to 24:00'),
  /** Staff ids (people[].id) on duty in this shift. */
  onDuty: z.array(z.string().min(1)).min(1),
  /** The subscription (alerts.subscriptions[].id: webhook, DingTalk or WeCom) the handover report goes to when this shift takes over. */
  channel: z.string().min(1)
}).refine((s) => minutesOf(s.from) !== minutesOf(s.to) && s.from !== '24:00', { message: 'from and to must differ (from 24:00 is not a time of day)', path: ['to'] })

export const rosterSchema = z.strictObject({
  site: z.string().min(1),
  people: z.array(rosterPersonSchema).min(1),
  shifts: z.array(shiftSchema).min(1)
})

export type Roster = z.infer<typeof rosterSchema>
export type Shift = Roster['shifts'][number]
export type RosterPerson = Roster['people'][number]

/** The shift as a daily window (core/schedules.ts windowActive). */
function daily (s: Shift): { weekly: Array<{ days: typeof WEEKDAYS[number][], from: string, to: string }> } {
  return { weekly: [{ days: [...WEEKDAYS], from: s.from, to: s.to }] }
}

/** Problems of the rosters against the config, as [index, path, message]. */
export function rosterProblems (rosters: readonly Roster[], c: { siteIds: ReadonlySet<string>, channels: ReadonlyMap<string, string> }): Array<[number, (string | number)[], string]> {
  const out: Array<[number, (string | number)[], string]> = []
  rosters.forEach((r, i) => {
    if (!c.siteIds.has(r.site)) out.push([i, ['site'], `unknown site '${r.site}'`])
    if (rosters.findIndex((q) => q.site === r.site) < i) out.push([i, ['site'], `site '${r.site}' already has a roster`])
    const ids = new Set<string>()
    const users = new Map<string, string>()
    r.people.forEach((p, j) => {
      if (ids.has(p.id)) out.push([i, ['people', j, 'id'], `duplicate staff id '${p.id}'`])
      ids.add(p.id)
      if (p.user !== undefined && users.has(p.user)) out.push([i, ['people', j, 'user'], `user '${p.user}' is already ${users.get(p.user)!} (one person per account)`])
      if (p.user !== undefined) users.set(p.user, p.id)
    })
    const minute = new Map<number, string>() // minute of the day → shift id covering it
    r.shifts.forEach((s, j) => {
      if (r.shifts.findIndex((x) => x.id === s.id) < j) out.push([i, ['shifts', j, 'id'], `duplicate shift id '${s.id}'`])
      s.onDuty.forEach((p, k) => { if (!ids.has(p)) out.push([i, ['shifts', j, 'onDuty', k], `'${p}' is not a person of this roster (people[].id)`]) })
      const type = c.channels.get(s.channel)
      if (type === undefined) out.push([i, ['shifts', j, 'channel'], `'${s.channel}' is not a subscription id (alerts.subscriptions[].id)`])
      else if (type === 'mqtt') out.push([i, ['shifts', j, 'channel'], `'${s.channel}' is an mqtt subscription: a handover goes to a webhook, DingTalk or WeCom one`])
      const from = minutesOf(s.from); const to = minutesOf(s.to)
      const span = to > from ? to - from : 1440 - from + to
      for (let m = 0; m < span; m++) {
        const at = (from + m) % 1440
        const other = minute.get(at)
        if (other !== undefined && other !== s.id) { out.push([i, ['shifts', j, 'from'], `overlaps shift '${other}' at ${String(Math.floor(at / 60)).padStart(2, '0')}:${String(at % 60).padStart(2, '0')} (one shift on duty at a time)`]); break }
        minute.set(at, s.id)
      }
    })
  })
  return out
}

/** The shift on duty at `t` and when it began (epoch ms), or null when no shift covers `t` (a gap in the roster). */
export function shiftAt (r: Pick<Roster, 'shifts'>, t: number): { shift: Shift, startsAt: number } | null {
  for (const s of r.shifts) {
    if (!windowActive(daily(s), t)) continue
    const day = Math.floor((t + BEIJING_OFFSET_MS) / DAY) * DAY - BEIJING_OFFSET_MS // Beijing midnight of t
    let startsAt = day + minutesOf(s.from) * MINUTE
    if (startsAt > t) startsAt -= DAY // an overnight shift that began yesterday
    return { shift: s, startsAt }
  }
  return null
}

/** The latest shift change at or before `t`: the shift that began then and the one it took over from (null when a gap came before it). */
export function lastChange (r: Pick<Roster, 'shifts'>, t: number): { incoming: Shift, outgoing: { shift: Shift, startsAt: number } | null, at: number } | null {
  const cur = shiftAt(r, t)
  if (cur === null) return null
  return { incoming: cur.shift, at: cur.startsAt, outgoing: shiftAt(r, cur.startsAt - 1) }
}

/** The person an API account is in the roster, and whether they are on duty at `t`. */
export function dutyOf (r: Roster, user: string, t: number): { person: RosterPerson, onDuty: boolean, shift: Shift | null } | null {
  const person = r.people.find((p) => p.user === user)
  if (person === undefined) return null
  const cur = shiftAt(r, t)
  return { person, shift: cur?.shift ?? null, onDuty: cur !== null && cur.shift.onDuty.includes(person.id) }
}

/**
 * The name an acknowledgement is recorded with (Alert.ackedBy, the transition's `by`): the
 * roster person `张三(P001)` when the account is theirs and they are on duty; `张三(P001,非当班)`
 * when they are not (the acknowledgement is taken: an alarm is never left unacknowledged because the
 * wrong shift saw it, but the record says so); the account name when it is in no roster.
 */
export function ackActor (r: Roster | undefined, user: string, t: number): string {
  const d = r === undefined ? null : dutyOf(r, user, t)
  if (d === null) return user
  return d.onDuty ? `${d.person.name}(${d.person.id})` : `${d.person.name}(${d.person.id},非当班)`
}

// ---- the handover report (alerts/handover.ts builds it; the API and the console read it)

export interface HandoverAlert {
  id: string
  kind: string
  subject: string
  device: string | null
  severity: Severity
  /** State at the report's time. */
  state: Exclude<AlertState, 'resolved'>
  firedAt: number
  /** Who acknowledged it (state acknowledged), else null. */
  ackedBy: string | null
  /** The escalation tier reached since it last needed attention (1: not escalated). */
  tier: number
  /** The maintenance window suppressing it, else null. */
  window: string | null
  /** The text it fired with. */
  message: string
}

export interface HandoverShift { id: string, name: string, from: string, to: string, startsAt: number, onDuty: Array<{ id: string, name: string }> }

export interface HandoverReport {
  site: string
  siteName: string
  /** The report's time (epoch ms). */
  at: number
  /** The shift on duty at `at` (the incoming one at a shift change), null in a gap of the roster or without one. */
  shift: HandoverShift | null
  /** The shift before it, null when there is none. */
  previous: HandoverShift | null
  /** Firing, not acknowledged, not suppressed. */
  open: HandoverAlert[]
  acknowledged: HandoverAlert[]
  /** Open and escalated past tier 1 (acknowledged or not). */
  escalated: HandoverAlert[]
  /** Firing, not acknowledged, since before the previous shift began: left unacknowledged through a whole shift. */
  overdue: HandoverAlert[]
  /** Open and inside a maintenance window (recorded, not delivered). */
  suppressed: HandoverAlert[]
  /** Devices offline at `at` (open device_offline alerts). */
  offline: Array<{ device: string, since: number, alertId: string }>
}

/** What the API needs for handover reports (the alert engine implements it). */
export interface HandoverService {
  /** The report of `site` at `at` (epoch ms): MW_NOT_FOUND for an unknown site. */
  handover(site: string, at: number): Promise<HandoverReport>
}

// ---- rosters through the API (alerts/rosters.ts): audited, replayed from the audit log at start

/** Audit actions of roster changes made through the API. */
export const ROSTER_SET_ACTION = 'roster.set'
export const ROSTER_DELETE_ACTION = 'roster.delete'

/** A roster as listed: from the config file or the API and, for API ones, who set it and when. */
export interface RosterEntry extends Roster {
  source: 'config' | 'api'
  setBy: string | null
  setAt: number | null
}

/** What the API needs to manage rosters (the alert engine implements it). */
export interface RosterService {
  rosters(): RosterEntry[]
  /** Validates (MW_BAD_REQUEST), refuses a site whose roster is in the config file (MW_CONFLICT), audit-logs it and applies it at once. */
  setRoster(r: Roster, by: string): Promise<RosterEntry>
  /** MW_NOT_FOUND when the site has none, MW_CONFLICT for a roster from the config file. Audit-logged. */
  deleteRoster(site: string, by: string): Promise<void>
}
