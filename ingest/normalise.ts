/**
 * Step 3, normalise: timestamps to epoch ms (checked against the server clock),
 * dust concentrations to mg/m³ from the device's registered unit, and the `Reading`
 * shape stores hold. Pure: `now` is passed in.
 */
import { FIELDS } from '../core/kinds.js'
import { MAX_FUTURE_MS, type Reading } from '../core/readings.js'
import { parseTimestamp } from '../core/time.js'
import { dustToMgM3, type DustUnit } from '../core/units.js'
import { implausible } from '../core/plausibility.js'
import type { DeviceEntry } from '../core/registry.js'
import type { RejectReason } from '../core/rejects.js'
import type { ValidReading } from './validate.js'
import { MAX_ISSUES_QUOTED, quoteIssues, readingPath, type Rejection } from './step.js'

export interface NormaliseOptions {
  /** Server time, epoch ms. */
  now: number
  /** Readings older than now − maxLateMs are refused (too_old), ms. */
  maxLateMs: number
  /** Reject details name readings `[i]` when the payload was an array. */
  isArray: boolean
  /** Readings in the message (for "k of n" in details). */
  total: number
}

/** Fields converted from the device's unit: every dust field stored in mg/m³ (tsp … pm25Max). */
const DUST_CONCENTRATIONS = new Set(FIELDS.dust.filter((f) => f.unit === 'mg/m³').map((f) => f.name))
/** Below this an epoch-ms ts is before 1973: almost surely epoch seconds sent by mistake. */
const LOOKS_LIKE_SECONDS = 1e11

/** Cuts binary floating-point noise from unit conversion (0.0617000…05 → 0.0617). */
function clean (x: number): number {
  return Number(x.toPrecision(15))
}

/** An instant for a reject detail: ISO 8601 when a Date can hold it, else the number itself (never throws). */
function shownTime (t: number): string {
  const d = new Date(t)
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString()
}

/** Where ts is in the payload, for a reject detail (built only when one is written). */
function tsPath (index: number, isArray: boolean): string {
  return `${readingPath(index, isArray)}${isArray ? '.' : ''}ts`
}

class Problems {
  private readonly byReason = new Map<RejectReason, { count: number, quoted: string[] }>()
  add (reason: RejectReason, text: string): void {
    let p = this.byReason.get(reason)
    if (!p) this.byReason.set(reason, p = { count: 0, quoted: [] })
    p.count++
    if (p.quoted.length < MAX_ISSUES_QUOTED) p.quoted.push(text)
  }

  rejections (total: number): Rejection[] {
    return [...this.byReason].map(([reason, p]) => ({
      reason,
      detail: `${p.count} of ${total} readings: ${quoteIssues(p.quoted, p.count)}`,
      count: p.count
    }))
  }
}

/** Normalises the valid readings of one message; refused ones become one rejection per reason. */
export function normalise (valid: readonly ValidReading[], entry: DeviceEntry, opts: NormaliseOptions): { readings: Reading[], rejections: Rejection[] } {
  const { device, site } = entry
  const kind = device.kind
  const fields = FIELDS[kind]
  const unit: DustUnit = device.unit ?? 'mg/m3'
  const oldest = opts.now - opts.maxLateMs
  const newest = opts.now + MAX_FUTURE_MS
  const convert = kind === 'dust' && unit !== 'mg/m3'
  const readings: Reading[] = []
  const problems = new Problems()
  for (const { index, data } of valid) {
    const ts = parseTimestamp(data.ts)
    if (Number.isNaN(ts)) {
      problems.add('bad_ts', `${tsPath(index, opts.isArray)}: ${JSON.stringify(data.ts)} is neither epoch milliseconds nor RFC 3339 with an offset`)
      continue
    }
    if (ts > newest) {
      problems.add('future_ts', `${tsPath(index, opts.isArray)}: ${shownTime(ts)} is ${Math.round((ts - opts.now) / 1000)} s ahead of server time (at most ${MAX_FUTURE_MS / 1000} s)`)
      continue
    }
    if (ts < oldest) {
      const hint = typeof data.ts === 'number' && data.ts < LOOKS_LIKE_SECONDS ? ' (epoch seconds? ts is epoch milliseconds)' : ''
      problems.add('too_old', `${tsPath(index, opts.isArray)}: ${shownTime(ts)} is older than ${Math.round(opts.maxLateMs / 1000)} s${hint}`)
      continue
    }
    const values: Record<string, number | string> = {}
    let bad: string | undefined
    for (const f of fields) {
      const v = data[f.name]
      if (v === undefined) continue
      const value = convert && DUST_CONCENTRATIONS.has(f.name)
        ? clean(dustToMgM3(v as number, unit))
        : v as number | string
      const range = typeof value === 'number' ? implausible(kind, f.name, value) : undefined
      if (range) {
        const sep = opts.isArray ? '.' : ''
        bad = `${readingPath(index, opts.isArray)}${sep}${f.name}: ${value} ${f.unit} is outside ${range.min}…${range.max} ${f.unit} (${range.why})`.replace(/ {2}/g, ' ')
        break
      }
      values[f.name] = value
    }
    if (bad !== undefined) {
      problems.add('implausible_value', bad)
      continue
    }
    if (kind === 'dust' && values.flag === undefined) values.flag = 'N'
    const reading: Reading = { site: site.id, device: device.id, kind, ts, values }
    if (data.seq !== undefined) reading.seq = data.seq
    readings.push(reading)
  }
  return { readings, rejections: problems.rejections(opts.total) }
}
