import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { loadConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { ALERT_KINDS } from '../../../core/alerts.js'
import { MAX_FUTURE_MS, MAX_PAYLOAD_BYTES, MAX_READINGS_PER_MESSAGE, READING_SCHEMAS } from '../../../core/readings.js'
import type { RejectReason } from '../../../core/rejects.js'
import { parseTelemetryTopic } from '../../../core/topics.js'
import { parseTimestamp, beijingMonthStart, beijingDayStart, HOUR, MINUTE, DAY } from '../../../core/time.js'
import { distanceToBoundaryM, pointInPolygon, type PolygonCoords } from '../../../core/geo.js'
import { prepareRun } from '../../../simulators/prepare.js'
import { SCENARIOS, scenario } from '../../../simulators/scenarios/index.js'
import { SCENARIO_CASES } from '../../helpers/scenario-run.js'
import { NOISE_HOURS } from '../../../simulators/scenarios/noise-exceedance.js'
import { isNight, nightPeakLimit, noiseApplies, noiseHourVerdicts } from '../../../core/noise.js'
import type { SimMessage } from '../../../simulators/types.js'
import { decode, dustSeries, fixes, longestRun, recyclingRate, trailingAverages, waterVolumes, type Fix } from './analyse.js'

const registry = new Registry(loadConfig(join(import.meta.dirname, '../../../config/demo.yaml')).config)
const START = Date.parse('2026-03-10T08:00:00+08:00')
const YEAR_MS = 365 * DAY

function run (name: string, sites?: string[], start = START) {
  const r = prepareRun({ registry, scenario: name, sites, seed: 1, start })
  const messages = [...r.sim.until(r.end)]
  const good = messages.filter((m) => !m.bad).map(decode)
  return { ...r, messages, good }
}

/** Longest run of consecutive fixes (or readings) of one entity matching `pred`. */
function consecutive<T> (list: T[], pred: (f: T) => boolean): number {
  let best = 0; let n = 0
  for (const f of list) { n = pred(f) ? n + 1 : 0; best = Math.max(best, n) }
  return best
}

describe('scenario catalogue', () => {
  it('every scenario plans on the demo sites with known alert kinds, sites and devices, deterministically', () => {
    for (const s of SCENARIOS) {
      // energy-intensity needs a Beijing midnight inside its run: its default start for a run ending by START
      const start = s.name === 'energy-intensity' ? s.defaultStart(START, s.durationMs) : START
      const a = s.plan({ registry, sites: registry.sites, start, durationMs: s.durationMs, seed: 1 })
      const b = s.plan({ registry, sites: registry.sites, start, durationMs: s.durationMs, seed: 1 })
      expect(JSON.stringify(a)).toBe(JSON.stringify(b))
      for (const e of a.expectedAlerts) {
        expect(ALERT_KINDS).toContain(e.kind)
        expect(registry.site(e.site), s.name).toBeDefined()
        if (e.device) expect(registry.device(e.device)?.site.id).toBe(e.site)
      }
      expect(s.description.length).toBeGreaterThan(20)
    }
    expect(SCENARIOS.map((s) => s.name)).toEqual(['normal-day', 'dust-exceedance', 'boundary-breach', 'zone-intrusion', 'recycling-drop', 'over-capacity', 'device-offline', 'data-quality', 'noise-exceedance', 'person-motionless', 'tag-lost', 'sos', 'zone-overcrowded', 'zone-overstay', 'over-speed', 'energy-intensity', 'bad-payloads', 'store-outage'])
    expect(() => scenario('nope')).toThrow(/unknown scenario 'nope' \(have: normal-day/)
  })

  it('every scenario is run through minewatch by one of the scenario shards', () => {
    expect(SCENARIO_CASES.map(([name]) => name).sort()).toEqual(SCENARIOS.map((s) => s.name).sort())
  })

  it('default starts end the run by now (no future readings)', () => {
    const now = Date.parse('2026-03-01T00:30:00+08:00') // just after a Beijing month start
    for (const s of SCENARIOS) {
      const start = s.defaultStart(now, s.durationMs)
      expect(start + s.durationMs, s.name).toBeLessThanOrEqual(now)
      expect(now - start, s.name).toBeLessThan(3 * DAY)
    }
    const rd = scenario('recycling-drop')
    for (const at of [now, Date.parse('2026-03-10T07:00:00+08:00'), Date.parse('2026-03-10T15:00:00+08:00'), Date.parse('2026-03-11T01:00:00+08:00')]) {
      const st = rd.defaultStart(at, rd.durationMs)
      expect(st + rd.durationMs).toBeLessThanOrEqual(at)
      expect(beijingDayStart(st)).toBe(beijingDayStart(st + rd.durationMs)) // inside one Beijing day
      expect(st - beijingDayStart(st)).toBeGreaterThanOrEqual(4 * HOUR) // well past 06:00 by the end
    }
    const oc = scenario('over-capacity')
    const so = oc.defaultStart(now, oc.durationMs)
    expect(beijingMonthStart(so)).toBe(beijingMonthStart(so + oc.durationMs))
  })
})

describe('scenarios produce their raw conditions', () => {
  it('dust-exceedance: the monitor\'s 1 h TSP average is above the limit for more than hold; nothing else', () => {
    const r = run('dust-exceedance', ['zj-huzhou-quarry'])
    const [alert] = r.plan.expectedAlerts
    expect(r.plan.expectedAlerts).toEqual([{ kind: 'dust_exceedance', site: 'zj-huzhou-quarry', subject: 'ZJ-DUST04:tsp:3600', device: 'ZJ-DUST04', severity: 'alarm' }])
    for (const d of registry.site('zj-huzhou-quarry')!.devices.filter((x) => x.kind === 'dust')) {
      const s = dustSeries(registry, r.good, d.id)
      const tsp = trailingAverages(s.map((x) => ({ ts: x.ts, v: x.tsp })), HOUR)
      const pm10 = trailingAverages(s.map((x) => ({ ts: x.ts, v: x.pm10 })), DAY)
      const pm25 = trailingAverages(s.map((x) => ({ ts: x.ts, v: x.pm25 })), DAY)
      expect(Math.max(...pm10.map((x) => x.avg)), d.id).toBeLessThan(0.15)
      expect(Math.max(...pm25.map((x) => x.avg)), d.id).toBeLessThan(0.075)
      if (d.id === alert!.device) {
        expect(longestRun(tsp, (i) => tsp[i]!.avg > 1.0)).toBeGreaterThan(2 * 300_000)
        expect(tsp[tsp.length - 1]!.avg).toBeLessThan(0.8) // cleared by the end
      } else {
        expect(Math.max(...tsp.map((x) => x.avg)), d.id).toBeLessThan(0.8)
      }
    }
  })

  it('boundary-breach: the truck has consecutive fixes outside with a clear accuracy circle; nobody else leaves', () => {
    const r = run('boundary-breach', ['zj-huzhou-quarry'])
    expect(r.plan.expectedAlerts).toHaveLength(1)
    const truck = r.plan.expectedAlerts[0]!.subject!
    const site = registry.site('zj-huzhou-quarry')!
    const boundary = site.boundary.coordinates as PolygonCoords
    const outside = (f: Fix) => !pointInPolygon([f.lon, f.lat], boundary) && distanceToBoundaryM([f.lon, f.lat], boundary) > f.accuracyM
    const all = fixes(r.good)
    const mine = all.filter((f) => f.entityId === truck)
    expect(mine.every((f) => f.device === truck)).toBe(true)
    expect(consecutive(mine, outside)).toBeGreaterThanOrEqual(site.fence.consecutiveFixes + 10)
    // exactly one excursion: outside fixes form one block
    const idx = mine.map((f, i) => (outside(f) ? i : -1)).filter((i) => i >= 0)
    expect(idx[idx.length - 1]! - idx[0]!).toBe(idx.length - 1)
    const others = all.filter((f) => f.entityId !== truck && (!pointInPolygon([f.lon, f.lat], boundary) || distanceToBoundaryM([f.lon, f.lat], boundary) <= f.accuracyM))
    expect(others).toEqual([])
    const inZone = all.filter((f) => site.zones.some((z) => pointInPolygon([f.lon, f.lat], z.geometry.coordinates as PolygonCoords)))
    expect(inZone).toEqual([])
  })

  it('zone-intrusion: the person has consecutive fixes inside the zone with a clear circle; nobody else enters', () => {
    const r = run('zone-intrusion', ['zj-huzhou-quarry'])
    const [alert] = r.plan.expectedAlerts
    expect(alert).toEqual({ kind: 'zone_intrusion', site: 'zj-huzhou-quarry', subject: 'blast-1:zj-huzhou-quarry-P001', device: 'ZJ-UWB01', severity: 'alarm' })
    const person = 'zj-huzhou-quarry-P001'
    const site = registry.site('zj-huzhou-quarry')!
    const zone = site.zones[0]!.geometry.coordinates as PolygonCoords
    const boundary = site.boundary.coordinates as PolygonCoords
    const inside = (f: Fix) => pointInPolygon([f.lon, f.lat], zone) && distanceToBoundaryM([f.lon, f.lat], zone) > f.accuracyM
    const all = fixes(r.good)
    const mine = all.filter((f) => f.entityId === person)
    expect(mine.every((f) => f.device === alert!.device)).toBe(true)
    expect(consecutive(mine, inside)).toBeGreaterThanOrEqual(site.fence.consecutiveFixes + 5)
    expect(all.filter((f) => f.entityId !== person && pointInPolygon([f.lon, f.lat], zone))).toEqual([])
    expect(all.filter((f) => !pointInPolygon([f.lon, f.lat], boundary))).toEqual([])
  })

  it('recycling-drop: the Beijing-day rate falls below the floor (beneficiation site), normal before the drop', () => {
    const r = run('recycling-drop', ['gs-baiyin-cuzn'])
    expect(r.plan.expectedAlerts).toEqual([{ kind: 'water_recycling_low', site: 'gs-baiyin-cuzn', subject: 'recycling_rate', severity: 'warning' }])
    const before = recyclingRate(registry, 'gs-baiyin-cuzn', waterVolumes(r.good, r.start, r.start + 30 * MINUTE))
    expect(before).toBeGreaterThan(0.88)
    const day = recyclingRate(registry, 'gs-baiyin-cuzn', waterVolumes(r.good, beijingDayStart(r.start), beijingDayStart(r.start) + DAY))
    expect(day).toBeLessThan(registry.site('gs-baiyin-cuzn')!.water.floor - 0.1)
    const lastHour = recyclingRate(registry, 'gs-baiyin-cuzn', waterVolumes(r.good, r.end - HOUR, r.end))
    expect(lastHour).toBeCloseTo(0.6, 2)
  })

  it('over-capacity: month-to-date by truck scale and by belt scales passes the warning threshold; year-to-date stays under the licence', () => {
    for (const start of [START, Date.parse('2026-03-01T02:00:00+08:00')]) {
      const r = run('over-capacity', ['zj-huzhou-quarry'], start)
      expect(r.plan.expectedAlerts).toEqual([{ kind: 'over_capacity', site: 'zj-huzhou-quarry', subject: 'output', severity: 'warning' }])
      const site = registry.site('zj-huzhou-quarry')!
      // the larger of the two readings of "pro rata": the month's twelfth, or the elapsed share of the year
      const threshold = (t: number) => site.scaleTPerYear * Math.max(1 / 12, (t - beijingMonthStart(t)) / YEAR_MS) * (1 + site.ore.monthlyMargin)
      const sum = (prefix: string, until: number) => r.good.filter((d) => d.m.device.startsWith(prefix) && d.m.t <= until).flatMap((d) => d.readings).reduce((a, x) => a + (x.tonnes as number), 0)
      const mid = r.start + (r.end - r.start) / 2
      for (const prefix of ['ZJ-TS', 'ZJ-BS']) {
        expect(sum(prefix, mid), prefix).toBeGreaterThan(1.3 * threshold(mid))
        expect(sum(prefix, r.end), prefix).toBeGreaterThan(1.3 * threshold(r.end))
        expect(sum(prefix, r.end), prefix).toBeLessThan(0.5 * site.scaleTPerYear)
      }
    }
  })

  it('device-offline: the device is silent from +30 min past the offline threshold; every other device reports', () => {
    const r = run('device-offline', ['zj-huzhou-quarry'])
    const device = r.plan.expectedAlerts[0]!.device!
    const factor = registry.config.alerts.offlineFactor
    const last = new Map<string, number>()
    const gaps: string[] = []
    for (const m of r.messages) {
      const prev = last.get(m.device)
      const interval = registry.device(m.device)!.device.intervalS * 1000
      if (prev !== undefined && m.t - prev >= factor * interval) gaps.push(m.device)
      last.set(m.device, m.t)
    }
    expect(gaps).toEqual([])
    expect(last.get(device)!).toBeLessThanOrEqual(r.start + 30 * MINUTE)
    expect(r.end - last.get(device)!).toBeGreaterThan(factor * 60_000 * 10)
  })

  it('data-quality: one monitor flags C for 20 min, every other reading is N', () => {
    const r = run('data-quality', ['zj-huzhou-quarry'])
    expect(r.plan.expectedAlerts).toEqual([{ kind: 'data_quality', site: 'zj-huzhou-quarry', subject: 'ZJ-DUST02:flag', device: 'ZJ-DUST02', severity: 'warning' }])
    const flagged = r.good.filter((d) => d.kind === 'dust').flatMap((d) => d.readings.map((x) => ({ device: d.m.device, ts: x.ts as number, flag: x.flag }))).filter((x) => x.flag !== 'N')
    expect(new Set(flagged.map((x) => x.device))).toEqual(new Set(['ZJ-DUST02']))
    expect(flagged.every((x) => x.flag === 'C' && x.ts >= r.start + 30 * MINUTE && x.ts < r.start + 50 * MINUTE)).toBe(true)
    expect(flagged.length).toBeGreaterThanOrEqual(19)
  })

  it('bad-payloads: each bad message fails for its stated reason; counts match; the flood is valid', () => {
    const r = run('bad-payloads', ['zj-huzhou-quarry'])
    expect(r.plan.expectedAlerts).toEqual([])
    const bad = r.messages.filter((m) => m.bad && m.bad !== 'flood')
    const counts: Partial<Record<RejectReason, number>> = {}
    for (const m of bad) {
      const reason = classify(m)
      expect(reason, `${m.topic} ${m.payload.subarray(0, 80).toString()}`).toBe(m.bad)
      if (reason !== 'ok') counts[reason] = (counts[reason] ?? 0) + 1
    }
    expect(counts).toEqual(r.plan.expectedRejects)
    expect(Object.keys(counts).sort()).toEqual(['bad_topic', 'bad_ts', 'empty', 'future_ts', 'invalid_reading', 'not_json', 'payload_too_large', 'too_many_readings', 'topic_mismatch', 'unknown_device'])
    const flood = r.messages.filter((m) => m.bad === 'flood')
    expect(flood).toHaveLength(400)
    for (const m of flood) expect(classify(m)).toBe('ok')
    expect(r.good.length).toBeGreaterThan(5000) // normal flow goes on
  })

  it('noise-exceedance: three clock hours above the GB 12348-2008 limit at one boundary monitor, none anywhere else (also over a night)', () => {
    for (const start of [START, Date.parse('2026-03-10T19:30:00+08:00')]) {
      const r = run('noise-exceedance', ['zj-huzhou-quarry'], start)
      const site = registry.site('zj-huzhou-quarry')!
      const noisy = r.plan.expectedAlerts[0]!.device!
      for (const d of site.devices.filter((x) => noiseApplies(site.noise, x.kind, x.role))) {
        const levels = r.good.filter((g) => g.m.device === d.id && g.kind === 'dust').flatMap((g) => g.readings).map((x) => ({ t: x.ts as number, value: x.noise as number }))
        const hours = noiseHourVerdicts(site.noise, levels)
        expect(hours.filter((h) => h.above).length, d.id).toBe(d.id === noisy ? NOISE_HOURS : 0)
        // no night reading reaches the sudden-noise allowance: the peak subject never fires
        expect(levels.filter((l) => isNight(site.noise, l.t) && l.value > nightPeakLimit(site.noise))).toEqual([])
        // outside the effect every valid hour is at or below limit − clearMarginDb, so the alert clears after it
        if (d.id === noisy) expect(hours.filter((h) => h.valid && !h.above).every((h) => h.leq <= h.limit - site.noise.clearMarginDb)).toBe(true)
      }
    }
  })

  it('sos: only person 1 raises the button, only in its 2 min window, reported at every gateway report meanwhile', () => {
    const r = run('sos', ['zj-huzhou-quarry'])
    expect(r.plan.expectedAlerts).toEqual([{ kind: 'sos', site: 'zj-huzhou-quarry', subject: 'zj-huzhou-quarry-P001', device: 'ZJ-UWB01', severity: 'alarm', resolved: false }])
    const calls = r.good.filter((g) => g.kind === 'locator').flatMap((g) => g.readings.map((x): Record<string, unknown> => ({ device: g.m.device, ...x }))).filter((x) => x.sos !== undefined)
    expect(calls.every((x) => x.sos === 1 && x.entityId === 'zj-huzhou-quarry-P001' && x.device === 'ZJ-UWB01')).toBe(true)
    expect(calls.every((x) => (x.ts as number) >= START + 30 * MINUTE && (x.ts as number) < START + 32 * MINUTE)).toBe(true)
    expect(calls.length).toBeGreaterThanOrEqual(20) // every 5 s report of the 2 min, not the idle 30 s
  })

  it('zone-overcrowded: maxPeople + 1 people are inside the zone together, clear of its edge; nobody else enters', () => {
    const r = run('zone-overcrowded', ['gz-kaiyang-phos'])
    const site = registry.site('gz-kaiyang-phos')!
    const z = site.zones.find((x) => x.maxPeople !== undefined)!
    const zone = z.geometry.coordinates as PolygonCoords
    const people = r.plan.expectedAlerts.filter((a) => a.kind === 'zone_intrusion').map((a) => a.subject!.split(':')[1]!)
    expect(people).toHaveLength(z.maxPeople! + 1)
    expect(r.plan.expectedAlerts.filter((a) => a.kind === 'zone_overcrowded')).toEqual([{ kind: 'zone_overcrowded', site: site.id, subject: z.id, severity: 'alarm', resolved: true }])
    const inside = (f: Fix) => pointInPolygon([f.lon, f.lat], zone) && distanceToBoundaryM([f.lon, f.lat], zone) > f.accuracyM
    const all = fixes(r.good)
    const spans = people.map((p) => {
      const mine = all.filter((f) => f.entityId === p && inside(f))
      expect(consecutive(all.filter((f) => f.entityId === p), inside), p).toBe(mine.length) // one stay
      return [mine[0]!.ts, mine[mine.length - 1]!.ts] as const
    })
    // all inside at once for more than 10 min, everyone out before the end
    expect(Math.min(...spans.map((x) => x[1])) - Math.max(...spans.map((x) => x[0]))).toBeGreaterThan(10 * MINUTE)
    expect(Math.max(...spans.map((x) => x[1]))).toBeLessThan(r.end - 10 * MINUTE)
    expect(all.filter((f) => !people.includes(f.entityId) && pointInPolygon([f.lon, f.lat], zone))).toEqual([])
  })

  it('zone-overstay: the person stays inside the zone longer than maxStayS in one stay, then leaves; nobody else enters', () => {
    const r = run('zone-overstay', ['gs-baiyin-cuzn'])
    const site = registry.site('gs-baiyin-cuzn')!
    const z = site.zones.find((x) => x.maxStayS !== undefined)!
    const zone = z.geometry.coordinates as PolygonCoords
    const person = 'gs-baiyin-cuzn-P001'
    expect(r.plan.expectedAlerts.map((a) => [a.kind, a.subject, a.device, a.resolved])).toEqual([['zone_intrusion', `${z.id}:${person}`, 'GS-UWB01', true], ['zone_overstay', `${z.id}:${person}`, 'GS-UWB01', true]])
    const inside = (f: Fix) => pointInPolygon([f.lon, f.lat], zone) && distanceToBoundaryM([f.lon, f.lat], zone) > f.accuracyM
    const all = fixes(r.good)
    const mine = all.filter((f) => f.entityId === person)
    const stay = mine.filter(inside)
    expect(consecutive(mine, inside)).toBe(stay.length)
    expect(stay[stay.length - 1]!.ts - stay[0]!.ts).toBeGreaterThan(z.maxStayS! * 1000 + 5 * MINUTE)
    // no gap longer than people.staleS within the stay (it stays continuous)
    expect(Math.max(...stay.slice(1).map((f, i) => f.ts - stay[i]!.ts))).toBeLessThanOrEqual(site.people.staleS * 1000)
    expect(mine[mine.length - 1]!.ts - stay[stay.length - 1]!.ts).toBeGreaterThan(5 * MINUTE) // seen outside afterwards
    expect(all.filter((f) => f.entityId !== person && pointInPolygon([f.lon, f.lat], zone))).toEqual([])
  })

  it('over-speed: the truck has consecutive fixes clearly inside the zone above its limit, then stopped ones; no other vehicle enters', () => {
    const r = run('over-speed', ['gs-baiyin-cuzn'])
    const site = registry.site('gs-baiyin-cuzn')!
    const z = site.zones.find((x) => x.maxSpeedKmh !== undefined)!
    const zone = z.geometry.coordinates as PolygonCoords
    const [intrusion, speeding] = r.plan.expectedAlerts
    const truck = speeding!.device!
    expect(r.plan.expectedAlerts.map((a) => [a.kind, a.subject, a.device, a.resolved])).toEqual([['zone_intrusion', `${z.id}:${truck}`, truck, true], ['over_speed', `${z.id}:${truck}`, truck, true]])
    expect(intrusion!.severity).toBe('warning')
    const mine = r.good.filter((g) => g.m.device === truck).flatMap((g) => g.readings)
    const inside = (x: Record<string, unknown>) => pointInPolygon([x.lon as number, x.lat as number], zone) && distanceToBoundaryM([x.lon as number, x.lat as number], zone) > (x.accuracyM as number)
    const n = site.fence.consecutiveFixes
    expect(consecutive(mine, (x) => inside(x) && (x.speedKmh as number) > z.maxSpeedKmh!)).toBeGreaterThanOrEqual(n + 1)
    expect(consecutive(mine, (x) => inside(x) && (x.speedKmh as number) <= z.maxSpeedKmh!)).toBeGreaterThanOrEqual(n + 10)
    // nothing else is in the zone, and the truck leaves it within the limit
    const all = fixes(r.good)
    expect(all.filter((f) => f.entityId !== truck && pointInPolygon([f.lon, f.lat], zone))).toEqual([])
    const last = mine.map((x, i) => (inside(x) ? i : -1)).filter((i) => i >= 0).pop()!
    expect(mine.slice(last - 20, last + 1).every((x) => (x.speedKmh as number) <= z.maxSpeedKmh!)).toBe(true)
  })
})

/** What ingest's checks (core/readings.ts, core/rejects.ts) make of a message, in pipeline order; 'ok' when accepted. */
function classify (m: SimMessage): RejectReason | 'ok' {
  const topic = parseTelemetryTopic(m.topic)
  if ('error' in topic) return 'bad_topic'
  const entry = registry.device(m.device)
  if (!entry) return 'unknown_device'
  if (entry.site.id !== topic.site || entry.device.kind !== topic.kind || topic.device !== m.device) return 'topic_mismatch'
  if (m.payload.length > MAX_PAYLOAD_BYTES) return 'payload_too_large'
  let body: unknown
  try { body = JSON.parse(m.payload.toString()) } catch { return 'not_json' }
  const list = Array.isArray(body) ? body : [body]
  if (list.length === 0) return 'empty'
  if (list.length > MAX_READINGS_PER_MESSAGE) return 'too_many_readings'
  for (const r of list as Array<Record<string, unknown>>) {
    if (!READING_SCHEMAS[topic.kind].safeParse(r).success) return 'invalid_reading'
    const ts = parseTimestamp(r.ts as number | string)
    if (Number.isNaN(ts)) return 'bad_ts'
    if (ts > m.t + MAX_FUTURE_MS) return 'future_ts'
  }
  return 'ok'
}
