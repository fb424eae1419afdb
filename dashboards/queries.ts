/**
 * The InfluxQL behind the panels, over the storage schema of core/kinds.ts. Registry-dependent
 * parts (which meters, which scales, which limits) are spelled out as device-id regexes or
 * per-site subqueries, because one query serves every site of a template variable.
 * docs/dashboards.md explains each computation.
 */
import type { Config } from '../core/config.js'
import { ALERT_EVENTS_MEASUREMENT, MEASUREMENT, type Kind } from '../core/kinds.js'
import type { AlertKind } from '../core/alerts.js'
import { select, as, call, eq, oneOf, noneOf, since, time, tagColumn, TIME_FILTER, type Select } from './influxql.js'
import { COUNTED_FLAGS } from '../core/dust.js'
import { OUTPUT_FIELD } from '../core/ore.js'
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
 * Water recycling rate over the panel's range (today) per site. Each meter's volume is the sum
 * of its totaliser's non-negative differences (a reset or rollover drops one step instead of
 * counting a negative or huge volume); returned ÷ (returned + other) with `other` by the
 * site's formula. Undefined when the registry has no meters for either term.
 */
export function waterRate (config: Config, perSite: boolean): Select | undefined {
  const returned = acrossSites(config, (s) => waterMeters(s).returned)
  const other = acrossSites(config, (s) => waterMeters(s).other)
  if (returned.length === 0 || other.length === 0) return undefined
  const volume = (ids: string[], alias: string): Select =>
    select(as(call('non_negative_difference', 'totalM3'), alias)).from(MEASUREMENT.water)
      .where(...siteCond(perSite), oneOf('device', ids), TIME_FILTER).groupBy('site', 'device')
  return select(as('sum("returned") / (sum("returned") + sum("other"))', 'rate'))
    .from(volume(returned, 'returned'), volume(other, 'other')).groupBy('site')
}

/** Ore output (t) over the panel's range (today, this month, this year) per site. */
export function oreOutput (config: Config, perSite: boolean): Select | undefined {
  const scales = acrossSites(config, oreOutputDevices)
  if (scales.length === 0) return undefined
  return select(as(call('sum', OUTPUT_FIELD), 'tonnes')).from(MEASUREMENT.ore)
    .where(...siteCond(perSite), oneOf('device', scales), TIME_FILTER).groupBy('site')
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
