/**
 * Finding 7 of issue 13: `GET /rejects` without `?site=` for a non-admin paged through the store
 * until it found visible rows: 41 s with one core pegged at `limit=10`, and it kept running after
 * the client left. The store now filters by the caller's sites in one query.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, api } from '../helpers/minewatch.js'
import type { Reject } from '../../core/rejects.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

const reject = (i: number, site: string | null, device: string | null): Reject => ({
  at: 1_700_000_000_000 + i, site, device, topic: `mines/${site ?? 'x'}/dust/${device ?? 'X'}`, reason: 'not_json', detail: 'payload is not JSON', count: 0, payload: `#${i}`
})

describe('GET /rejects for a caller who does not see every site', () => {
  it('answers from one store query, even when its rows are the oldest of 30,000', async () => {
    // the zj rows first (oldest), then a flood of other sites' and unattributed rejects
    await mw.state.rejects.add(Array.from({ length: 12 }, (_, i) => reject(i, SITE, 'ZJ-DUST01')))
    for (let b = 0; b < 3; b++) {
      await mw.state.rejects.add(Array.from({ length: 10_000 }, (_, i) => reject(100 + b * 10_000 + i, i % 2 ? null : 'gs-baiyin-cuzn', i % 2 ? null : 'GS-DUST01')))
    }
    const store = mw.state.rejects
    const list = store.list.bind(store)
    let calls = 0
    store.list = async (q) => { calls++; return await list(q) }
    try {
      const res = await api(mw, '/api/v1/rejects?limit=10', 'demo-regulator-zj-token')
      expect(res.status).toBe(200)
      const body = await res.json() as { items: { site: string, payload: string, id: number }[], nextBefore: number | null }
      expect(body.items.map((r) => r.payload)).toEqual(Array.from({ length: 10 }, (_, i) => `#${11 - i}`))
      expect(body.items.every((r) => r.site === SITE)).toBe(true)
      expect(calls).toBe(1)
      const next = await api(mw, `/api/v1/rejects?limit=10&before=${body.nextBefore}`, 'demo-regulator-zj-token')
      expect(((await next.json()) as { items: { payload: string }[] }).items.map((r) => r.payload)).toEqual(['#1', '#0'])
      // a regulator of every site sees attributed rejects of registry sites, never the unattributed ones
      const all = await api(mw, '/api/v1/rejects?limit=100', 'demo-regulator-all-token')
      const items = ((await all.json()) as { items: { site: string | null }[] }).items
      expect(items).toHaveLength(100)
      expect(items.every((r) => r.site !== null)).toBe(true)
    } finally {
      store.list = list
    }
  })
})
