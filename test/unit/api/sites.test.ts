import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHarness, bearer, TOKENS, ZJ, GS, NOW, type Harness } from './harness.js'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
  const t = NOW - 60_000
  await h.telemetry.write([
    { site: ZJ, device: 'ZJ-DUST01', kind: 'dust', ts: t, seq: 1, values: { tsp: 0.31, pm10: 0.17, flag: 'N' } },
    { site: ZJ, device: 'ZJ-DUST01', kind: 'dust', ts: t + 30_000, seq: 2, values: { tsp: 0.33, pm10: 0.18, flag: 'N' } },
    { site: ZJ, device: 'ZJ-WM01', kind: 'water', ts: t, values: { totalM3: 1234.5, flowM3h: 12 } },
    { site: GS, device: 'GS-DUST01', kind: 'dust', ts: t, values: { tsp: 0.5, flag: 'N' } }
  ])
})
afterAll(async () => { await h.close() })

describe('GET /api/v1/sites', () => {
  it('lists every site for an admin and a "*" regulator', async () => {
    for (const token of [TOKENS.admin, TOKENS.regulatorAll]) {
      const res = await h.app.inject({ url: '/api/v1/sites', headers: bearer(token) })
      expect(res.statusCode).toBe(200)
      const ids = res.json().items.map((s: { id: string }) => s.id)
      expect(ids).toEqual(['zj-huzhou-quarry', 'gs-baiyin-cuzn', 'gz-kaiyang-phos'])
    }
  })

  it('lists only the caller\'s sites for an operator and a listed regulator', async () => {
    const op = await h.app.inject({ url: '/api/v1/sites', headers: bearer(TOKENS.operatorGs) })
    expect(op.json().items.map((s: { id: string }) => s.id)).toEqual([GS])
    const reg = await h.app.inject({ url: '/api/v1/sites', headers: bearer(TOKENS.regulatorZj) })
    const item = reg.json().items[0]
    expect(reg.json().items).toHaveLength(1)
    expect(item).toMatchObject({ id: ZJ, province: '浙江省', scaleTPerYear: 3_000_000 })
    expect(item.devices.dust).toBe(7) // 6 MQTT monitors and the HJ 212 one (ZJ-HJ-DUST01)
  })

  it('401 without a token, with a wrong token and with another scheme', async () => {
    for (const headers of [{}, bearer('not-a-configured-token'), { authorization: `Basic ${TOKENS.admin}` }]) {
      const res = await h.app.inject({ url: '/api/v1/sites', headers })
      expect(res.statusCode).toBe(401)
      expect(res.json().error).toBe('MW_UNAUTHENTICATED')
    }
  })
})

describe('GET /api/v1/sites/{site}', () => {
  it('returns registry data and never a device secret', async () => {
    const res = await h.app.inject({ url: `/api/v1/sites/${ZJ}`, headers: bearer(TOKENS.operatorZj) })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.licence).toBe('C3305002010127130099999')
    expect(body.deviceList.find((d: { id: string }) => d.id === 'ZJ-DUST01')).toMatchObject({ kind: 'dust', role: 'extraction', unit: 'ug/m3', intervalS: 60 })
    expect(body.dustLimits.map((l: { metric: string }) => l.metric)).toEqual(['tsp', 'pm10', 'pm25', 'tsp', 'tsp'])
    // legal limits name their standard and the boundary monitors it covers; the operational ones (1 h, and the crusher's 2 min) have none
    expect(body.dustLimits.map((l: { standard: string | null, roles: string[] | null }) => [l.standard, l.roles])).toEqual([
      ['GB 16297-1996', ['boundary']], ['GB 3095-2012 二级', ['boundary']], ['GB 3095-2012 二级', ['boundary']], [null, ['extraction', 'processing', 'transport']], [null, ['processing']]
    ])
    expect(res.body).not.toContain('demo-ZJ-DUST01-pw')
    expect(res.body).not.toMatch(/password|secretHash/)
  })

  it('404 for a site the caller may not see (same as a missing one) and for an unknown site', async () => {
    const other = await h.app.inject({ url: `/api/v1/sites/${GS}`, headers: bearer(TOKENS.operatorZj) })
    const missing = await h.app.inject({ url: '/api/v1/sites/no-such-site', headers: bearer(TOKENS.admin) })
    expect(other.statusCode).toBe(404)
    expect(missing.statusCode).toBe(404)
    expect(other.json()).toEqual({ error: 'MW_NOT_FOUND', message: `not found: no site '${GS}'` })
  })

  it('400 naming the parameter for a malformed site id', async () => {
    const res = await h.app.inject({ url: '/api/v1/sites/bad%20id!', headers: bearer(TOKENS.admin) })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('MW_BAD_REQUEST')
    expect(res.json().message).toContain('params.site')
  })
})

