/**
 * Test doubles for ingest unit tests: a small registry and in-memory stores that follow
 * the TelemetryStore and RejectStore contracts closely enough for the pipeline, with
 * switches to make writes fail or hang.
 */
import { parseConfig, type Config } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { ManualClock } from '../../../core/clock.js'
import { createMetrics } from '../../../core/metrics.js'
import { silentLogger } from '../../../core/log.js'
import type { Reading } from '../../../core/readings.js'
import type { Reject } from '../../../core/rejects.js'
import type { TelemetryStore, ReadingKey, CountQuery, KeyRange, LatestQuery } from '../../../store/telemetry.js'
import type { RejectStore, RejectQuery, StoredReject } from '../../../store/state.js'
import { createIngest, type Ingest } from '../../../ingest/index.js'

const box = '[ [ 119.90, 30.94 ], [ 119.92, 30.94 ], [ 119.92, 30.96 ], [ 119.90, 30.96 ], [ 119.90, 30.94 ] ]'

/** Site `site-a` has one device of each kind (dust in three units); `site-b` one dust monitor. */
export const TEST_CONFIG_YAML = `
demo: true
sites:
  - id: site-a
    name: A
    province: 浙江省
    licence: L-A
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ ${box} ] }
    devices:
      - { id: DUST-UG, kind: dust, unit: ug/m3, intervalS: 60, password: pw-DUST-UG }
      - { id: DUST-MG, kind: dust, unit: mg/m3, intervalS: 60, password: pw-DUST-MG }
      - { id: DUST-NG, kind: dust, unit: ng/m3, intervalS: 60, password: pw-DUST-NG }
      - { id: WM-1, kind: water, role: fresh_intake, intervalS: 120, password: pw-WM-1-x }
      - { id: UWB-1, kind: locator, role: personnel, intervalS: 5, password: pw-UWB-1-x }
      - { id: TS-1, kind: ore, role: truck_scale, intervalS: 300, password: pw-TS-1-xx }
      - { id: DTU-1, kind: status, intervalS: 300, password: pw-DTU-1-x }
  - id: site-b
    name: B
    province: 甘肃省
    licence: L-B
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ ${box} ] }
    devices:
      - { id: B-DUST, kind: dust, unit: mg/m3, intervalS: 60, password: pw-B-DUST }
`

export function testConfig (ingest: Record<string, unknown> = {}): Config {
  const { config } = parseConfig(TEST_CONFIG_YAML, 'test.yaml', {})
  return { ...config, ingest: { ...config.ingest, ...ingest } } as Config
}

export function testRegistry (): Registry {
  return new Registry(testConfig())
}

/** In-memory TelemetryStore: keeps every batch; `fail` makes the next writes reject, `gate` holds them. */
function keyOf (r: Reading): ReadingKey {
  return { device: r.device, ts: r.ts, seq: r.seq ?? null, entityId: typeof r.values.entityId === 'string' ? r.values.entityId : null }
}

export class MemoryTelemetryStore implements TelemetryStore {
  readonly name = 'memory'
  readonly readings: Reading[] = []
  readonly batches: number[] = []
  /** Writes reject while this is > 0 (decremented per failed write); Infinity fails all. */
  failNext = 0
  /** When set, writes wait for it before completing. */
  gate: Promise<void> | null = null
  writesStarted = 0
  async init (): Promise<void> {}
  async write (batch: readonly Reading[]): Promise<void> {
    this.writesStarted++
    if (this.gate) await this.gate
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('memory store: simulated write failure')
    }
    this.readings.push(...batch.map((r) => structuredClone(r)))
    this.batches.push(batch.length)
  }

  async latest (q: LatestQuery): Promise<Reading[]> {
    const byKey = new Map<string, Reading>()
    for (const r of this.readings) {
      if (r.site !== q.site || (q.kind && r.kind !== q.kind) || (q.device && r.device !== q.device)) continue
      const k = `${r.device}|${r.values.entityId ?? ''}`
      const prev = byKey.get(k)
      if (!prev || prev.ts <= r.ts) byKey.set(k, r)
    }
    return [...byKey.values()]
  }

  async series (): Promise<never[]> { return [] }
  async count (q: CountQuery): Promise<number> {
    return this.readings.filter((r) => (!q.site || r.site === q.site) && (!q.kind || r.kind === q.kind) && (!q.device || r.device === q.device) &&
      (q.from === undefined || r.ts >= q.from) && (q.to === undefined || r.ts < q.to)).length
  }

  async recentKeys (sinceTs: number): Promise<ReadingKey[]> {
    return this.readings.filter((r) => r.ts >= sinceTs).map(keyOf)
  }

  keyQueries = 0
  async keysBetween (q: KeyRange): Promise<ReadingKey[]> {
    this.keyQueries++
    return this.readings.filter((r) => r.device === q.device && r.kind === q.kind && r.ts >= q.from && r.ts <= q.to).map(keyOf)
  }

  async writeAlertEvents (): Promise<void> {}
  async writeDayFacts (): Promise<void> {}
  async dayFacts () { return [] }
  async health () { return { ok: true } }
  async close (): Promise<void> {}
}

