/**
 * The dust rules every consumer shares (alert engine, restore path, daily report, dashboards):
 * which HJ 212-2017 data flags count, when an average is valid (GB 3095-2012 §8), and which
 * monitors a limit applies to (GB 16297-1996 fugitive limits belong to the site boundary).
 * Pure functions; docs/alerts.md and docs/api.md describe them.
 */
import type { DustArea, DustLimit } from './sites.js'

/**
 * HJ 212-2017 data flags whose values enter averages and may raise exceedances: N (normal) and
 * T (over range: the true value is at least the one reported, domain.md §3 "T is both").
 * F, M, S, D, C, B are device-quality events (data_quality), never concentrations.
 */
export const COUNTED_FLAGS = ['N', 'T'] as const

/** A reading's flag counts (a reading without a flag is N, core/readings.ts). */
export function flagCounts (flag: unknown): boolean {
  return flag === undefined || flag === COUNTED_FLAGS[0] || flag === COUNTED_FLAGS[1]
}

/** GB 3095-2012 §8: an hourly mean needs at least 45 minutes of data. */
export const HOURLY_MIN_MINUTES = 45
/** GB 3095-2012 §8: a 24-hour (calendar-day) mean needs at least 20 valid hourly means. */
export const DAY_MIN_HOURS = 20
/** A limit averaged over this window (s) is judged on the Beijing calendar-day mean, GB 3095-2012 §8. */
export const CALENDAR_DAY_S = 86_400
/**
 * Any other window is a running average, valid when this share of it holds data: the hourly
 * rule of GB 3095-2012 §8 (45 of 60 minutes), applied to GB 16297-1996's 1 h boundary average.
 */
export const MIN_WINDOW_COVERAGE = HOURLY_MIN_MINUTES / 60

/** A running window is kept in at most this many time buckets (alerts/rules/dust-exceedance.ts): a 1 h window of a 1-minute monitor has 1-minute buckets. */
export const RUNNING_WINDOW_BUCKETS = 60

/**
 * Buckets of a running window over `windowS` for a monitor reporting every `intervalS`: no
 * narrower than its reporting interval and at most RUNNING_WINDOW_BUCKETS, so MIN_WINDOW_COVERAGE
 * is counted in the monitor's own reports: 45 of 60 one-minute reports in 1 h, 9 of 12 for a
 * monitor reporting every 5 minutes, the one hourly mean of a monitor that reports hourly.
 */
export function windowBuckets (windowS: number, intervalS: number): number {
  return Math.min(RUNNING_WINDOW_BUCKETS, Math.max(1, Math.floor(windowS / intervalS)))
}

/** A running average over `windowS` can be judged for a monitor reporting every `intervalS` (at least one report per window). */
export function windowFits (windowS: number, intervalS: number): boolean {
  return intervalS <= windowS
}

/** True when the limit is judged on calendar-day means (GB 3095-2012 24-hour limits). */
export function isCalendarDayLimit (limit: Pick<DustLimit, 'windowS'>): boolean {
  return limit.windowS === CALENDAR_DAY_S
}

/** An hourly mean from `minutesWithData` distinct minutes is valid. */
export function hourlyValid (minutesWithData: number): boolean {
  return minutesWithData >= HOURLY_MIN_MINUTES
}

export interface HourMean {
  /** Hour start, epoch ms. */
  t: number
  /** Mean of the hour's counted readings, mg/m³. */
  mean: number
  /** Distinct minutes of the hour holding a counted reading. */
  minutes: number
}

export interface DayMean {
  /** Mean of the valid hourly means, mg/m³ (NaN when there is none). */
  mean: number
  validHours: number
  /** At least DAY_MIN_HOURS valid hourly means: the day has a legal daily mean. */
  valid: boolean
}

/** GB 3095-2012 §8 calendar-day mean: the arithmetic mean of the day's valid hourly means. */
export function dayMean (hours: readonly HourMean[]): DayMean {
  let sum = 0; let n = 0
  for (const h of hours) if (hourlyValid(h.minutes)) { sum += h.mean; n++ }
  return { mean: n > 0 ? sum / n : NaN, validHours: n, valid: n >= DAY_MIN_HOURS }
}

/**
 * The monitor roles each legal standard covers (its clause on where it is measured). A limit
 * that cites one of these may only apply to those roles (core/sites.ts validates it).
 */
export const LEGAL_STANDARD_ROLES: readonly { prefix: string, roles: readonly DustArea[], clause: string }[] = [
  // GB 16297-1996 无组织排放监控浓度限值: highest concentration point outside the site boundary (周界外浓度最高点)
  { prefix: 'GB 16297-1996', roles: ['boundary'], clause: '周界外浓度最高点' },
  // GB 3095-2012 环境空气质量标准: ambient air, i.e. outside the site, measured at its boundary
  { prefix: 'GB 3095-2012', roles: ['boundary'], clause: '环境空气' }
]

/** The roles a legal standard covers, or undefined when the text cites none of them. */
export function legalRoles (standard: string | undefined): readonly DustArea[] | undefined {
  if (standard === undefined) return undefined
  return LEGAL_STANDARD_ROLES.find((s) => standard.startsWith(s.prefix))?.roles
}

/** The roles a limit applies to: its own list, else the roles its legal standard covers, else every role. */
export function limitRoles (limit: Pick<DustLimit, 'roles' | 'standard'>): readonly DustArea[] | undefined {
  return limit.roles ?? legalRoles(limit.standard)
}

/** True when `limit` applies to a monitor of `role` (a monitor without a role gets only limits for every role). */
export function limitApplies (limit: Pick<DustLimit, 'roles' | 'standard'>, role: DustArea | undefined): boolean {
  const roles = limitRoles(limit)
  if (roles === undefined) return true
  return role !== undefined && roles.includes(role)
}

/** A limit with a standard is legal (its text cites it); one without is the site's operational limit. */
export function isLegal (limit: Pick<DustLimit, 'standard'>): boolean {
  return limit.standard !== undefined
}

/** What alert texts and reports quote as the limit's source. */
export const OPERATIONAL_LIMIT_LABEL = { zh: '本矿运营限值', en: 'site operational limit' } as const

export function limitSource (limit: { readonly standard?: string | null }, lang: 'zh' | 'en' = 'zh'): string {
  return limit.standard ?? OPERATIONAL_LIMIT_LABEL[lang]
}
