/**
 * InfluxTelemetryStore: telemetry in InfluxDB, v1 API (InfluxDB 1.x) or v2 API
 * (2.x/3.x) by config. One measurement per kind, tags site and device (plus entity
 * and entityId on locator), seq on every point. Reads are InfluxQL on both flavours.
 * Wrap it in SpooledStore (store/spool/) to ride out outages.
 */
import { FIELDS, KINDS, type Kind } from '../../core/kinds.js'
import { MinewatchError, isMinewatchError } from '../../core/errors.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'
import type { Logger } from '../../core/log.js'
import type { Metrics } from '../../core/metrics.js'
import type { CountQuery, DayFacts, DayFactsQuery, KeyRange, LatestQuery, ReadingKey, SeriesPoint, SeriesQuery, StoreHealth, TelemetryStore } from '../telemetry.js'
import { validateBatch } from '../validate.js'
import { validateAlertEvents } from '../validate-events.js'
import { validateCount, validateKeyRange, validateSeries } from '../validate-queries.js'
import { InfluxHttp, type InfluxConfig, type InfluxSeries } from './http.js'
import { NO_SEQ, alertEventToLine, dayFactsToLine, readingsToBody } from './line-protocol.js'
import { validateDayFacts, validateDayFactsQuery } from '../day-facts.js'
import { countStatement, dayFactsStatement, keysBetweenStatement, latestStatements, recentKeysStatement, seriesStatement, ident, type Target } from './influxql.js'

export type { InfluxConfig } from './http.js'

export interface InfluxTelemetryStoreOptions {
  /** store.influx of the config file (core/config.ts influxSchema). */
  config: InfluxConfig
  logger?: Logger
  metrics?: Metrics
  /** Lines per HTTP request; larger batches are sent as several requests in order. */
  maxLinesPerRequest?: number // default 10_000 (InfluxData's advice: 5,000–10,000 per request)
  /**
   * Gzip request bodies larger than this, bytes. Off by default: next to InfluxDB (same host or
   * LAN) gzip costs more CPU than it saves; across a slow link (a site uplink) set e.g. 65_536.
   */
  gzipThresholdBytes?: number
}

/** Tag keys of a reading's series (the rest of a row are fields). */
const TAG_FIELDS: Readonly<Record<Kind, ReadonlySet<string>>> = Object.freeze(
  Object.fromEntries(KINDS.map((k) => [k, new Set(FIELDS[k].filter((f) => f.tag === true).map((f) => f.name))])) as unknown as Record<Kind, ReadonlySet<string>>
)

function column (s: InfluxSeries, name: string): number {
  return s.columns.indexOf(name)
}

/** Write requests one write() keeps in flight (a spool replay sends 50,000 readings as 5 requests). */
const REQUESTS_IN_FLIGHT = 3

/** Rows of `SELECT "seq" … GROUP BY "device", "entityId"` → keys. */
function seriesToKeys (answer: InfluxSeries[] | undefined): ReadingKey[] {
  const out: ReadingKey[] = []
  for (const s of answer ?? []) {
    const device = s.tags?.device ?? ''
    const entityId = s.tags?.entityId ? s.tags.entityId : null
    for (const row of s.values) {
      const seq = row[1]
      out.push({ device, ts: row[0] as number, seq: typeof seq === 'number' && seq !== NO_SEQ ? seq : null, entityId })
    }
  }
  return out
}

export class InfluxTelemetryStore implements TelemetryStore {
  readonly name: string
  private readonly http: InfluxHttp
  private readonly target: Target
  private readonly maxLines: number
  private closed = false

  constructor (private readonly opts: InfluxTelemetryStoreOptions) {
    this.http = new InfluxHttp(opts.config, opts.gzipThresholdBytes)
    this.name = `influx-${opts.config.api}`
    this.target = { db: opts.config.db, rp: opts.config.rp }
    this.maxLines = opts.maxLinesPerRequest ?? 10_000
  }

