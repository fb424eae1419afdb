/**
 * Schedules (issue 16 point 1): recurring production, maintenance and blasting windows of a site,
 * one of its zones or one of its devices, as a weekly calendar in Beijing time (UTC+8), with an
 * owner and a reason. Set in the config (alerts.schedules) or through the API (api/routes/schedules.ts).
 *
 * What a window does is a mine-site rule and lives here, once:
 * - maintenance: alerts it covers (windowCovers) are stored as suppressed and not delivered;
 * - blasting: its zone is a no-entry zone while it is active (alerts/rules/blasting-entry.ts);
 * - production: recorded and listed only (no effect on alerts).
 */
import { z } from 'zod'
import { BEIJING_OFFSET_MS, DAY, MINUTE } from './time.js'
import type { AlertKind } from './alerts.js'

export const SCHEDULE_TYPES = ['production', 'maintenance', 'blasting'] as const
export type ScheduleType = (typeof SCHEDULE_TYPES)[number]

/** ISO weekdays: 1 Monday … 7 Sunday. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/

/** Minutes since 00:00 of 'HH:MM' (24:00 is 1440). */
export function minutesOf (hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

export const weeklySlotSchema = z.strictObject({
  /** Days the window opens on, Beijing calendar (mon … sun). */
  days: z.array(z.enum(WEEKDAYS)).min(1),
  /** Opening time, Beijing 'HH:MM'. */
  from: z.string().regex(HHMM, 'a Beijing time HH:MM, 00:00 to 23:59'),
  /** Closing time, Beijing 'HH:MM' (24:00 for midnight); earlier than `from`: the window closes the next day. */
  to: z.string().regex(HHMM, 'a Beijing time HH:MM, 00:00 to 24:00')
}).refine((s) => minutesOf(s.from) !== minutesOf(s.to) && s.from !== '24:00', { message: 'from and to must differ (from 24:00 is not a time of day)', path: ['to'] })

export const scheduleSchema = z.strictObject({
  /** Unique id, letters, digits, '-' and '_' (it is quoted in the transitions of the alerts it suppresses). */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _, at most 64'),
  type: z.enum(SCHEDULE_TYPES),
  site: z.string().min(1),
  /** A zone of the site (required for blasting): the window covers that zone only. */
  zone: z.string().min(1).optional(),
  /** A device of the site: the window covers that device only. */
  device: z.string().min(1).optional(),
  /** Who is responsible for the window (e.g. 机修班 张工). */
  owner: z.string().trim().min(1).max(200),
  /** Why (e.g. 破碎机检修). */
  reason: z.string().trim().min(1).max(500),
  weekly: z.array(weeklySlotSchema).min(1)
}).refine((s) => s.zone === undefined || s.device === undefined, { message: 'a window covers a zone or a device, not both', path: ['device'] })
  .refine((s) => s.type !== 'blasting' || s.zone !== undefined, { message: 'a blasting window needs the zone it clears (警戒区)', path: ['zone'] })

export type Schedule = z.infer<typeof scheduleSchema>
export type ScheduleInput = z.input<typeof scheduleSchema>

/** What a schedule's references must be checked against: the configured sites with their zones and devices. */
export interface ScheduleSites {
  sites: ReadonlyArray<{ id: string, zones: ReadonlyArray<{ id: string }>, devices: ReadonlyArray<{ id: string }> }>
}

/** Problems with what a schedule names (its site, zone, device), as [path, message]; empty when it is fine. */
export function scheduleProblems (s: Schedule, c: ScheduleSites): Array<[string, string]> {
  const site = c.sites.find((x) => x.id === s.site)
  if (!site) return [['site', `unknown site '${s.site}'`]]
  const out: Array<[string, string]> = []
  if (s.zone !== undefined && !site.zones.some((z) => z.id === s.zone)) out.push(['zone', `'${s.zone}' is not a zone of site '${s.site}'`])
  if (s.device !== undefined && !site.devices.some((d) => d.id === s.device)) out.push(['device', `'${s.device}' is not a device of site '${s.site}'`])
  return out
}

/** ISO weekday (1 Monday … 7 Sunday) of a Beijing day number (days since 1970-01-01, a Thursday). */
function isoWeekday (day: number): number {
  return ((day + 3) % 7 + 7) % 7 + 1
}

type Slot = Schedule['weekly'][number]

/** A slot's minutes and weekdays (bit d for ISO weekday d), parsed once per slot: windowActive runs for every person fix in a blasting zone. */
const compiled = new WeakMap<Slot, { from: number, to: number, days: number }>()

function compile (slot: Slot): { from: number, to: number, days: number } {
  let c = compiled.get(slot)
  if (c === undefined) {
    let days = 0
    for (const d of slot.days) days |= 1 << (WEEKDAYS.indexOf(d) + 1)
    c = { from: minutesOf(slot.from), to: minutesOf(slot.to), days }
    compiled.set(slot, c)
  }
  return c
}

/** True when `t` (epoch ms) falls inside one of the schedule's weekly slots, Beijing time. */
export function windowActive (s: Pick<Schedule, 'weekly'>, t: number): boolean {
  const local = t + BEIJING_OFFSET_MS
  const day = Math.floor(local / DAY)
  const minute = Math.floor((local - day * DAY) / MINUTE)
  const today = 1 << isoWeekday(day)
  const yesterday = 1 << isoWeekday(day - 1)
  for (const slot of s.weekly) {
    const { from, to, days } = compile(slot)
    if (from < to) {
      if ((days & today) !== 0 && minute >= from && minute < to) return true
    } else { // overnight: from that day until `to` the next
      if ((days & today) !== 0 && minute >= from) return true
      if ((days & yesterday) !== 0 && minute < to) return true
    }
  }
  return false
}

/** Alert kinds whose subject starts with the zone id (`{zoneId}` or `{zoneId}:{entityId}`). */
const ZONE_SUBJECT_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(['zone_intrusion', 'zone_overcrowded', 'over_speed', 'zone_overstay', 'blasting_zone_entry'])

/** The zone an alert is about, or null for alerts that are not about a zone. */
export function alertZone (kind: AlertKind, subject: string): string | null {
  if (!ZONE_SUBJECT_KINDS.has(kind)) return null
  const i = subject.indexOf(':')
  return i < 0 ? subject : subject.slice(0, i)
}

/** True when the window is about this alert: same site, and its zone or device if it names one. */
export function windowCovers (s: Pick<Schedule, 'site' | 'zone' | 'device'>, a: { site: string, kind: AlertKind, subject: string, device: string | null }): boolean {
  if (s.site !== a.site) return false
  if (s.device !== undefined) return a.device === s.device
  if (s.zone !== undefined) return alertZone(a.kind, a.subject) === s.zone
  return true
}

/** Transition reason of an alert fired inside a maintenance window: `suppressed:<window id>:<rule reason>`. */
export const SUPPRESSED_PREFIX = 'suppressed:'
/** Transition reason when a suppressed alert's window is over and it is still open (it is delivered then): `suppression_ended:<window id>`. */
export const SUPPRESSION_ENDED_PREFIX = 'suppression_ended:'

/** The window id of a suppression transition reason (`suppressed:` or `suppression_ended:`), or null. */
export function suppressionWindow (reason: string): string | null {
  const rest = reason.startsWith(SUPPRESSED_PREFIX) ? reason.slice(SUPPRESSED_PREFIX.length) : reason.startsWith(SUPPRESSION_ENDED_PREFIX) ? reason.slice(SUPPRESSION_ENDED_PREFIX.length) : null
  if (rest === null) return null
  const i = rest.indexOf(':')
  return i < 0 ? rest : rest.slice(0, i)
}

/** The rule's own reason inside a `suppressed:<id>:<reason>` reason (unchanged otherwise). */
export function unsuppressedReason (reason: string): string {
  if (!reason.startsWith(SUPPRESSED_PREFIX)) return reason
  const rest = reason.slice(SUPPRESSED_PREFIX.length)
  const i = rest.indexOf(':')
  return i < 0 ? '' : rest.slice(i + 1)
}

/** Audit actions of schedule changes made through the API (replayed at start: they are the API's schedules). */
export const SCHEDULE_CREATE_ACTION = 'schedule.create'
export const SCHEDULE_DELETE_ACTION = 'schedule.delete'

/** A schedule as listed: where it comes from (config file or API) and, for API ones, who made it and when. */
export interface ScheduleEntry extends Schedule {
  source: 'config' | 'api'
  createdBy: string | null
  createdAt: number | null
}

/** What the API needs to manage schedules (the alert engine implements it). */
export interface ScheduleService {
  schedules(): ScheduleEntry[]
  /** Validates (MW_BAD_REQUEST), refuses a duplicate id (MW_CONFLICT), audit-logs it and applies it at once. */
  createSchedule(s: Schedule, by: string): Promise<ScheduleEntry>
  /** MW_NOT_FOUND for an unknown id, MW_CONFLICT for a window from the config file. Audit-logged. */
  deleteSchedule(id: string, by: string): Promise<void>
}
