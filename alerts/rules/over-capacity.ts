/**
 * over_capacity (超能力/超量开采): ore output against the licensed production scale
 * (site.scaleTPerYear, 采矿许可证生产规模). domain.md §6:
 *  - month-to-date above its pro-rata share (scale ÷ 12) by more than ore.monthlyMargin → warning;
 *  - year-to-date above the annual scale → alarm (escalates an open warning).
 * Months and years are Beijing calendar ones, by the readings' own timestamps. Output counts the
 * site's truck scales (ore leaving the pit, one net weight per load) when it has any, otherwise its
 * belt scales (the engine picks the devices). The warning resolves when a new month starts with
 * the year still within the licence; the alarm when a new year starts.
 */
import { beijingMonthStart, beijingYearStart } from '../../core/time.js'
import { fire, resolve, NO_SIGNAL, type Signal } from './signal.js'
import { monthlyLimitT } from '../../core/ore.js'

export interface OreState {
  readonly scaleTPerYear: number
  readonly monthlyMargin: number
  month: number
  year: number
  /** Tonnes in the current Beijing month / year. */
  mtd: number
  ytd: number
  /** 0 none, 1 warning open, 2 alarm open. */
  level: number
  lastTs: number
}

export function createOreState (scaleTPerYear: number, monthlyMargin: number): OreState {
  return { scaleTPerYear, monthlyMargin, month: NaN, year: NaN, mtd: 0, ytd: 0, level: 0, lastTs: -Infinity }
}

/** Month-to-date tonnes above which the warning fires. */
export function monthlyLimit (s: OreState): number {
  return monthlyLimitT(s.scaleTPerYear, s.monthlyMargin)
}

/** Adds `tonnes` produced at ts (a late reading of the current month or year still counts). */
export function evaluateOre (s: OreState, tonnes: number, ts: number): Signal | null {
  if (!(tonnes > 0)) return NO_SIGNAL // zero, negative (data_quality) or NaN: nothing produced
  const month = beijingMonthStart(ts)
  let signal: Signal | null = NO_SIGNAL
  if (Number.isNaN(s.month) || month > s.month) {
    const year = beijingYearStart(ts)
    if (Number.isNaN(s.year) || year > s.year) { s.year = year; s.ytd = 0 }
    s.month = month; s.mtd = 0
    signal = rollover(s, ts)
  } else if (month < s.month) {
    // an earlier month: counts for the year when it is the same year, never for this month
    if (beijingYearStart(ts) === s.year) s.ytd += tonnes
    return check(s, ts)
  }
  s.mtd += tonnes; s.ytd += tonnes
  if (ts > s.lastTs) s.lastTs = ts
  return check(s, ts) ?? signal
}

/** A new month or year began: an open alert whose reason no longer holds resolves. */
function rollover (s: OreState, at: number): Signal | null {
  if (s.level === 0) return NO_SIGNAL
  if (s.ytd > s.scaleTPerYear) return NO_SIGNAL // still over the year's licence
  s.level = 0
  return resolve(at, s.mtd, monthlyLimit(s), 'new_period')
}

function check (s: OreState, at: number): Signal | null {
  if (s.ytd > s.scaleTPerYear && s.level < 2) {
    s.level = 2
    return fire(at, 'alarm', s.ytd, s.scaleTPerYear, 'year_to_date_above_licence')
  }
  const lim = monthlyLimit(s)
  if (s.mtd > lim && s.level < 1) {
    s.level = 1
    return fire(at, 'warning', s.mtd, lim, 'month_to_date_above_pro_rata')
  }
  return NO_SIGNAL
}
