/**
 * The InfluxQL behind the panels, over the storage schema of core/kinds.ts. Registry-dependent
 * parts (which meters, which scales, which limits) are spelled out as device-id regexes or
 * per-site subqueries, because one query serves every site of a template variable.
 * docs/dashboards.md explains each computation.
 */
import type { Config } from '../core/config.js'
import { ALERT_EVENTS_MEASUREMENT, DAY_FACTS_MEASUREMENT, MEASUREMENT, type Kind } from '../core/kinds.js'
import type { AlertKind } from '../core/alerts.js'
import { select, as, call, eq, oneOf, noneOf, since, time, tagColumn, TIME_FILTER, type Select } from './influxql.js'
import { COUNTED_FLAGS, isCalendarDayLimit } from '../core/dust.js'
import { acrossSites, dustLimits, oreOutputDevices, waterMeters, PRESENCE_FIELD, DUST_METRIC, onlineWindowS } from './site-facts.js'

/**
 * alert_events (store/influx/line-protocol.ts alertEventToLine): tags site, kind, severity and
 * `to` (the state the transition entered); fields alertId, seq, reason, message, from, value, limit, by.
 */
export const STATE_TAG = 'to'

/** The site template variable, as it appears in queries. */
export const SITE_VAR = '$site'

/** Conditions restricting to the template variable's site (site dashboard) or to none (overview). */
function siteCond (perSite: boolean): string[] {
  return perSite ? [eq('site', SITE_VAR)] : []
}

/** Latest dust value per monitor over the panel's range: one series per device. */
export function dustLatest (): Select {
  return select(as(call('last', DUST_METRIC), DUST_METRIC)).from(MEASUREMENT.dust)
    .where(eq('site', SITE_VAR), TIME_FILTER).groupBy('device')
}

/** Dust mean per Grafana interval per monitor. */
export function dustTrend (): Select {
  return select(as(call('mean', DUST_METRIC), DUST_METRIC)).from(MEASUREMENT.dust)
    .where(eq('site', SITE_VAR), TIME_FILTER).groupBy(time(), 'device').fill('none')
}

/**
 * Worst ratio of a monitor's mean over its limit's averaging window to the limit, per site:
 * one subquery per site and limit (its own monitors, limit and window), counted readings only
 * (core/dust.ts COUNTED_FLAGS). Undefined when no site has a limit for the metric.
 */
export function dustWorstRatio (config: Config, perSite: boolean): Select | undefined {
  const subs = config.sites.flatMap((s) => dustLimits(s).map((l) =>
    select(as(`${call('mean', DUST_METRIC)} / ${l.limit}`, 'ratio')).from(MEASUREMENT.dust)
      .where(eq('site', s.id), ...siteCond(perSite), oneOf('device', l.devices), oneOf('flag', COUNTED_FLAGS), since(l.windowS)).groupBy('site', 'device')))
  if (subs.length === 0) return undefined
  return select(as('max("ratio")', 'dust_ratio')).from(...subs).groupBy('site')
}

/**
 * day_facts (store/influx/line-protocol.ts dayFactsToLine): one point per site and Beijing day,
 * stamped at the day's start, tag site; fields recycledM3, freshM3, dischargeM3, rate (when the
 * day is judged), oreOutputT, dustDayExceedances, to. The alert engine writes them as core/
 * computes them (alerts/day-facts.ts), so the panels show the figures of the alerts and the report.
 */
function dayFacts (expr: string, alias: string, perSite: boolean, sites?: readonly string[]): Select {
  return select(as(expr, alias)).from(DAY_FACTS_MEASUREMENT)
    .where(...siteCond(perSite), ...(sites ? [oneOf('site', sites)] : []), TIME_FILTER).groupBy('site')
}

/** Sites whose meters enter both terms of the recycling rate. */
function sitesWithRate (config: Config): string[] {
  return config.sites.filter((s) => { const m = waterMeters(s); return m.returned.length > 0 && m.other.length > 0 }).map((s) => s.id)
}

/**
 * Water recycling rate of the day in the panel's range (today) per site: the day's rate as
 * core/water.ts computes it (totaliser steps with rollover, reset and backwards glitch; roles by
 * bin; the site's formula), the one the water_recycling_low day verdict and the daily report use.
 * Undefined when no site has meters for both terms.
 */