/** Wraps a real store; `failNext` makes the next writes fail before reaching it (fault injection). */
export class FaultyStore implements TelemetryStore {
  failNext = 0
  constructor (readonly inner: TelemetryStore) {}
  get name () { return this.inner.name }
  init () { return this.inner.init() }
  async write (batch: readonly Reading[]) {
    if (this.failNext > 0) { this.failNext--; throw new Error('injected: disk unavailable') }
    await this.inner.write(batch)
  }

  latest (q: LatestQuery) { return this.inner.latest(q) }
  series (q: Parameters<TelemetryStore['series']>[0]) { return this.inner.series(q) }
  count (q: CountQuery) { return this.inner.count(q) }
  recentKeys (since: number) { return this.inner.recentKeys(since) }
  keysBetween (q: KeyRange) { return this.inner.keysBetween(q) }
  writeAlertEvents (e: Parameters<TelemetryStore['writeAlertEvents']>[0]) { return this.inner.writeAlertEvents(e) }
  writeDayFacts (f: Parameters<TelemetryStore['writeDayFacts']>[0]) { return this.inner.writeDayFacts(f) }
  dayFacts (q: Parameters<TelemetryStore['dayFacts']>[0]) { return this.inner.dayFacts(q) }
  health () { return this.inner.health() }
  close () { return this.inner.close() }
}

/** In-memory RejectStore with the same failure switch. */
export class MemoryRejectStore implements RejectStore {
  readonly rows: StoredReject[] = []
  failNext = 0
  private id = 0
  async add (rejects: readonly Reject[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('memory reject store: simulated failure')
    }
    for (const r of rejects) this.rows.push({ ...r, id: ++this.id })
  }

  async list (q: RejectQuery): Promise<StoredReject[]> {
    return this.rows.filter((r) => (!q.site || r.site === q.site) && (!q.sites || (r.site !== null && q.sites.includes(r.site))) && (!q.device || r.device === q.device) && (!q.reason || r.reason === q.reason) &&
      (q.before === undefined || r.id < q.before)).reverse().slice(0, q.limit)
  }

  async count (q: { site?: string, reason?: string } = {}): Promise<number> {
    return this.rows.filter((r) => (!q.site || r.site === q.site) && (!q.reason || r.reason === q.reason)).length
  }
}

/** 2025-03-01T10:30:00+08:00: fixtures are stamped around this instant. */
export const T0 = Date.parse('2025-03-01T02:30:00Z')

export function makeIngest<S extends TelemetryStore = MemoryTelemetryStore, R extends RejectStore = MemoryRejectStore> (
  opts: { ingest?: Record<string, unknown>, store?: S, rejects?: R, now?: number } = {}
) {
  const config = testConfig(opts.ingest)
  const store = opts.store ?? (new MemoryTelemetryStore() as TelemetryStore as S)
  const rejects = opts.rejects ?? (new MemoryRejectStore() as RejectStore as R)
  const clock = new ManualClock(opts.now ?? T0)
  const metrics = createMetrics()
  const ingest: Ingest = createIngest({ registry: new Registry(config), store, rejects, config: config.ingest, metrics, logger: silentLogger(), clock })
  return { ingest, store, rejects, clock, metrics, config }
}

/** A metric's value for the given labels (0 when never incremented). */
export async function metricValue (metric: { get(): Promise<{ values: Array<{ value: number, labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get()
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0)
}

export const msg = (topic: string, payload: unknown, deviceId: string | null = null) => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  deviceId,
  receivedAt: T0
})
