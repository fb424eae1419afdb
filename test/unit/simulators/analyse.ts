/** Helpers for simulator tests: decode messages, validate them, and compute the raw conditions alerts look at. */
import { READING_SCHEMAS } from '../../../core/readings.js'
import { parseTelemetryTopic } from '../../../core/topics.js'
import { dustToMgM3 } from '../../../core/units.js'
import type { Registry } from '../../../core/registry.js'
import type { Kind } from '../../../core/kinds.js'
import type { SimMessage } from '../../../simulators/types.js'

export interface Decoded { m: SimMessage, kind: Kind, site: string, readings: Array<Record<string, unknown>> }

/** Decodes a good message; throws on anything a device contract check would reject. */
export function decode (m: SimMessage): Decoded {
  const topic = parseTelemetryTopic(m.topic)
  if ('error' in topic) throw new Error(`${m.topic}: ${topic.error}`)
  if (topic.device !== m.device) throw new Error(`${m.topic} published by ${m.device}`)
  const body = JSON.parse(m.payload.toString()) as unknown
  const list = (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>
  const readings = list.map((r) => {
    const res = READING_SCHEMAS[topic.kind].safeParse(r)
    if (!res.success) throw new Error(`${m.topic}: ${JSON.stringify(r)}: ${res.error.message}`)
    return res.data as Record<string, unknown>
  })
  return { m, kind: topic.kind, site: topic.site, readings }
}

/** Dust readings of a device in mg/m³, in time order. */
export function dustSeries (registry: Registry, decoded: Decoded[], device: string): Array<{ ts: number, tsp: number, pm10: number, pm25: number, flag: string }> {
  const unit = registry.device(device)!.device.unit!
  return decoded.filter((d) => d.m.device === device && d.kind === 'dust').flatMap((d) => d.readings).map((r) => ({
    ts: r.ts as number,
    tsp: dustToMgM3(r.tsp as number, unit),
    pm10: dustToMgM3(r.pm10 as number, unit),
    pm25: dustToMgM3(r.pm25 as number, unit),
    flag: r.flag as string
  }))
}

/** Trailing-window averages at each reading (window in ms), over the readings seen so far. */
export function trailingAverages (series: Array<{ ts: number, v: number }>, windowMs: number): Array<{ ts: number, avg: number }> {
  const out: Array<{ ts: number, avg: number }> = []
  let i = 0; let sum = 0
  for (let j = 0; j < series.length; j++) {
    sum += series[j]!.v
    while (series[i]!.ts <= series[j]!.ts - windowMs) sum -= series[i++]!.v
    out.push({ ts: series[j]!.ts, avg: sum / (j - i + 1) })
  }
  return out
}

/** Longest stretch (ms) during which `pred` holds on consecutive points. */
export function longestRun (points: Array<{ ts: number }>, pred: (i: number) => boolean): number {
  let best = 0; let from: number | undefined
  points.forEach((p, i) => {
    if (pred(i)) { from ??= p.ts; best = Math.max(best, p.ts - from) } else from = undefined
  })
  return best
}

/** Volume through each water meter between its first and last reading, m³ (totaliser differences). */
export function waterVolumes (decoded: Decoded[], from: number, to: number): Map<string, number> {
  const first = new Map<string, number>(); const last = new Map<string, number>()
  for (const d of decoded) {
    if (d.kind !== 'water') continue
    for (const r of d.readings) {
      const ts = r.ts as number
      if (ts < from || ts >= to) continue
      if (!first.has(d.m.device)) first.set(d.m.device, r.totalM3 as number)
      last.set(d.m.device, r.totalM3 as number)
    }
  }
  return new Map([...first].map(([k, v]) => [k, last.get(k)! - v]))
}

/** Recycling rate of a site by its formula, from meter volumes. */
export function recyclingRate (registry: Registry, site: string, volumes: Map<string, number>): number {
  const s = registry.site(site)!
  let returns = 0; let fresh = 0; let discharge = 0
  for (const d of s.devices) {
    const v = volumes.get(d.id) ?? 0
    if (d.role === 'thickener_return' || d.role === 'tailings_return' || d.role === 'recycled_return') returns += v
    if (d.role === 'fresh_intake') fresh += v
    if (d.role === 'discharge') discharge += v
  }
  return s.water.formula === 'reuse' ? returns / (returns + fresh) : returns / (returns + discharge)
}

export interface Fix { ts: number, entity: string, entityId: string, device: string, site: string, lon: number, lat: number, accuracyM: number }

export function fixes (decoded: Decoded[]): Fix[] {
  return decoded.filter((d) => d.kind === 'locator').flatMap((d) => d.readings.map((r) => ({
    ts: r.ts as number, entity: r.entity as string, entityId: r.entityId as string, device: d.m.device, site: d.site,
    lon: r.lon as number, lat: r.lat as number, accuracyM: (r.accuracyM as number | undefined) ?? 5
  })))
}