describe('GET /api/v1/sites/{site}/boundary.geojson', () => {
  it('is a FeatureCollection of the licence boundary and the zones, as application/geo+json', async () => {
    const res = await h.app.inject({ url: `/api/v1/sites/${GS}/boundary.geojson`, headers: bearer(TOKENS.operatorGs) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/geo\+json/)
    const fc = res.json()
    expect(fc.type).toBe('FeatureCollection')
    expect(fc.features.map((f: { properties: { kind: string } }) => f.properties.kind)).toEqual(['licence_boundary', 'zone', 'zone'])
    expect(fc.features[0].geometry.type).toBe('Polygon')
    expect(fc.features[0].geometry.coordinates[0][0]).toEqual([104.1457, 36.538667])
    expect(fc.features[0].properties).toMatchObject({ site: GS, licence: 'C6200002009046120088888', elevationMinM: 1650, elevationMaxM: 1980 })
    expect(fc.features[2].properties).toMatchObject({ zone: 'tailings', zoneKind: 'tailings', name: '尾矿库' })
  })

  it('404 for another operator\'s site', async () => {
    const res = await h.app.inject({ url: `/api/v1/sites/${GS}/boundary.geojson`, headers: bearer(TOKENS.operatorZj) })
    expect(res.statusCode).toBe(404)
  })
})

describe('GET /api/v1/sites/{site}/latest', () => {
  it('returns the latest reading per device with its registry name and role', async () => {
    const res = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest`, headers: bearer(TOKENS.regulatorZj) })
    expect(res.statusCode).toBe(200)
    const items = res.json().items as { device: string, ts: number, values: Record<string, unknown>, name: string, role: string }[]
    const dust = items.find((r) => r.device === 'ZJ-DUST01')!
    expect(dust).toMatchObject({ kind: 'dust', ts: NOW - 30_000, seq: 2, name: '扬尘监测 1', role: 'extraction', values: { tsp: 0.33, pm10: 0.18, flag: 'N' } })
    expect(items.find((r) => r.device === 'ZJ-WM01')).toMatchObject({ role: 'fresh_intake', values: { totalM3: 1234.5 } })
    expect(items.some((r) => r.device.startsWith('GS-'))).toBe(false)
  })

  it('filters by kind and device; 400 for a device of another site or an unknown kind', async () => {
    const byKind = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest?kind=water`, headers: bearer(TOKENS.admin) })
    expect(byKind.json().items.map((r: { device: string }) => r.device)).toEqual(['ZJ-WM01'])
    const byDevice = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest?device=ZJ-DUST01`, headers: bearer(TOKENS.admin) })
    expect(byDevice.json().items).toHaveLength(1)
    const wrong = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest?device=GS-DUST01`, headers: bearer(TOKENS.admin) })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().message).toContain("device: 'GS-DUST01' is not a device of site")
    const kind = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest?kind=plasma`, headers: bearer(TOKENS.admin) })
    expect(kind.statusCode).toBe(400)
    expect(kind.json().message).toContain('querystring.kind')
  })

  it('404 for another operator\'s site', async () => {
    const res = await h.app.inject({ url: `/api/v1/sites/${ZJ}/latest`, headers: bearer(TOKENS.operatorGs) })
    expect(res.statusCode).toBe(404)
  })
})
