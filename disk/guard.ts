/**
 * A telemetry store behind a DiskWatch: below the free-space floor a write is refused with
 * MW_DISK_FULL before it reaches the store (so DuckDB or the spool never meet a full disk
 * mid-write), and a write that fails with ENOSPC anyway becomes MW_DISK_FULL and makes the
 * watch read free space again. The caller (ingest) then withholds the PUBACK: the device keeps
 * the reading and sends it again; nothing is acknowledged and lost. Reads pass through.
 */
import { MinewatchError } from '../core/errors.js'
import type { Reading } from '../core/readings.js'
import type { TelemetryStore } from '../store/telemetry.js'
import { isNoSpace, type DiskWatch } from './watch.js'

export function guardStore (inner: TelemetryStore, watch: DiskWatch): TelemetryStore {
  const guarded = async <T>(write: () => Promise<T>): Promise<T> => {
    const refused = watch.refusal()
    if (refused) throw refused
    try {
      return await write()
    } catch (err) {
      if (!isNoSpace(err) || (err instanceof MinewatchError && err.code === 'MW_DISK_FULL')) throw err
      void watch.refresh()
      throw new MinewatchError('MW_DISK_FULL', `${inner.name}: ${(err as Error).message}`, { cause: err, retryAfterMs: 5_000 })
    }
  }
  return {
    name: inner.name,
    init: () => inner.init(),
    write: (batch: readonly Reading[]) => guarded(() => inner.write(batch)),
    writeAlertEvents: (events) => guarded(() => inner.writeAlertEvents(events)),
    writeDayFacts: (facts) => guarded(() => inner.writeDayFacts(facts)),
    dayFacts: (q) => inner.dayFacts(q),
    latest: (q) => inner.latest(q),
    series: (q) => inner.series(q),
    count: (q) => inner.count(q),
    recentKeys: (since) => inner.recentKeys(since),
    keysBetween: (q) => inner.keysBetween(q),
    health: () => inner.health(),
    ...(inner.exportReadings ? { exportReadings: (q, path) => guarded(() => inner.exportReadings!(q, path)) } : {}),
    ...(inner.seriesSource ? { seriesSource: (q) => inner.seriesSource!(q) } : {}),
    close: () => inner.close()
  }
}
