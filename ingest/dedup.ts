/**
 * Step 4, dedup: drops readings already stored (or being stored) with the same
 * (device, ts, seq, entityId), e.g. an MQTT redelivery after a lost PUBACK.
 * Memory is bounded: the last `perDevice` keys of each device, oldest forgotten first.
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

export interface DedupResult {
  fresh: Reading[]
  /** Keys of `fresh`, in the same order (pass them to pending()). */
  keys: string[]
  /** Readings dropped as duplicates (of stored ones, pending ones, or earlier ones in the same message). */
  duplicates: number
  /** Pending writes the duplicates depend on: the message is durable only when they are. */
  waits: Promise<void>[]
}

export class Dedup {
  private readonly byDevice = new Map<string, Map<string, Token>>()

  /** `perDevice`: keys remembered per device (config ingest.dedupPerDevice). */
  constructor (private readonly perDevice: number) {}

  /** Splits a message's readings (all from one device) into fresh ones and duplicates. */
  filter (readings: readonly Reading[]): DedupResult {
    const fresh: Reading[] = []
    const keys: string[] = []
    const waits: Promise<void>[] = []
    let duplicates = 0
    const first = readings[0]
    if (!first) return { fresh, keys, duplicates, waits }
    const known = this.byDevice.get(first.device)
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
      fresh.push(r)
      keys.push(key)
    }
    return { fresh, keys, duplicates, waits }
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
    const map = this.deviceKeys(first.device)
    for (let i = 0; i < readings.length; i++) this.remember(map, keys?.[i] ?? readingKey(readings[i]!), token)
  }

  /** Marks readings durable at once (pending() does this itself when its write resolves). */
  durable (readings: readonly Reading[]): void {
    for (const r of readings) {
      const token = this.byDevice.get(r.device)?.get(readingKey(r))
      if (token && token !== DURABLE && !token.failed) token.promise = null
    }
  }

  /** Forgets readings whose write failed, keeping keys already durable (pending() does this itself on rejection). */
  failed (readings: readonly Reading[]): void {
    for (const r of readings) {
      const keys = this.byDevice.get(r.device)
      const key = readingKey(r)
      if (keys?.get(key)?.promise) keys.delete(key)
    }
  }

  /** Seeds from keys already in the store (after a restart), oldest first. */
  seed (keys: readonly ReadingKey[]): void {
    const sorted = [...keys].sort((a, b) => a.ts - b.ts)
    for (const k of sorted) this.remember(this.deviceKeys(k.device), `${k.ts}|${k.seq ?? ''}|${k.entityId ?? ''}`, DURABLE)
  }

  /** Keys currently remembered for a device (for tests and metrics). */
  size (device: string): number {
    return this.byDevice.get(device)?.size ?? 0
  }

  private deviceKeys (device: string): Map<string, Token> {
    let keys = this.byDevice.get(device)
    if (!keys) this.byDevice.set(device, keys = new Map())
    return keys
  }

  private remember (keys: Map<string, Token>, key: string, token: Token): void {
    keys.delete(key) // re-insert: a re-remembered key is the newest
    keys.set(key, token)
    if (keys.size > this.perDevice) {
      const oldest = keys.keys().next().value as string // Map iterates in insertion order
      keys.delete(oldest)
    }
  }
}
