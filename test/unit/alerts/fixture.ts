/** Shared by the alert tests: a small site config, real DuckDB stores, and an engine on a ManualClock. */
import { configSchema, type Config, type ConfigInput } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { ManualClock } from '../../../core/clock.js'
import { createMetrics } from '../../../core/metrics.js'
import { silentLogger } from '../../../core/log.js'
import { offsetM, type LonLat } from '../../../core/geo.js'
import type { Reading } from '../../../core/readings.js'
import { MINUTE } from '../../../core/time.js'
import type { Kind } from '../../../core/kinds.js'
import { openStateStore, type StateStore } from '../../../store/duckdb/state.js'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { createAlertEngine, type AlertEngine } from '../../../alerts/index.js'

export const CENTER: LonLat = [119.91, 30.952]
export const T0 = Date.UTC(2025, 2, 1, 0, 0, 0) // 08:00 Beijing

function square (half: number): LonLat[][] {
  const ring = [offsetM(CENTER, -half, -half), offsetM(CENTER, half, -half), offsetM(CENTER, half, half), offsetM(CENTER, -half, half)]
  return [[...ring, ring[0]!]]
}

type Sub = NonNullable<NonNullable<ConfigInput['alerts']>['subscriptions']>[number]

/** One site (1 km square boundary, a 100 m blasting zone) with a dust monitor, water meters, a truck scale and a locator. */
export function makeConfig (subscriptions: Sub[] = [], alerts: Partial<NonNullable<ConfigInput['alerts']>> = {}): Config {
  const dev = (id: string, kind: Kind, extra: Record<string, unknown> = {}) => ({ id, kind, intervalS: 60, password: `pw-${id}-secret`, ...extra })
  return configSchema.parse({
    demo: true,
    sites: [{
      id: 'site-a',
      name: '测试矿山',
      province: '浙江省',
      licence: 'C330000TEST',
      scaleTPerYear: 1_200_000,
      boundary: { type: 'Polygon', coordinates: square(500) },
      zones: [{ id: 'blast-1', name: '爆破警戒区', kind: 'blasting', geometry: { type: 'Polygon', coordinates: square(50) } }],
      devices: [
        dev('D1', 'dust', { unit: 'mg/m3', name: '扬尘监测 1', role: 'boundary' }),
        dev('W-FRESH', 'water', { role: 'fresh_intake' }),
        dev('W-REC', 'water', { role: 'recycled_return' }),
        dev('TS1', 'ore', { role: 'truck_scale', intervalS: 300 }),
        dev('LOC1', 'locator', { role: 'vehicle', intervalS: 5 })
      ]
    }],
    alerts: { subscriptions, retry: { initialMs: 1000, maxMs: 8000 }, ...alerts }
  } satisfies ConfigInput)
}

export function dust (ts: number, tsp: number, extra: Record<string, number | string> = {}): Reading {
  return { site: 'site-a', device: 'D1', kind: 'dust', ts, values: { tsp, pm10: tsp * 0.5, pm25: tsp * 0.2, flag: 'N', ...extra } }
}

export function fix (ts: number, eastM: number, entityId = 'TRK-7', accuracyM = 3): Reading {
  const [lon, lat] = offsetM(CENTER, eastM, 0)
  return { site: 'site-a', device: 'LOC1', kind: 'locator', ts, values: { entity: 'vehicle', entityId, lon, lat, accuracyM } }
}

export interface Rig {
  engine: AlertEngine
  clock: ManualClock
  state: StateStore
  telemetry: DuckDBTelemetryStore
  registry: Registry
  config: Config
  published: { topic: string, payload: string }[]
  /** Writes readings to the telemetry store (durable), then evaluates them, as ingest does. */
  feed(readings: Reading[]): Promise<void>
  close(): Promise<void>
}

/** Opens stores at `dir` (or in memory) and starts an engine. */
export async function startRig (config: Config, opts: { dir?: string, clock?: ManualClock, fetch?: typeof fetch } = {}): Promise<Rig> {
  const clock = opts.clock ?? new ManualClock(T0)
  const state = await openStateStore({ path: opts.dir ? `${opts.dir}/state.duckdb` : ':memory:', rejectsMaxRows: 1000 })
  const telemetry = new DuckDBTelemetryStore({ path: opts.dir ? `${opts.dir}/telemetry.duckdb` : ':memory:' })
  await telemetry.init()
  const registry = new Registry(config)
  const published: { topic: string, payload: string }[] = []
  const engine = createAlertEngine({
    registry, config, alertStore: state.alerts, outbox: state.outbox, telemetry,
    publish: async (topic, payload) => { published.push({ topic, payload }) },
    metrics: createMetrics(), logger: silentLogger(), clock, audit: state.audit, ...(opts.fetch ? { fetch: opts.fetch } : {})
  })
  await engine.start()
  return {
    engine, clock, state, telemetry, registry, config, published,
    async feed (readings) {
      await telemetry.write(readings)
      await engine.evaluate(readings)
    },
    async close () {
      await engine.close()
      await state.close()
      await telemetry.close()
    }
  }
}

/** `n` readings a minute apart from `from`, built by `f`. */
export function minutes (from: number, n: number, f: (i: number, ts: number) => Reading): Reading[] {
  return Array.from({ length: n }, (_, i) => f(i, from + i * MINUTE))
}
