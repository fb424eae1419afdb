import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Reject } from '../../../core/rejects.js'
import { createHarness, bearer, TOKENS, ZJ, GS, NOW, type Harness } from './harness.js'

let h: Harness
const reject = (i: number, site: string | null, device: string | null, reason: Reject['reason']): Reject => ({
  at: NOW + i, site, device, topic: `mines/${site ?? 'x'}/dust/${device ?? 'x'}`, reason, detail: `detail ${i}`, count: 1, payload: `{"n":${i}}`
})
beforeAll(async () => {
  h = await createHarness()
  const rows: Reject[] = []
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 0) rows.push(reject(i, ZJ, 'ZJ-DUST01', 'invalid_reading'))
    else if (i % 3 === 1) rows.push(reject(i, GS, 'GS-DUST01', 'not_json'))
    else rows.push(reject(i, null, 'ROGUE-1', 'unknown_device'))
  }
  await h.state.rejects.add(rows)
})
afterAll(async () => { await h.close() })

describe('GET /api/v1/rejects', () => {
  it('admin sees every reject, newest first, and pages with before', async () => {
    const first = await h.app.inject({ url: '/api/v1/rejects?limit=4', headers: bearer(TOKENS.admin) })
    expect(first.statusCode).toBe(200)
    const page1 = first.json()
    expect(page1.items.map((r: { detail: string }) => r.detail)).toEqual(['detail 29', 'detail 28', 'detail 27', 'detail 26'])
    expect(page1.items[0]).toMatchObject({ site: null, device: 'ROGUE-1', reason: 'unknown_device', payload: '{"n":29}', count: 1, topic: 'mines/x/dust/ROGUE-1' })
    const second = await h.app.inject({ url: `/api/v1/rejects?limit=4&before=${page1.nextBefore}`, headers: bearer(TOKENS.admin) })
    expect(second.json().items.map((r: { detail: string }) => r.detail)).toEqual(['detail 25', 'detail 24', 'detail 23', 'detail 22'])
  })

  it('an operator sees only its site, without naming it, across store pages', async () => {
    const res = await h.app.inject({ url: '/api/v1/rejects?limit=5', headers: bearer(TOKENS.operatorZj) })
    const items = res.json().items
    expect(items.map((r: { detail: string }) => r.detail)).toEqual(['detail 27', 'detail 24', 'detail 21', 'detail 18', 'detail 15'])
    const next = await h.app.inject({ url: `/api/v1/rejects?limit=5&before=${res.json().nextBefore}`, headers: bearer(TOKENS.operatorZj) })
    expect(next.json().items.map((r: { detail: string }) => r.detail)).toEqual(['detail 12', 'detail 9', 'detail 6', 'detail 3', 'detail 0'])
  })

  it('a "*" regulator does not see rejects without a site (admins only)', async () => {
    const res = await h.app.inject({ url: '/api/v1/rejects?limit=1000', headers: bearer(TOKENS.regulatorAll) })
    expect(res.json().items).toHaveLength(20)
    expect(res.json().items.every((r: { site: string | null }) => r.site !== null)).toBe(true)
    expect(res.json().nextBefore).toBeNull()
  })

  it('filters by site, device and reason', async () => {
    const bySite = await h.app.inject({ url: `/api/v1/rejects?site=${GS}&limit=1000`, headers: bearer(TOKENS.admin) })
    expect(bySite.json().items).toHaveLength(10)
    const byReason = await h.app.inject({ url: '/api/v1/rejects?reason=unknown_device&limit=1000', headers: bearer(TOKENS.admin) })
    expect(byReason.json().items).toHaveLength(10)
    const byDevice = await h.app.inject({ url: '/api/v1/rejects?device=GS-DUST01&limit=3', headers: bearer(TOKENS.operatorGs) })
    expect(byDevice.json().items.map((r: { device: string }) => r.device)).toEqual(['GS-DUST01', 'GS-DUST01', 'GS-DUST01'])
  })

  it('403 for another site, another site\'s device, or an unknown device (non-admin)', async () => {
    for (const q of [`site=${GS}`, 'device=GS-DUST01', 'device=ROGUE-1']) {
      const res = await h.app.inject({ url: `/api/v1/rejects?${q}`, headers: bearer(TOKENS.operatorZj) })
      expect(res.statusCode, q).toBe(403)
    }
  })

  it('400 for a bad reason or limit', async () => {
    for (const q of ['reason=bogus', 'limit=0', 'limit=5000', 'before=-1']) {
      const res = await h.app.inject({ url: `/api/v1/rejects?${q}`, headers: bearer(TOKENS.admin) })
      expect(res.statusCode, q).toBe(400)
      expect(res.json().message).toMatch(/querystring\.(reason|limit|before)/)
    }
  })
})
