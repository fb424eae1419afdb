import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHarness, bearer, TOKENS, ZJ, GS, type Harness } from './harness.js'

const T0 = Date.parse('2025-03-01T09:00:00+08:00')
let h: Harness
beforeAll(async () => {
  h = await createHarness()
  const readings = []
  for (let i = 0; i < 6; i++) {
    readings.push({ site: ZJ, device: 'ZJ-DUST01', kind: 'dust' as const, ts: T0 + i * 30_000, values: { tsp: 0.1 * (i + 1), flag: 'N' } })
    readings.push({ site: ZJ, device: 'ZJ-DUST02', kind: 'dust' as const, ts: T0 + i * 30_000, values: { tsp: 1, flag: 'N' } })
  }
  await h.telemetry.write(readings)
})
afterAll(async () => { await h.close() })

const url = (q: string) => `/api/v1/series?${q}`

describe('GET /api/v1/series', () => {
  it('aggregates one field per device per step, from/to as RFC 3339 or epoch ms', async () => {
    const res = await h.app.inject({ url: url(`site=${ZJ}&kind=dust&field=tsp&device=ZJ-DUST01&from=2025-03-01T09:00:00%2B08:00&to=${T0 + 180_000}&step=1m&agg=mean`), headers: bearer(TOKENS.operatorZj) })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ site: ZJ, kind: 'dust', field: 'tsp', unit: 'mg/m³', agg: 'mean', from: T0, to: T0 + 180_000, stepMs: 60_000 })
    // minute 0: 0.1, 0.2 → 0.15; minute 1: 0.3, 0.4 → 0.35; minute 2: 0.5, 0.6 → 0.55
    expect(body.points.map((p: { t: number }) => p.t)).toEqual([T0, T0 + 60_000, T0 + 120_000])
    expect(body.points.map((p: { value: number }) => p.value).map((v: number) => Math.round(v * 1000) / 1000)).toEqual([0.15, 0.35, 0.55])
  })

  it('returns every device of the kind when no device is given; max, count and ms steps work', async () => {
    const res = await h.app.inject({ url: url(`site=${ZJ}&kind=dust&field=tsp&from=${T0}&to=${T0 + 180_000}&step=180000&agg=max`), headers: bearer(TOKENS.admin) })
    const points = res.json().points
    expect(points).toEqual([{ device: 'ZJ-DUST01', t: T0, value: 0.6000000000000001 }, { device: 'ZJ-DUST02', t: T0, value: 1 }].map((p) => ({ ...p, value: expect.closeTo(p.value, 9) })))
    const count = await h.app.inject({ url: url(`site=${ZJ}&kind=dust&field=tsp&from=${T0}&to=${T0 + 180_000}&step=1h&agg=count`), headers: bearer(TOKENS.admin) })
    expect(count.json().points.map((p: { value: number }) => p.value)).toEqual([6, 6])
  })

  it('defaults: to = now, from = to − 1 h, step 1m, agg mean', async () => {
    const res = await h.app.inject({ url: url(`site=${ZJ}&kind=dust&field=tsp`), headers: bearer(TOKENS.admin) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ from: h.clock.now() - 3_600_000, to: h.clock.now(), stepMs: 60_000, agg: 'mean' })
    expect(res.json().points).toHaveLength(6)
  })

  it.each([
    ['field=nope', 'querystring.field', "'nope' is not a numeric field of dust: use one of tsp, pm10, pm25"],
    ['field=flag', 'querystring.field', "'flag' is not a numeric field of dust"],
    [`field=tsp&from=${T0}&to=${T0}`, 'querystring.to', 'to must be after from'],
    ['field=tsp&from=yesterday', 'querystring.from', "'yesterday' is neither RFC 3339"],
    ['field=tsp&from=2025-03-01T09:00:00', 'querystring.from', 'is neither RFC 3339 with an offset'],
    ['field=tsp&step=5x', 'querystring.step', "'5x' is not a step"],
    ['field=tsp&step=0', 'querystring.step', "'0' is not a step"],
    ['field=tsp&agg=median', 'querystring.agg', 'querystring.agg'],
    [`field=tsp&from=${T0 - 86_400_000 * 10}&to=${T0}&step=1m`, 'step: 14400 buckets', 'at most 10000'],
    ['field=tsp&device=GS-DUST01', "device: 'GS-DUST01' is not a dust device of site", 'zj-huzhou-quarry'],
    ['field=tsp&device=ZJ-WM01', "device: 'ZJ-WM01' is not a dust device", 'zj-huzhou-quarry'],
    ['field=tsp&entityId=p1', 'entityId: applies to kind locator only', 'entityId']
  ])('400 for %s', async (q, a, b) => {
    const res = await h.app.inject({ url: url(`site=${ZJ}&kind=dust&${q}`), headers: bearer(TOKENS.admin) })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('MW_BAD_REQUEST')
    expect(res.json().message).toContain(a)
    expect(res.json().message).toContain(b)
  })

  it('400 for a missing site or kind', async () => {
    const res = await h.app.inject({ url: url('field=tsp'), headers: bearer(TOKENS.admin) })
    expect(res.statusCode).toBe(400)
    expect(res.json().details.map((d: { path: string }) => d.path)).toEqual(['querystring.site', 'querystring.kind'])
  })

  it('403 for a site outside the token, 404 for an unknown site', async () => {
    const other = await h.app.inject({ url: url(`site=${GS}&kind=dust&field=tsp`), headers: bearer(TOKENS.operatorZj) })
    expect(other.statusCode).toBe(403)
    expect(other.json().error).toBe('MW_FORBIDDEN')
    const unknownForLimited = await h.app.inject({ url: url('site=nowhere&kind=dust&field=tsp'), headers: bearer(TOKENS.regulatorZj) })
    expect(unknownForLimited.statusCode).toBe(403)
    const unknown = await h.app.inject({ url: url('site=nowhere&kind=dust&field=tsp'), headers: bearer(TOKENS.admin) })
    expect(unknown.statusCode).toBe(404)
  })
})