  private check (): void {
    if (this.closed) throw new MinewatchError('MW_STORE_CLOSED', this.name)
  }

  /** Checks InfluxDB answers; on v1 creates the database when missing (CREATE DATABASE is idempotent). */
  async init (): Promise<void> {
    this.check()
    await this.http.ping()
    if (this.opts.config.api === 'v1') await this.createDatabase()
    this.opts.logger?.info({ store: this.name, influx: this.http.where }, 'influx telemetry store ready')
  }

  private async createDatabase (): Promise<void> {
    try {
      await this.http.query([`CREATE DATABASE ${ident(this.opts.config.db)}`], 'POST')
    } catch (err) {
      // A non-admin user may not create databases: fine when it already exists.
      const status = (isMinewatchError(err) ? (err.details as { status?: number } | undefined)?.status : undefined)
      if (status !== 401 && status !== 403) throw err
      this.opts.logger?.warn({ store: this.name, influx: this.http.where }, 'influx: not allowed to CREATE DATABASE; assuming it exists')
    }
  }

  async write (batch: readonly Reading[]): Promise<void> {
    this.check()
    const end = this.opts.metrics?.storeWriteSeconds.startTimer({ store: this.name })
    try {
      validateBatch(batch)
      // Up to REQUESTS_IN_FLIGHT requests at once, the next chunk encoded meanwhile (InfluxDB
      // works on its own cores). Chunks may land out of order: harmless, as InfluxDB keys a
      // point by series and timestamp, and ingest has already dropped duplicate readings.
      const inFlight: Promise<void>[] = []
      for (let i = 0; i < batch.length; i += this.maxLines) {
        const body = readingsToBody(batch, i, i + this.maxLines)
        if (inFlight.length >= REQUESTS_IN_FLIGHT) await inFlight.shift()
        const p = this.send(body, 'ms')
        p.catch(() => undefined) // awaited below or when its slot is needed
        inFlight.push(p)
      }
      await Promise.all(inFlight)
      end?.()
    } catch (err) {
      this.opts.metrics?.storeWriteErrors.inc({ store: this.name })
      throw err
    }
  }

  private async send (body: string, precision: 'ms' | 'ns'): Promise<void> {
    try {
      await this.http.write(body, precision)
    } catch (err) {
      // v1: the database was dropped (or InfluxDB started on empty data): create it and retry once.
      const e = err as MinewatchError
      const details = e.details as { status?: number, error?: string } | undefined
      if (this.opts.config.api !== 'v1' || details?.status !== 404 || !/database not found/i.test(details.error ?? '')) throw err
      this.opts.logger?.warn({ store: this.name, influx: this.http.where }, 'influx: database not found on write; creating it')
      await this.createDatabase()
      await this.http.write(body, precision)
    }
  }

  async writeAlertEvents (events: readonly AlertTransition[]): Promise<void> {
    this.check()
    validateAlertEvents(events)
    if (events.length === 0) return
    await this.send(events.map(alertEventToLine).join('\n'), 'ns')
  }

  async writeDayFacts (facts: readonly DayFacts[]): Promise<void> {
    this.check()
    validateDayFacts(facts)
    if (facts.length === 0) return
    await this.send(facts.map(dayFactsToLine).join('\n'), 'ms')
  }

  async dayFacts (q: DayFactsQuery): Promise<DayFacts[]> {
    this.check()
    validateDayFactsQuery(q)
    const [answer] = await this.http.query([dayFactsStatement(this.target, q)])
    const out: DayFacts[] = []
    for (const s of answer ?? []) {
      const at = (name: string): number => column(s, name)
      for (const row of s.values) {
        const n = (name: string): number => { const v = row[at(name)]; return typeof v === 'number' ? v : 0 }
        const rate = row[at('rate')]
        out.push({
          site: q.site,
          day: row[0] as number,
          to: n('to'),
          recycledM3: n('recycledM3'),
          freshM3: n('freshM3'),
          dischargeM3: n('dischargeM3'),
          rate: typeof rate === 'number' ? rate : null,
          oreOutputT: n('oreOutputT'),
          dustDayExceedances: n('dustDayExceedances')
        })
      }
    }
    return out.sort((a, b) => a.day - b.day)
  }

