/**
 * Grafana InfluxDB (InfluxQL) query targets and the provisioned datasource they use.
 * The foundation SDK has no InfluxDB dataquery type, so this builds the JSON Grafana's
 * InfluxDB plugin stores for a raw query.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog'
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common'
import type { Select } from './influxql.js'

/** The datasource uid fixed in dashboards/provisioning/datasources/minewatch.yaml. */
export const DATASOURCE_UID = 'minewatch-influx'
/** Grafana's plugin id for InfluxDB. */
export const DATASOURCE_TYPE = 'influxdb'
/** Every panel and target points here. */
export const DATASOURCE: DataSourceRef = Object.freeze({ type: DATASOURCE_TYPE, uid: DATASOURCE_UID })

/** The stored form of a raw InfluxQL target in a Grafana panel. */
export interface InfluxQLTarget {
  refId: string
  datasource: DataSourceRef
  /** InfluxQL text with Grafana template variables. */
  query: string
  rawQuery: true
  /** time_series: one frame per series; table: one frame, tags as columns. */
  resultFormat: 'time_series' | 'table'
  /** Series naming pattern ($tag_<name>, $col, $m); time_series only. */
  alias?: string
}

export interface TargetOptions {
  format?: 'time_series' | 'table'
  alias?: string
}

/** A builder of one raw InfluxQL target, usable with PanelBuilder.withTarget(). */
export function influx (refId: string, query: Select | string, opts: TargetOptions = {}): cog.Builder<cog.Dataquery> {
  if (!/^[A-Z]$/.test(refId)) throw new Error(`refId must be one capital letter, got ${JSON.stringify(refId)}`)
  const target: InfluxQLTarget = {
    refId,
    datasource: DATASOURCE,
    query: query.toString(),
    rawQuery: true,
    resultFormat: opts.format ?? 'time_series'
  }
  if (opts.alias !== undefined) target.alias = opts.alias
  return { build: () => ({ ...target, datasource: { ...DATASOURCE } }) as unknown as cog.Dataquery }
}
