/**
 * Step 4, dedup: drops readings already stored (or being stored) with the same
 * (device, ts, seq, entityId), e.g. an MQTT redelivery after a lost PUBACK, or a device
 * re-sending what it sent before a restart of minewatch.
 * Memory is bounded: the last `perDevice` keys of each device, oldest forgotten first.
 * Each device has a floor: every reading stored with ts ≥ floor is remembered. A reading
 * below it that is not remembered is `unsure`, and ingest asks the store about it
 * (dedup-lookup.ts). The floor starts where the restart seed starts and rises past the ts
 * of every key forgotten, so live readings never need the store.
 *
 * Hot path (every reading): a key is built once per reading, and all keys of one message
 * share one token that its write settles once (durable, or failed = forgotten), so no
 * per-reading work happens after the write.
 */
import type { Reading } from '../core/readings.js'
import type { ReadingKey } from '../store/telemetry.js'

/** The write a group of keys waits on: pending (promise), durable (null), or failed. */
interface Token { promise: Promise<void> | null, failed: boolean }

const DURABLE: Token = Object.freeze({ promise: null, failed: false }) as Token

/** The identity of a reading within its device: `ts|seq|entityId`. */
export function readingKey (r: Reading): string {
  const entityId = r.values.entityId
  return `${r.ts}|${r.seq ?? ''}|${typeof entityId === 'string' ? entityId : ''}`
}

/** readingKey() of a key the store returned. */
export function storedKey (k: ReadingKey): string {
  return `${k.ts}|${k.seq ?? ''}|${k.entityId ?? ''}`
}

/** The ts a key starts with. */
function keyTs (key: string): number {
  return parseInt(key, 10) // the digits before the first '|' (ts is a non-negative integer), without slicing a string
}

interface DeviceKeys {
  keys: Map<string, Token>
  /** Every reading of the device stored with ts ≥ floor is in keys. */
  floor: number
}

export interface DedupResult {
  fresh: Reading[]
  /** Keys of `fresh`, in the same order (pass them to pending()). */
  keys: string[]
  /** Readings below the device's floor and not remembered: the store must say whether they are new. */
  unsure: Reading[]
  /** Keys of `unsure`, in the same order. */
  unsureKeys: string[]
  /** Readings dropped as duplicates (of stored ones, pending ones, or earlier ones in the same message). */
  duplicates: number
  /** Pending writes the duplicates depend on: the message is durable only when they are. */
  waits: Promise<void>[]
}

export class Dedup {
  private readonly byDevice = new Map<string, DeviceKeys>()

  /**
   * `perDevice`: keys remembered per device (config ingest.dedupPerDevice). `floor`: readings
   * stamped before it may be stored without being remembered (seed() sets it after a restart).
   */
  constructor (private readonly perDevice: number, private floor = -Infinity) {}

  /** Splits a message's readings (all from one device) into fresh ones and duplicates. */
  filter (readings: readonly Reading[]): DedupResult {
    const fresh: Reading[] = []
    const keys: string[] = []
    const unsure: Reading[] = []
    const unsureKeys: string[] = []
    const waits: Promise<void>[] = []
    let duplicates = 0
    const first = readings[0]
    if (!first) return { fresh, keys, unsure, unsureKeys, duplicates, waits }
    const device = this.byDevice.get(first.device)
    const known = device?.keys
    const floor = device?.floor ?? this.floor
    // Only arrays can repeat a reading inside one message.
    const inMessage = readings.length > 1 ? new Set<string>() : null
    for (const r of readings) {
      const key = readingKey(r)
      const token = known?.get(key)
      if ((token !== undefined && !token.failed) || inMessage?.has(key) === true) {
        duplicates++
        if (token?.promise && !waits.includes(token.promise)) waits.push(token.promise)
        continue
      }
      inMessage?.add(key)
      if (r.ts < floor) {
        unsure.push(r)
        unsureKeys.push(key)
      } else {
        fresh.push(r)
        keys.push(key)
      }
    }
    return { fresh, keys, unsure, unsureKeys, duplicates, waits }
  }

  /**
   * Remembers readings as being written by `pending`; they become durable when it resolves
   * and are forgotten when it rejects (so a redelivery is stored). `keys` from filter() saves
   * building them again.
   */
  pending (readings: readonly Reading[], pending: Promise<void>, keys?: readonly string[]): void {
    const first = readings[0]
    if (!first) return
    const token: Token = { promise: pending, failed: false }
    pending.then(() => { token.promise = null }, () => { token.failed = true; token.promise = null })
    const device = this.deviceKeys(first.device)
    for (let i = 0; i < readings.length; i++) this.remember(device, keys?.[i] ?? readingKey(readings[i]!), token)
  }

  /** Marks readings durable at once (pending() does this itself when its write resolves). */
  durable (readings: readonly Reading[]): void {
    for (const r of readings) {
      const token = this.byDevice.get(r.device)?.keys.get(readingKey(r))
      if (token && token !== DURABLE && !token.failed) token.promise = null
    }
  }

  /** Forgets readings whose write failed, keeping keys already durable (pending() does this itself on rejection). */
  failed (readings: readonly Reading[]): void {
    for (const r of readings) {
      const keys = this.byDevice.get(r.device)?.keys
      const key = readingKey(r)
      if (keys?.get(key)?.promise) keys.delete(key)
    }
  }

  /**
   * Seeds from the store after a restart: `keys` are those of every reading stamped at or after
   * `since` (store.recentKeys(since)), which becomes the floor of every device.
   */
  seed (keys: readonly ReadingKey[], since: number): void {
    this.floor = since
    for (const d of this.byDevice.values()) d.floor = Math.max(d.floor, since)
    const sorted = [...keys].sort((a, b) => a.ts - b.ts) // oldest first: the oldest are forgotten first
    for (const k of sorted) this.remember(this.deviceKeys(k.device), storedKey(k), DURABLE)
  }

  /** Remembers keys the store reported as stored (after a lookup), as durable. */
  stored (device: string, keys: readonly string[]): void {
    const d = this.deviceKeys(device)
    for (const key of keys) this.remember(d, key, DURABLE)
  }

  /** Keys currently remembered for a device (for tests and metrics). */
  size (device: string): number {
    return this.byDevice.get(device)?.keys.size ?? 0
  }

  /** Below this ts a reading of the device may be stored without being remembered. */
  floorOf (device: string): number {
    return this.byDevice.get(device)?.floor ?? this.floor
  }

  private deviceKeys (device: string): DeviceKeys {
    let d = this.byDevice.get(device)
    if (!d) this.byDevice.set(device, d = { keys: new Map(), floor: this.floor })
    return d
  }

  private remember (d: DeviceKeys, key: string, token: Token): void {
    const keys = d.keys
    keys.delete(key) // re-insert: a re-remembered key is the newest
    keys.set(key, token)
    if (keys.size > this.perDevice) {
      const oldest = keys.keys().next().value as string // Map iterates in insertion order
      keys.delete(oldest)
      // A forgotten key may be stored: only readings above it are still all remembered.
      const ts = keyTs(oldest)
      if (ts >= d.floor) d.floor = ts + 1
    }
  }
}