  async latest (q: LatestQuery): Promise<Reading[]> {
    this.check()
    if (q.kind !== undefined && !(KINDS as readonly string[]).includes(q.kind)) {
      throw new MinewatchError('MW_BAD_REQUEST', `unknown kind ${JSON.stringify(q.kind)} (expected one of ${KINDS.join(', ')})`)
    }
    const statements = latestStatements(this.target, q)
    const answers = await this.http.query(statements.map((s) => s.q))
    const out: Reading[] = []
    statements.forEach(({ kind }, i) => {
      for (const s of answers[i] ?? []) {
        for (const row of s.values) out.push(this.rowToReading(kind, s, row))
      }
    })
    return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.device.localeCompare(b.device) ||
      String(a.values.entityId ?? '').localeCompare(String(b.values.entityId ?? '')))
  }

  private rowToReading (kind: Kind, s: InfluxSeries, row: unknown[]): Reading {
    const tags = s.tags ?? {}
    const values: Record<string, number | string> = {}
    const tagFields = TAG_FIELDS[kind]
    for (const f of FIELDS[kind]) {
      if (tagFields.has(f.name)) {
        const v = tags[f.name]
        if (v !== undefined && v !== '') values[f.name] = v
        continue
      }
      const i = column(s, f.name)
      const v = i >= 0 ? row[i] : null
      if (v !== null && v !== undefined) values[f.name] = v as number | string
    }
    const r: Reading = { site: tags.site ?? '', device: tags.device ?? '', kind, ts: row[0] as number, values }
    const seqCol = column(s, 'seq')
    const seq = seqCol >= 0 ? row[seqCol] : null
    if (typeof seq === 'number' && seq !== NO_SEQ) r.seq = seq
    return r
  }

  async series (q: SeriesQuery): Promise<SeriesPoint[]> {
    this.check()
    validateSeries(q)
    if (q.flags !== undefined && q.flags.length === 0) return [] // no flag allowed: nothing matches
    const [answer] = await this.http.query([seriesStatement(this.target, q)])
    const out: SeriesPoint[] = []
    for (const s of answer ?? []) {
      const device = s.tags?.device ?? ''
      const v = column(s, 'value')
      for (const row of s.values) {
        const value = row[v]
        if (typeof value === 'number') out.push({ device, t: row[0] as number, value })
      }
    }
    return out.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.t - b.t))
  }

  async count (q: CountQuery): Promise<number> {
    this.check()
    validateCount(q)
    const [answer] = await this.http.query([countStatement(this.target, q)])
    let n = 0
    for (const s of answer ?? []) for (const row of s.values) n += Number(row[1] ?? 0)
    return n
  }

  async recentKeys (sinceTs: number): Promise<ReadingKey[]> {
    this.check()
    if (!Number.isSafeInteger(sinceTs)) throw new MinewatchError('MW_BAD_REQUEST', `sinceTs must be an integer of epoch ms, got ${String(sinceTs)}`)
    const [answer] = await this.http.query([recentKeysStatement(this.target, sinceTs)])
    return seriesToKeys(answer)
  }

  async keysBetween (q: KeyRange): Promise<ReadingKey[]> {
    this.check()
    validateKeyRange(q)
    const [answer] = await this.http.query([keysBetweenStatement(this.target, q)])
    return seriesToKeys(answer)
  }

  async health (): Promise<StoreHealth> {
    if (this.closed) return { ok: false, detail: `${this.name}: closed` }
    try {
      await this.http.ping()
      return { ok: true, detail: `${this.name} ${this.http.where}` }
    } catch (err) {
      return { ok: false, detail: (err as Error).message }
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.http.close()
  }
}
