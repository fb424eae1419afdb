import { describe, it, expect, beforeAll } from 'vitest'
import { join } from 'node:path'
import { loadConfig, parseConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { pointInPolygon, distanceToBoundaryM, type PolygonCoords } from '../../../core/geo.js'
import { beijingDayStart, DAY, HOUR, MINUTE } from '../../../core/time.js'
import { Simulation } from '../../../simulators/simulation.js'
import { prepareRun } from '../../../simulators/prepare.js'
import { simulationHintProblems } from '../../../simulators/geometry.js'
import { decode, dustSeries, fixes, recyclingRate, waterVolumes, type Decoded } from './analyse.js'

const registry = new Registry(loadConfig(join(import.meta.dirname, '../../../config/demo.yaml')).config)
// 00:00 Beijing, mid-month: a whole Beijing day
const DAY_START = Date.parse('2026-03-10T00:00:00+08:00')

describe('normal-day on the demo sites', () => {
  let zj: Decoded[]
  let all: Decoded[]
  beforeAll(() => {
    const run = prepareRun({ registry, scenario: 'normal-day', sites: ['zj-huzhou-quarry'], seed: 1, start: DAY_START })
    zj = [...run.sim.until(run.end)].map(decode)
    const six = prepareRun({ registry, scenario: 'normal-day', seed: 3, start: DAY_START + 6 * HOUR, durationMs: 3 * HOUR })
    all = [...six.sim.until(six.end)].map(decode)
  })

  it('simulation hints of the demo sites are clear of the boundary and zones', () => {
    for (const s of registry.sites) expect(simulationHintProblems(s)).toEqual([])
  })

  it('every payload validates against the device contract (decode throws otherwise) and covers every device', () => {
    expect(zj.length).toBeGreaterThan(300_000)
    const seen = new Set(all.map((d) => d.m.device))
    for (const e of registry.devices()) expect(seen.has(e.device.id), e.device.id).toBe(true)
  })

  it('every device sends its first reading within 3 s of the start', () => {
    const first = new Map<string, number>()
    for (const d of all) if (!first.has(d.m.device)) first.set(d.m.device, d.m.t)
    for (const [device, t] of first) expect(t - (DAY_START + 6 * HOUR), device).toBeLessThanOrEqual(3000)
  })

  it('no device is silent longer than its offline threshold (offlineFactor × intervalS)', () => {
    const last = new Map<string, number>()
    const factor = registry.config.alerts.offlineFactor
    const late: string[] = []
    for (const d of all) {
      const prev = last.get(d.m.device)
      const interval = registry.device(d.m.device)!.device.intervalS * 1000
      if (prev !== undefined && d.m.t - prev >= factor * interval) late.push(`${d.m.device} silent ${(d.m.t - prev) / 1000} s`)
      last.set(d.m.device, d.m.t)
    }
    expect(late).toEqual([])
  })

  it('dust stays below every default limit in every single reading (so no window average can exceed)', () => {
    for (const d of registry.sites.flatMap((s) => s.devices).filter((x) => x.kind === 'dust')) {
      const series = dustSeries(registry, d.id.startsWith('ZJ') ? zj : all, d.id)
      expect(series.length).toBeGreaterThan(150)
      const bad = series.filter((r) => !(r.tsp < 0.8 && r.pm10 < 0.15 && r.pm25 < 0.075 && r.flag === 'N' && r.pm25 < r.pm10 && r.pm10 < r.tsp))
      expect(bad.slice(0, 3), d.id).toEqual([])
      const ratio = series.reduce((a, r) => a + r.pm10 / r.tsp, 0) / series.length
      expect(ratio).toBeGreaterThan(0.55)
      expect(ratio).toBeLessThan(0.72)
    }
  })

  it('dust follows the working day: day shift dustier than night', () => {
    const s = dustSeries(registry, zj, 'ZJ-DUST01')
    const hour = (ts: number) => ((ts - DAY_START) / HOUR) % 24
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const day = mean(s.filter((r) => hour(r.ts) >= 8 && hour(r.ts) < 18).map((r) => r.tsp))
    const night = mean(s.filter((r) => hour(r.ts) < 5).map((r) => r.tsp))
    expect(day).toBeGreaterThan(1.5 * night)
  })

  it('the Beijing-day recycling rate is within 0.88–0.93 on every site (site formula)', () => {
    const rate = recyclingRate(registry, 'zj-huzhou-quarry', waterVolumes(zj, beijingDayStart(DAY_START), beijingDayStart(DAY_START) + DAY))
    expect(rate).toBeGreaterThan(0.88)
    expect(rate).toBeLessThan(0.93)
    for (const site of ['gs-baiyin-cuzn', 'gz-kaiyang-phos']) {
      const r = recyclingRate(registry, site, waterVolumes(all, 0, Infinity))
      expect(r, site).toBeGreaterThan(0.88)
      expect(r, site).toBeLessThan(0.93)
    }
  })

  it('trucks and people stay inside the boundary, clear of zones, with their accuracy circle', () => {
    const bad: string[] = []
    let n = 0
    for (const f of [...fixes(zj), ...fixes(all)]) {
      n++
      const site = registry.site(f.site)!
      const boundary = site.boundary.coordinates as PolygonCoords
      const p: [number, number] = [f.lon, f.lat]
      if (!pointInPolygon(p, boundary) || distanceToBoundaryM(p, boundary) <= f.accuracyM) bad.push(`${f.entityId} at ${p} outside or on the fence`)
      for (const z of site.zones) {
        const poly = z.geometry.coordinates as PolygonCoords
        if (pointInPolygon(p, poly) || distanceToBoundaryM(p, poly) <= f.accuracyM) bad.push(`${f.entityId} at ${p} in or on zone ${z.id}`)
      }
    }
    expect(n).toBeGreaterThan(1_000_000)
    expect(bad.slice(0, 5)).toEqual([])
  })

  it('trucks report as their own device; people in arrays from personnel devices', () => {
    const fx = fixes(zj)
    for (const f of fx.filter((x) => x.entity === 'vehicle')) expect(f.entityId).toBe(f.device)
    const people = new Set(fx.filter((x) => x.entity === 'person').map((x) => x.entityId))
    expect(people.size).toBe(registry.site('zj-huzhou-quarry')!.simulation!.people)
    const arrays = zj.filter((d) => d.m.device === 'ZJ-UWB01')
    expect(Math.max(...arrays.map((d) => d.readings.length))).toBeGreaterThan(5)
    // idle people are reported every 30 s, moving ones every report: fewer readings than people × reports
    const total = arrays.reduce((n, d) => n + d.readings.length, 0)
    expect(total).toBeLessThan(arrays.length * 60)
  })

  it('truck scale: one load of 30–90 t per ore truck cycle; production near 0.8 × licence pace', () => {
    const loads = zj.filter((d) => d.m.device === 'ZJ-TS01').flatMap((d) => d.readings)
    expect(loads.filter((r) => (r.tonnes as number) < 30 || (r.tonnes as number) > 90)).toEqual([])
    const trucks = new Set(loads.map((r) => r.truckId))
    for (const t of trucks) expect(registry.device(t as string)?.device.role).toBe('vehicle')
    const pace = 3_000_000 / 8760 * 24
    const total = loads.reduce((a, r) => a + (r.tonnes as number), 0)
    expect(total / pace).toBeGreaterThan(0.7)
    expect(total / pace).toBeLessThan(1.05)
    const belts = zj.filter((d) => d.m.device.startsWith('ZJ-BS')).flatMap((d) => d.readings).reduce((a, r) => a + (r.tonnes as number), 0)
    expect(belts / pace).toBeGreaterThan(0.7)
    expect(belts / pace).toBeLessThan(1.05)
  })
})

describe('determinism', () => {
  const take = (seed: number, n: number) => {
    const sim = new Simulation({ registry, seed, start: DAY_START })
    const out: string[] = []
    for (const m of sim.until(DAY_START + 30 * MINUTE)) { out.push(`${m.t} ${m.topic} ${m.payload.toString()}`); if (out.length >= n) break }
    return out
  }

  it('the same seed gives the identical payload sequence; another seed does not', () => {
    const a = take(7, 15_000); const b = take(7, 15_000); const c = take(8, 15_000)
    expect(a.length).toBe(15_000)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it('timestamps are non-decreasing integers and sequence numbers increase per device', () => {
    const sim = new Simulation({ registry, seed: 1, start: DAY_START })
    let last = 0
    const seq = new Map<string, number>()
    const bad: string[] = []
    for (const m of sim.until(DAY_START + 20 * MINUTE)) {
      if (m.t < last || !Number.isInteger(m.t)) bad.push(`${m.device} t ${m.t} after ${last}`)
      last = m.t
      const body = JSON.parse(m.payload.toString())
      for (const r of Array.isArray(body) ? body : [body]) {
        if (!(r.seq > (seq.get(m.device) ?? 0))) bad.push(`${m.device} seq ${r.seq}`)
        seq.set(m.device, r.seq)
      }
    }
    expect(bad).toEqual([])
  })
})

describe('a new site file simulates without code', () => {
  it('simulates a site with no simulation hints from its registry entries', () => {
    const yaml = `
demo: true
sites:
  - id: new-site
    name: 新矿
    province: 测试
    licence: X1
    scaleTPerYear: 500000
    boundary: { type: Polygon, coordinates: [[[110, 30], [110.01, 30], [110.01, 30.01], [110, 30.01], [110, 30]]] }
    dust: { limits: [ { metric: tsp, limit: 1.0, windowS: 3600, standard: GB 16297-1996 } ] }
    devices:
      - { id: N-D1, kind: dust, unit: ng/m3, intervalS: 30, password: n-d1-password }
      - { id: N-W1, kind: water, role: fresh_intake, intervalS: 60, password: n-w1-password }
      - { id: N-W2, kind: water, role: recycled_return, intervalS: 60, password: n-w2-password }
      - { id: N-L1, kind: locator, role: personnel, intervalS: 2, password: n-l1-password }
      - { id: N-T1, kind: locator, role: vehicle, intervalS: 1, password: n-t1-password }
      - { id: N-S1, kind: ore, role: truck_scale, intervalS: 600, password: n-s1-password }
      - { id: N-B1, kind: ore, role: belt_scale, intervalS: 10, password: n-b1-password }
      - { id: N-G1, kind: status, intervalS: 60, password: n-g1-password }
`
    const reg = new Registry(parseConfig(yaml, 'new.yaml').config)
    const sim = new Simulation({ registry: reg, seed: 1, start: DAY_START })
    const decoded = [...sim.until(DAY_START + 2 * HOUR)].map(decode)
    const devices = new Set(decoded.map((d) => d.m.device))
    expect([...devices].sort()).toEqual(['N-B1', 'N-D1', 'N-G1', 'N-L1', 'N-S1', 'N-T1', 'N-W1', 'N-W2'])
    const boundary = reg.site('new-site')!.boundary.coordinates as PolygonCoords
    for (const f of fixes(decoded)) expect(pointInPolygon([f.lon, f.lat], boundary)).toBe(true)
    const dust = decoded.find((d) => d.m.device === 'N-D1')!.readings[0]!
    expect(dust.tsp as number).toBeGreaterThan(10_000) // ng/m³
  })
})