export function waterRate (config: Config, perSite: boolean): Select | undefined {
  const sites = sitesWithRate(config)
  if (sites.length === 0) return undefined
  return dayFacts(call('last', 'rate'), 'rate', perSite, sites)
}

/** Ore output (t) of the days in the panel's range (today, this month, this year) per site: core/ore.ts output, summed over the days. */
export function oreOutput (config: Config, perSite: boolean): Select | undefined {
  const scales = acrossSites(config, oreOutputDevices)
  if (scales.length === 0) return undefined
  return dayFacts(call('sum', 'oreOutputT'), 'tonnes', perSite)
}

/**
 * GB 3095-2012 daily-mean exceedances of the days in the panel's range per site: monitors whose
 * valid daily mean (core/dust.ts dayMean) is above a calendar-day limit, the count of the
 * dust_exceedance day verdicts and of the daily report's dayExceedances. Undefined when no site
 * has a calendar-day limit.
 */
export function dustDayExceedances (config: Config, perSite: boolean): Select | undefined {
  if (!config.sites.some((s) => s.dust.limits.some(isCalendarDayLimit))) return undefined
  return dayFacts(call('sum', 'dustDayExceedances'), 'exceedances', perSite)
}

/** Devices of `kind` that sent a reading within its online window, per site. */
export function onlineDevices (config: Config, kind: Kind, perSite: boolean): Select {
  const perDevice = select(as(call('count', PRESENCE_FIELD), 'n')).from(MEASUREMENT[kind])
    .where(...siteCond(perSite), since(onlineWindowS(config, kind))).groupBy('site', 'device')
  return select(as('count("n")', 'online')).from(perDevice).groupBy('site')
}

/** Latest position per locator entity of one type (person | vehicle) within the panel's range. */
export function latestPositions (entity: 'person' | 'vehicle'): Select {
  return select(as(call('last', 'lat'), 'lat'), as(call('last', 'lon'), 'lon'), as(call('last', 'speedKmh'), 'speedKmh'))
    .from(MEASUREMENT.locator).where(eq('site', SITE_VAR), eq('entity', entity), TIME_FILTER).groupBy('entityId', 'device')
}

/**
 * Alerts open now per site: firing transitions minus resolved ones over all stored history
 * (an alert fires once and resolves once; acknowledging changes neither count).
 * `kinds` limits to some alert kinds (e.g. device_offline).
 */
export function openAlertCount (alias: string, perSite: boolean, kinds?: readonly AlertKind[]): Select {
  const kindCond = kinds ? [oneOf('kind', kinds)] : []
  const firing = select(as(call('count', 'alertId'), 'n')).from(ALERT_EVENTS_MEASUREMENT)
    .where(...siteCond(perSite), eq(STATE_TAG, 'firing'), ...kindCond).groupBy('site')
  const resolved = select(as(`${call('count', 'alertId')} * -1`, 'n')).from(ALERT_EVENTS_MEASUREMENT)
    .where(...siteCond(perSite), eq(STATE_TAG, 'resolved'), ...kindCond).groupBy('site')
  return select(as('sum("n")', alias)).from(firing, resolved).groupBy('site')
}

/** Alerts that fired within the panel's range per site, leaving out `exceptKinds`. */
export function firedCount (alias: string, perSite: boolean, exceptKinds: readonly AlertKind[]): Select {
  return select(as(call('count', 'alertId'), alias)).from(ALERT_EVENTS_MEASUREMENT)
    .where(...siteCond(perSite), eq(STATE_TAG, 'firing'), noneOf('kind', exceptKinds), TIME_FILTER).groupBy('site')
}

/** Alert transitions per Grafana interval per site (firing only). */
export function firedTimeline (): Select {
  return select(as(call('count', 'alertId'), 'fired')).from(ALERT_EVENTS_MEASUREMENT)
    .where(eq(STATE_TAG, 'firing'), TIME_FILTER).groupBy(time(), 'site').fill(0)
}

/** The alert transitions themselves, newest first, tags as columns (one series, so rows stay in time order). */
export function alertEvents (perSite: boolean, limit: number): Select {
  const cols = [
    ...(perSite ? [] : [tagColumn('site')]),
    tagColumn('kind'), tagColumn('severity'), tagColumn(STATE_TAG),
    '"alertId"', '"message"', '"value"', '"limit"'
  ]
  return select(...cols).from(ALERT_EVENTS_MEASUREMENT).where(...siteCond(perSite), TIME_FILTER).newestFirst().limit(limit)
}
