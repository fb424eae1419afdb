/**
 * The write load of the store-level ingest benchmarks (retention, scale30): one awaited write() of
 * `batch` locator readings at a time, as ingest does, straight into a DuckDB telemetry store.
 */
import type { DuckDBTelemetryStore } from '../store/duckdb/telemetry.js'
import type { Reading } from '../core/readings.js'

let seq = 0

/** `n` locator fixes of 300 vehicles on 20 gateways, 10 ms apart from `from`. */
export function fixes (n: number, from: number): Reading[] {
  return Array.from({ length: n }, (_, i) => ({
    site: 'bench', device: `UWB-${(i % 20) + 1}`, kind: 'locator', ts: from + i * 10, seq: seq++,
    values: { entity: 'vehicle', entityId: `T-${i % 300}`, lat: 30.95 + (i % 100) * 1e-5, lon: 119.91, speedKmh: 20, accuracyM: 2 }
  }))
}

/** Readings per second of `writes` awaited writes of `batch` fixes each, starting at `from`. */
export async function writeRate (store: DuckDBTelemetryStore, from: number, writes: number, batch: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < writes; i++) await store.write(fixes(batch, from + i * batch * 10))
  return (writes * batch) / ((performance.now() - t0) / 1000)
}
