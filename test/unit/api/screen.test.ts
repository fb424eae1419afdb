import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify from 'fastify'
import { createHarness, bearer, TOKENS, ZJ, GS, GZ, type Harness } from './harness.js'
import { rankOverview, type OverviewRow } from '../../../api/reports/screen.js'
import consoleRoutes from '../../../api/routes/console.js'
import { tempDir } from '../../helpers/ports.js'

let h: Harness
beforeAll(async () => { h = await createHarness() })
afterAll(async () => { await h.close() })

describe('GET /sites/{site}/screen', () => {
  it('gives today\'s report, ore to date against the licence, devices online per kind and open alerts', async () => {
    const offline = await h.alerts.fire(ZJ, 'device_offline', { subject: 'ZJ-DUST02' })
    const dust = await h.alerts.fire(ZJ, 'dust_exceedance', { subject: 'ZJ-DUST01:tsp', severity: 'alarm' })
    const res = await h.app.inject({ url: `/api/v1/sites/${ZJ}/screen`, headers: bearer(TOKENS.operatorZj) })
    expect(res.statusCode).toBe(200)
    const s = res.json()
    expect(s.today).toMatchObject({ site: ZJ, partial: true })
    expect(s.ore).toMatchObject({ monthShareT: 3_000_000 / 12, licenceT: 3_000_000, monthT: 0, yearT: 0 })
    const dustOnline = s.online.find((k: { kind: string }) => k.kind === 'dust')
    const site = h.deps.registry.site(ZJ)!
    const nDust = site.devices.filter((d) => d.kind === 'dust').length
    expect(dustOnline).toEqual({ kind: 'dust', devices: nDust, online: nDust - 1, rate: (nDust - 1) / nDust })
    expect(s.openAlerts.map((a: { id: string }) => a.id).sort()).toEqual([offline.id, dust.id].sort())
    await h.alerts.resolve(offline.id)
    await h.alerts.resolve(dust.id)
  })

  it('is 404 for a site the caller may not see', async () => {
    expect((await h.app.inject({ url: `/api/v1/sites/${GS}/screen`, headers: bearer(TOKENS.operatorZj) })).statusCode).toBe(404)
  })
})

describe('GET /overview', () => {
  it('ranks the caller\'s sites, the one needing attention first, and shows no other site', async () => {
    const a = await h.alerts.fire(GS, 'boundary_breach', { subject: 'P-007', severity: 'alarm' })
    const all = await h.app.inject({ url: '/api/v1/overview', headers: bearer(TOKENS.regulatorAll) })
    expect(all.statusCode).toBe(200)
    const items = all.json().items as OverviewRow[]
    expect(items.map((i) => i.site).sort()).toEqual([GS, GZ, ZJ].sort())
    expect(items[0]).toMatchObject({ site: GS, rank: 1, openAlarms: 1, boundaryBreachesMonth: 1 })
    const zj = await h.app.inject({ url: '/api/v1/overview', headers: bearer(TOKENS.operatorZj) })
    expect((zj.json().items as OverviewRow[]).map((i) => i.site)).toEqual([ZJ])
    await h.alerts.resolve(a.id)
  })

  it('orders by open alarms, then breaches, exceedance minutes, recycling below floor, open alerts, completeness', () => {
    const base = { name: '', province: '', openAlerts: 0, openAlarms: 0, exceedanceMinutesToday: 0, recyclingRate: 0.9, recyclingBelowFloor: false, recyclingFloor: 0.85, boundaryBreachesMonth: 0, completeness: 1, boundary: { type: 'Polygon' as const, coordinates: [] } }
    const ranked = rankOverview([
      { ...base, site: 'f', completeness: 0.5 },
      { ...base, site: 'e', openAlerts: 2 },
      { ...base, site: 'd', recyclingBelowFloor: true },
      { ...base, site: 'c', exceedanceMinutesToday: 12 },
      { ...base, site: 'b', boundaryBreachesMonth: 1 },
      { ...base, site: 'a', openAlarms: 1 },
      { ...base, site: 'g' }
    ])
    expect(ranked.map((r) => `${r.rank}${r.site}`)).toEqual(['1a', '2b', '3c', '4d', '5e', '6f', '7g'])
  })
})

describe('console static files (api/routes/console.ts)', () => {
  it('serves index.html and hashed assets, gzipped on request, with a CSP that allows no other script source', async () => {
    const dir = tempDir('minewatch-console-')
    try {
      mkdirSync(join(dir.path, 'assets'))
      writeFileSync(join(dir.path, 'index.html'), '<!doctype html><script type="module" src="/assets/app-X.js"></script>')
      writeFileSync(join(dir.path, 'assets', 'app-X.js'), 'console.log("x");'.repeat(200))
      const app = Fastify()
      await app.register(consoleRoutes, { dir: dir.path })
      const index = await app.inject({ url: '/' })
      expect(index.statusCode).toBe(200)
      expect(index.headers['content-type']).toMatch(/text\/html/)
      expect(index.headers['cache-control']).toBe('no-cache')
      expect(index.headers['content-security-policy']).toContain("script-src 'self'")
      expect(index.headers['content-security-policy']).toContain("connect-src 'self'")
      const js = await app.inject({ url: '/assets/app-X.js', headers: { 'accept-encoding': 'gzip, br' } })
      expect(js.headers['content-encoding']).toBe('gzip')
      expect(js.headers['cache-control']).toMatch(/immutable/)
      expect(gunzipSync(js.rawPayload).toString()).toContain('console.log')
      expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404)
      expect((await app.inject({ url: '/assets/..%2findex.html' })).statusCode).toBe(404)
      await app.close()
    } finally { dir.remove() }
  })

  it('says how to build it when the console was not built', async () => {
    const dir = tempDir('minewatch-console-')
    const app = Fastify()
    await app.register(consoleRoutes, { dir: join(dir.path, 'nothing') })
    const res = await app.inject({ url: '/' })
    expect(res.statusCode).toBe(503)
    expect(res.body).toMatch(/npm run build/)
    await app.close()
    dir.remove()
  })
})
