/**
 * Readings and alert events → InfluxDB line protocol, through influxdb-client's Point
 * (it sorts tags and fields and escapes names and values). Names come from core/kinds.ts.
 * Batches are validated first (store/duckdb/validate.ts: the store invariants are shared).
 */
import { Point } from '@influxdata/influxdb-client'
import { FIELDS, MEASUREMENT, ALERT_EVENTS_MEASUREMENT } from '../../core/kinds.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'

/**
 * `seq` is written on every point, and this value means "the reading had no seq".
 * A field present on every point is what lets count() be exact: InfluxQL counts
 * field values, not points, and every other field of a kind may be absent.
 */
export const NO_SEQ = -1

// Point takes timestamps as given: the write request says precision=ms.
const asIs = { convertTime: (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t)) }

/** One validated reading as a line (epoch ms timestamp). */
export function readingToLine (r: Reading): string {
  const p = new Point(MEASUREMENT[r.kind]).tag('site', r.site).tag('device', r.device)
  const values = r.values
  for (const f of FIELDS[r.kind]) {
    const v = values[f.name]
    if (v === undefined || v === null) continue
    if (f.tag === true) p.tag(f.name, String(v))
    else if (f.type === 'float') p.floatField(f.name, v)
    else if (f.type === 'int') p.intField(f.name, v)
    else p.stringField(f.name, v)
  }
  p.intField('seq', r.seq ?? NO_SEQ)
  p.timestamp(r.ts)
  // A point always has the seq field, so toLineProtocol never returns undefined here.
  return p.toLineProtocol(asIs) as string
}

/** A batch as one line-protocol body per chunk of at most `maxLines` lines. */
export function readingsToBodies (batch: readonly Reading[], maxLines: number): string[] {
  const bodies: string[] = []
  for (let i = 0; i < batch.length; i += maxLines) {
    const end = Math.min(batch.length, i + maxLines)
    const lines = new Array<string>(end - i)
    for (let j = i; j < end; j++) lines[j - i] = readingToLine(batch[j]!)
    bodies.push(lines.join('\n'))
  }
  return bodies
}

/** Sub-millisecond offsets keep events of one millisecond apart (they share a series). */
const NS_PER_MS = 1_000_000n

/**
 * An alert transition as a line in nanosecond precision. Tags: site, kind, severity,
 * to (bounded sets); fields: the rest. The timestamp is `at` ms plus `seq mod 10⁶` ns,
 * so two transitions of one series in the same millisecond do not overwrite each other.
 */
export function alertEventToLine (t: AlertTransition): string {
  const p = new Point(ALERT_EVENTS_MEASUREMENT)
    .tag('site', t.site).tag('kind', t.kind).tag('severity', t.severity).tag('to', t.to)
    .stringField('alertId', t.alertId)
    .intField('seq', t.seq)
    .stringField('reason', t.reason)
    .stringField('message', t.message)
  if (t.from !== null) p.stringField('from', t.from)
  if (t.value !== null) p.floatField('value', t.value)
  if (t.limit !== null) p.floatField('limit', t.limit)
  if (t.by !== null) p.stringField('by', t.by)
  p.timestamp((BigInt(t.at) * NS_PER_MS + BigInt(t.seq % 1_000_000)).toString())
  return p.toLineProtocol(asIs) as string
}
