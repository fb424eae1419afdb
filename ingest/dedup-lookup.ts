/**
 * Step 4b, dedup against the store: for readings older than what dedup remembers (a late
 * upload, or a device re-sending after a restart of minewatch), asks the store which are
 * already there: one keysBetween() per message (one device, one kind, its ts range).
 *
 * A store that cannot answer (InfluxDB in an outage: MW_STORE_UNAVAILABLE) must not stop
 * intake: the readings are then treated as new and written (to the spool). InfluxDB keeps one
 * point per series and timestamp, so a re-sent reading overwrites itself instead of adding. After
 * such a failure the store is not asked again for `pauseMs`, so an outage costs one failed
 * request per pause, not one per message.
 */
import { isMinewatchError } from '../core/errors.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Reading } from '../core/readings.js'
import type { TelemetryStore } from '../store/telemetry.js'
import { storedKey } from './dedup.js'

/** How long a store that could not answer is not asked again, ms. */
export const LOOKUP_PAUSE_MS = 5_000 // 5 s

export class DedupLookup {
  private pausedUntil = -Infinity

  constructor (private readonly store: TelemetryStore, private readonly clock: Clock, private readonly logger: Logger) {}

  /**
   * Which of `keys` (of `readings`, all of one device and kind) the store holds; null when
   * it cannot say now. Rejects only on a non-retryable error (a bug), which fails the message.
   */
  async stored (readings: readonly Reading[], keys: readonly string[]): Promise<Set<string> | null> {
    const first = readings[0]
    if (!first || this.clock.now() < this.pausedUntil) return null
    let from = first.ts
    let to = first.ts
    for (const r of readings) {
      if (r.ts < from) from = r.ts
      if (r.ts > to) to = r.ts
    }
    try {
      const found = await this.store.keysBetween({ device: first.device, kind: first.kind, from, to })
      const inStore = new Set<string>()
      if (found.length === 0) return inStore
      const wanted = new Set(keys)
      for (const k of found) {
        const key = storedKey(k)
        if (wanted.has(key)) inStore.add(key)
      }
      return inStore
    } catch (err) {
      if (!isMinewatchError(err) || !err.canRetry()) throw err
      this.pausedUntil = this.clock.now() + LOOKUP_PAUSE_MS
      this.logger.warn({ err, device: first.device, pauseMs: LOOKUP_PAUSE_MS }, 'ingest: the store cannot say which late readings it holds; storing them (InfluxDB overwrites a re-sent point)')
      return null
    }
  }
}
