/**
 * TelemetryStore: the one interface every telemetry backend implements (DuckDB,
 * InfluxDB v1, InfluxDB v2). test/contract/telemetry-store.ts is its contract suite.
 */
import type { Kind } from '../core/kinds.js'
import type { Reading } from '../core/readings.js'
import type { AlertTransition } from '../core/alerts.js'

export const AGGREGATES = ['mean', 'min', 'max', 'sum', 'count', 'first', 'last'] as const
export type Aggregate = (typeof AGGREGATES)[number]

export interface SeriesQuery {
  site: string
  kind: Kind
  /** A numeric field of the kind (core/kinds.ts). */
  field: string
  /** Limit to one device. */
  device?: string
  /** Limit to one locator entity. */
  entityId?: string
  /**
   * Dust only: aggregate just the readings whose HJ 212-2017 `flag` is one of these
   * (e.g. ['N', 'T'] for values that may count as exceedances). Absent: every reading.
   */
  flags?: readonly string[]
  /** Inclusive start, epoch ms. */
  from: number
  /** Exclusive end, epoch ms. */
  to: number
  /** Bucket width, ms; buckets are aligned to multiples of step since the epoch. */
  stepMs: number
  agg: Aggregate
}

export interface SeriesPoint {
  device: string
  /** Bucket start, epoch ms. */
  t: number
  value: number
}

export interface LatestQuery {
  site: string
  kind?: Kind
  device?: string
}

export interface CountQuery {
  site?: string
  kind?: Kind
  device?: string
  /** Inclusive, epoch ms. */
  from?: number
  /** Exclusive, epoch ms. */
  to?: number
}

/** A reading's identity for duplicate detection. */
export interface ReadingKey {
  device: string
  ts: number
  seq: number | null
  entityId: string | null
}

/** One device's readings of one kind stamped in [from, to] (both inclusive), epoch ms. */
export interface KeyRange {
  device: string
  kind: Kind
  from: number
  to: number
}

/**
 * What core/ computes for one site and Beijing day (store/day-facts.ts computeDayFacts): the figures
 * the alert engine judges, the daily report states and the dashboards show. Written by the alert
 * engine as the day progresses and again when late data changes it; a later write for the same
 * site and day replaces the earlier one (measurement day_facts, timestamp = the day's start).
 */
export interface DayFacts {
  site: string
  /** Beijing day start, epoch ms. */
  day: number
  /** The figures cover [day, to), epoch ms: the whole day, or up to when they were computed. */
  to: number
  /** Volumes of the day per core/water.ts dayVolumes (roles by bin, totaliser steps), m³. */
  recycledM3: number
  freshM3: number
  dischargeM3: number
  /** Recycling rate per the site's formula (core/water.ts recyclingRate); null when not judged (too little water). */
  rate: number | null
  /** Ore output per core/ore.ts (the output scales' summed `tonnes`), t. */
  oreOutputT: number
  /** Monitors whose valid GB 3095-2012 daily mean (core/dust.ts dayMean) is above a calendar-day limit, summed over limits. */
  dustDayExceedances: number
}

export interface DayFactsQuery {
  site: string
  /** Days whose start is in [from, to), epoch ms. */
  from: number
  to: number
}

/** File formats of exports for inspectors (issue 19 point 5). */
export const EXPORT_FORMATS = ['csv', 'parquet'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** What an export holds: the raw readings, or the 1-minute or 1-hour rollups (embedded store, docs/storage.md *Rollups*). */
export const EXPORT_WHATS = ['readings', 'rollup-1m', 'rollup-1h'] as const
export type ExportWhat = (typeof EXPORT_WHATS)[number]

/** One site's readings (or rollups) of one kind in [from, to), epoch ms, as a file. */
export interface ExportQuery {
  site: string
  kind: Kind
  from: number
  to: number
  format: ExportFormat
  /** Default 'readings'. */
  what?: ExportWhat
}

export interface StoreHealth {
  ok: boolean
  detail?: string
  /** Readings waiting in a spool (stores that have one). */
  spooledReadings?: number
  spoolBytes?: number
}

export interface TelemetryStore {
  readonly name: string
  /** Creates tables, checks connectivity. Idempotent. */
  init(): Promise<void>
  /**
   * Writes a batch. When the promise resolves, the batch is durable (committed, or
   * fsynced to a spool that will deliver it). Rejects only when it is not.
   */
  write(batch: readonly Reading[]): Promise<void>
  /** Latest reading per device (per device and entity for locator readings) of a site. */
  latest(q: LatestQuery): Promise<Reading[]>
  /** One aggregated value per device per bucket; buckets without data are omitted. Sorted by device, t. */
  series(q: SeriesQuery): Promise<SeriesPoint[]>
  /** Number of readings stored that match. */
  count(q: CountQuery): Promise<number>
  /** Keys of readings whose ts ≥ sinceTs, to seed duplicate detection after a restart. */
  recentKeys(sinceTs: number): Promise<ReadingKey[]>
  /**
   * Keys of one device's readings in a time range: ingest asks this about a reading older than
   * what it remembers (a late or re-sent reading, up to ingest.maxLateMs old) before storing it.
   * Sees every reading whose write() resolved, also across restarts. May reject with a
   * retryable MW_STORE_UNAVAILABLE when the store cannot answer now.
   */
  keysBetween(q: KeyRange): Promise<ReadingKey[]>
  /** Alert lifecycle events, for dashboards (measurement alert_events). */
  writeAlertEvents(events: readonly AlertTransition[]): Promise<void>
  /** Day facts, for dashboards (measurement day_facts); replaces the stored facts of the same site and day. */
  writeDayFacts(facts: readonly DayFacts[]): Promise<void>
  /** Stored day facts of a site, sorted by day. */
  dayFacts(q: DayFactsQuery): Promise<DayFacts[]>
  health(): Promise<StoreHealth>
  /**
   * Embedded stores only (absent on InfluxDB): writes the readings a query selects to a new file at
   * `path`, ordered by ts, device, with the kind's columns (docs/storage.md); resolves to the row count.
   */
  exportReadings?(q: ExportQuery, path: string): Promise<number>
  /**
   * Stores with rollups only: where series(q) reads, 'raw' or the rollup level that gives the same
   * answer (GET /series states it). Absent: 'raw'.
   */
  seriesSource?(q: SeriesQuery): 'raw' | 'rollup-1m' | 'rollup-1h'
  close(): Promise<void>
}
