/**
 * Readings and alert events → InfluxDB line protocol, in influxdb-client's Point format
 * (tags and fields sorted by key, its escape rules). Names come from core/kinds.ts.
 * Batches are validated first (store/validate.ts: the store invariants are shared).
 */
import { Point, escape } from '@influxdata/influxdb-client'
import { FIELDS, KINDS, MEASUREMENT, SERIES_TAGS, ALERT_EVENTS_MEASUREMENT, DAY_FACTS_MEASUREMENT, type FieldType, type Kind } from '../../core/kinds.js'
import type { Reading } from '../../core/readings.js'
import type { AlertTransition } from '../../core/alerts.js'
import type { DayFacts } from '../telemetry.js'

/**
 * `seq` is written on every point, and this value means "the reading had no seq".
 * A field present on every point is what lets count() be exact: InfluxQL counts
 * field values, not points, and every other field of a kind may be absent.
 */
export const NO_SEQ = -1

// Point takes timestamps as given: the write request says precision=ms.
const asIs = { convertTime: (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t)) }

/**
 * One validated reading as a Point: the reference encoding. readingToLine() produces the
 * same text without building a Point (test/unit/store-influx/line-protocol.test.ts checks
 * both agree); Point costs ~15 µs a reading here, which capped writes at a third of the
 * raw line-protocol rate (docs/performance.md).
 */
export function readingToPoint (r: Reading): Point {
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
  return p
}

interface Slot { name: string, key: string, type: FieldType | 'seq' }
interface Layout { measurement: string, tags: Slot[], fields: Slot[] }

/** Per kind: tags and fields in the order Point writes them (keys sorted), keys escaped once. */
const LAYOUT: Readonly<Record<Kind, Layout>> = Object.freeze(Object.fromEntries(KINDS.map((kind) => {
  const byKey = (a: Slot, b: Slot) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const tags: Slot[] = [
    ...SERIES_TAGS.map((name) => ({ name, key: escape.tag(name), type: 'string' as const })),
    ...FIELDS[kind].filter((f) => f.tag === true).map((f) => ({ name: f.name, key: escape.tag(f.name), type: f.type }))
  ].sort(byKey)
  const fields: Slot[] = [
    ...FIELDS[kind].filter((f) => f.tag !== true).map((f) => ({ name: f.name, key: escape.tag(f.name), type: f.type })),
    { name: 'seq', key: 'seq', type: 'seq' as const }
  ].sort(byKey)
  return [kind, { measurement: escape.measurement(MEASUREMENT[kind]), tags, fields }]
})) as unknown as Record<Kind, Layout>)

/** One validated reading as a line (epoch ms timestamp); same text as readingToPoint(r).toLineProtocol. */
export function readingToLine (r: Reading): string {
  const layout = LAYOUT[r.kind]
  const values = r.values
  let line = layout.measurement
  for (const t of layout.tags) {
    const v = t.name === 'site' ? r.site : t.name === 'device' ? r.device : values[t.name]
    if (v === undefined || v === null || v === '') continue // Point leaves out empty tags
    line += ',' + t.key + '=' + escape.tag(String(v))
  }
  let sep = ' '
  for (const f of layout.fields) {
    let text: string
    if (f.type === 'seq') {
      text = `${r.seq ?? NO_SEQ}i`
    } else {
      const v = values[f.name]
      if (v === undefined || v === null) continue
      text = f.type === 'float' ? String(v) : f.type === 'int' ? `${Math.floor(v as number)}i` : escape.quoted(v as string)
    }
    line += sep + f.key + '=' + text
    sep = ','
  }
  return line + ' ' + String(r.ts)
}

/** Readings [from, to) of a batch as one line-protocol body. */
export function readingsToBody (batch: readonly Reading[], from: number, to: number): string {
  const end = Math.min(batch.length, to)
  const lines = new Array<string>(Math.max(0, end - from))
  for (let j = from; j < end; j++) lines[j - from] = readingToLine(batch[j]!)
  return lines.join('\n')
}

/** A batch as one line-protocol body per chunk of at most `maxLines` lines. */
export function readingsToBodies (batch: readonly Reading[], maxLines: number): string[] {
  const bodies: string[] = []
  for (let i = 0; i < batch.length; i += maxLines) bodies.push(readingsToBody(batch, i, i + maxLines))
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

/**
 * One site-day's facts as a line in ms precision, stamped at the day's start: a later line of the
 * same site and day replaces its fields (InfluxDB keys a point by series and timestamp). `rate` is
 * left out while the day is not judged; a judged day stays judged as its data grows.
 */
export function dayFactsToLine (f: DayFacts): string {
  const p = new Point(DAY_FACTS_MEASUREMENT).tag('site', f.site)
    .intField('to', f.to)
    .floatField('recycledM3', f.recycledM3)
    .floatField('freshM3', f.freshM3)
    .floatField('dischargeM3', f.dischargeM3)
    .floatField('oreOutputT', f.oreOutputT)
    .intField('dustDayExceedances', f.dustDayExceedances)
  if (f.rate !== null) p.floatField('rate', f.rate)
  p.timestamp(String(f.day))
  return p.toLineProtocol(asIs) as string
}
