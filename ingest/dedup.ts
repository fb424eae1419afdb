/**
 * Step 4, dedup: drops readings already stored (or being stored) with the same
 * (device, ts, seq, entityId), e.g. an MQTT redelivery after a lost PUBACK.
 * Memory is bounded: the last `perDevice` keys of each device, oldest forgotten first.
 * A key maps to null once durable, or to the pending write's promise, so a duplicate of
 * a reading still being written waits for that write (and fails with it).
 */
import type { Reading } from '../core/readings.js'
import type { ReadingKey } from '../store/telemetry.js'

/** Pending write (promise) or durable (null). */
type KeyState = Promise<void> | null

/** The identity of a reading within its device: `ts|seq|entityId`. */
export function readingKey (r: Reading): string {
  const entityId = r.values.entityId
  return `${r.ts}|${r.seq ?? ''}|${typeof entityId === 'string' ? entityId : ''}`
}

export interface DedupResult {
  fresh: Reading[]
  /** Readings dropped as duplicates (of stored ones, pending ones, or earlier ones in the same message). */
  duplicates: number
  /** Pending writes the duplicates depend on: the message is durable only when they are. */
  waits: Promise<void>[]
}

export class Dedup {
  private readonly byDevice = new Map<string, Map<string, KeyState>>()

  /** `perDevice`: keys remembered per device (config ingest.dedupPerDevice). */
  constructor (private readonly perDevice: number) {}

  /** Splits a message's readings (all from one device) into fresh ones and duplicates. */
  filter (readings: readonly Reading[]): DedupResult {
    const fresh: Reading[] = []
    const waits: Promise<void>[] = []
    let duplicates = 0
    const first = readings[0]
    if (!first) return { fresh, duplicates, waits }
    const known = this.byDevice.get(first.device)
    const inMessage = new Set<string>()
    for (const r of readings) {
      const key = readingKey(r)
      const state = known?.get(key)
      if (state !== undefined || inMessage.has(key)) {
        duplicates++
        if (state && !waits.includes(state)) waits.push(state)
        continue
      }
      inMessage.add(key)
      fresh.push(r)
    }
    return { fresh, duplicates, waits }
  }

  /** Remembers readings as being written by `pending`. */
  pending (readings: readonly Reading[], pending: Promise<void>): void {
    for (const r of readings) this.remember(r.device, readingKey(r), pending)
  }

  /** Marks readings durable (their write succeeded). */
  durable (readings: readonly Reading[]): void {
    for (const r of readings) {
      const keys = this.byDevice.get(r.device)
      const key = readingKey(r)
      if (keys?.has(key)) keys.set(key, null) // set on an existing key keeps its age
    }
  }

  /** Forgets readings whose write failed (keys not yet durable), so their redelivery is stored. */
  failed (readings: readonly Reading[]): void {
    for (const r of readings) {
      const keys = this.byDevice.get(r.device)
      const key = readingKey(r)
      if (keys?.get(key)) keys.delete(key) // a pending promise, not null (durable)
    }
  }

  /** Seeds from keys already in the store (after a restart), oldest first. */
  seed (keys: readonly ReadingKey[]): void {
    const sorted = [...keys].sort((a, b) => a.ts - b.ts)
    for (const k of sorted) this.remember(k.device, `${k.ts}|${k.seq ?? ''}|${k.entityId ?? ''}`, null)
  }

  /** Keys currently remembered for a device (for tests and metrics). */
  size (device: string): number {
    return this.byDevice.get(device)?.size ?? 0
  }

  private remember (device: string, key: string, state: KeyState): void {
    let keys = this.byDevice.get(device)
    if (!keys) this.byDevice.set(device, keys = new Map())
    keys.set(key, state)
    if (keys.size > this.perDevice) {
      const oldest = keys.keys().next().value as string // Map iterates in insertion order
      keys.delete(oldest)
    }
  }
}
