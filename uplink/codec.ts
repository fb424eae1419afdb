/**
 * The wire format of uplink/{site}/up batches. One byte of format, then a raw-deflate
 * stream of JSON:
 *
 *   { "r": [[device, kind, [field, …], [[tsDelta, seq|null, value|null, …], …]], …],
 *     "a": [{ alert, transition }, …], "d": [{ site, date, revision, computedAt, report }, …] }
 *
 * ("d", the daily reports, only when the batch has some: a batch of readings costs no more.)
 *
 * Readings are grouped per device in queue order (a device's order is kept); each group names
 * its fields once and its rows carry the time as a difference from the previous row (the
 * first from 0): a dust reading costs a few bytes before compression. docs/uplink.md.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { isKind, type Kind } from '../core/kinds.js'
import type { Reading } from '../core/readings.js'
import type { ForwardedDailyReport, ForwardedTransition, UplinkItem } from './items.js'

/** Format byte of a JSON + raw-deflate batch. */
export const FORMAT_DEFLATE_JSON = 1
/** A batch may inflate to at most this many bytes (a small message inflating to gigabytes is refused). */
export const MAX_INFLATED_BYTES = 64 * 1024 ** 2 // 64 MiB

type Row = Array<number | string | null>
type Group = [string, Kind, string[], Row[]]

export interface DecodedBatch {
  readings: Reading[]
  transitions: ForwardedTransition[]
  reports: ForwardedDailyReport[]
}

/** The uncompressed JSON of a batch (the bench measures it beside the compressed one). */
export function batchJson (site: string, items: readonly UplinkItem[]): string {
  const groups = new Map<string, { group: Group, lastTs: number, fields: Map<string, number> }>()
  const alerts: ForwardedTransition[] = []
  const reports: ForwardedDailyReport[] = []
  for (const item of items) {
    if ('a' in item) { alerts.push(item.a); continue }
    if ('d' in item) { if (item.d.site === site) reports.push(item.d); continue }
    const r = item.r
    if (r.site !== site) continue // a target forwards its own site only
    let g = groups.get(r.device)
    if (!g) groups.set(r.device, g = { group: [r.device, r.kind, [], []], lastTs: 0, fields: new Map() })
    for (const name of Object.keys(r.values)) {
      if (!g.fields.has(name)) { g.fields.set(name, g.group[2].length); g.group[2].push(name) }
    }
    const row: Row = new Array<number | string | null>(2 + g.group[2].length).fill(null)
    row[0] = r.ts - g.lastTs
    row[1] = r.seq ?? null
    for (const [name, v] of Object.entries(r.values)) row[2 + g.fields.get(name)!] = v
    g.lastTs = r.ts
    g.group[3].push(row)
  }
  return JSON.stringify({ r: [...groups.values()].map((g) => g.group), a: alerts, ...(reports.length > 0 ? { d: reports } : {}) })
}

export function encodeBatch (site: string, items: readonly UplinkItem[]): Buffer {
  const body = deflateRawSync(Buffer.from(batchJson(site, items)), { level: 6 })
  const out = Buffer.allocUnsafe(1 + body.length)
  out[0] = FORMAT_DEFLATE_JSON
  body.copy(out, 1)
  return out
}

/** Decodes a batch published by `site`; throws an Error with a specific message on anything malformed. */
export function decodeBatch (site: string, payload: Buffer): DecodedBatch {
  if (payload.length < 2) throw new Error('uplink batch is empty')
  if (payload[0] !== FORMAT_DEFLATE_JSON) throw new Error(`uplink batch format ${payload[0]} is not known (1: JSON + raw deflate)`)
  let json: unknown
  try {
    json = JSON.parse(inflateRawSync(payload.subarray(1), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8'))
  } catch (err) {
    throw new Error(`uplink batch does not inflate to JSON: ${(err as Error).message}`)
  }
  if (json === null || typeof json !== 'object') throw new Error('uplink batch is not an object')
  const { r, a, d } = json as { r?: unknown, a?: unknown, d?: unknown }
  if (!Array.isArray(r) || !Array.isArray(a)) throw new Error('uplink batch needs arrays r and a')
  if (d !== undefined && !Array.isArray(d)) throw new Error('uplink batch: d (daily reports) is an array when present')
  const readings: Reading[] = []
  r.forEach((g: unknown, i) => {
    if (!Array.isArray(g) || g.length !== 4) throw new Error(`r[${i}]: a group is [device, kind, fields, rows]`)
    const [device, kind, fields, rows] = g as unknown[]
    if (typeof device !== 'string' || typeof kind !== 'string' || !isKind(kind)) throw new Error(`r[${i}]: bad device or kind`)
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string') || !Array.isArray(rows)) throw new Error(`r[${i}]: bad fields or rows`)
    let ts = 0
    rows.forEach((row: unknown, j) => {
      if (!Array.isArray(row) || row.length !== 2 + fields.length || typeof row[0] !== 'number' || (row[1] !== null && typeof row[1] !== 'number')) {
        throw new Error(`r[${i}][${j}]: a row is [tsDelta, seq|null, …${fields.length} values]`)
      }
      ts += row[0]
      const values: Record<string, number | string> = {}
      fields.forEach((f: string, k) => {
        const v: unknown = row[2 + k]
        if (v === null) return
        if (typeof v !== 'number' && typeof v !== 'string') throw new Error(`r[${i}][${j}].${f}: a value is a number or a string`)
        values[f] = v
      })
      readings.push({ site, device, kind, ts, ...(row[1] !== null ? { seq: row[1] as number } : {}), values })
    })
  })
  a.forEach((t: unknown, i) => {
    const x = t as Partial<ForwardedTransition> | null
    if (!x || typeof x !== 'object' || !x.alert || !x.transition || typeof x.alert.id !== 'string' || x.transition.alertId !== x.alert.id) {
      throw new Error(`a[${i}]: an alert transition is { alert, transition } of the same alert id`)
    }
    if (x.alert.site !== site || x.transition.site !== site) throw new Error(`a[${i}]: alert ${x.alert.id} is of site '${x.alert.site}', not '${site}'`)
  })
  const reports = (d ?? []) as unknown[]
  reports.forEach((x: unknown, i) => {
    const f = x as Partial<ForwardedDailyReport> | null
    if (!f || typeof f !== 'object') throw new Error(`d[${i}]: a daily report is { site, date, revision, computedAt, report }`)
    if (f.site !== site) throw new Error(`d[${i}]: a report of site '${String(f.site)}', not '${site}'`)
    if (typeof f.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(f.date)) throw new Error(`d[${i}]: date is YYYY-MM-DD, got ${JSON.stringify(f.date)}`)
    if (!Number.isSafeInteger(f.revision) || f.revision! < 1) throw new Error(`d[${i}]: revision is an integer ≥ 1, got ${JSON.stringify(f.revision)}`)
    if (!Number.isSafeInteger(f.computedAt) || f.computedAt! < 0) throw new Error(`d[${i}]: computedAt is epoch ms, got ${JSON.stringify(f.computedAt)}`)
    const rep = f.report as Record<string, unknown> | null | undefined
    if (!rep || typeof rep !== 'object' || Array.isArray(rep) || rep.site !== site || rep.date !== f.date) throw new Error(`d[${i}]: report is the daily report of ${site} on ${f.date}`)
  })
  return { readings, transitions: a as ForwardedTransition[], reports: reports as ForwardedDailyReport[] }
}
