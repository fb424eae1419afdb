/** GET /deliveries/dead and POST /deliveries/dead/:id/retry: who sees which dead letter, the receiver's answer, retrying. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHarness, bearer, TOKENS, ZJ, GS, NOW, type Harness } from './harness.js'
import { alert, transitionOf } from '../../contract/state-store.js'

let h: Harness
const ids: Record<string, string> = {}
beforeAll(async () => {
  h = await createHarness()
  // one alert per site, each with a delivery that its receiver refused
  for (const [name, site] of [['zj', ZJ], ['gs', GS]] as const) {
    const a = alert(`a-${name}`, { site })
    await h.state.alerts.transition(a, transitionOf(a, null), (t) => [{ id: `dl-${name}-${t.seq}`, subscription: 'hook', transitionSeq: t.seq, dueAt: NOW, payload: `{"site":"${site}"}` }])
    const [item] = await h.state.outbox.due(NOW, 10).then((all) => all.filter((i) => i.id.startsWith(`dl-${name}`)))
    ids[name] = item!.id
    await h.state.outbox.deadLetter(item!.id, 'alert receiver refused the delivery: HTTP 401', 'HTTP 401 {"error":"bad signature"}', NOW + (name === 'zj' ? 1 : 2))
  }
})
afterAll(async () => { await h.close() })

const get = (token: string, query = '') => h.app.inject({ url: `/api/v1/deliveries/dead${query}`, headers: bearer(token) })

describe('dead letters API', () => {
  it('an admin sees every dead letter with its site, alert and the receiver\'s answer', async () => {
    const res = await get(TOKENS.admin)
    expect(res.statusCode).toBe(200)
    const items = res.json().items as Array<Record<string, unknown>>
    expect(items.map((d) => d.id)).toEqual([ids.gs, ids.zj])
    expect(items[1]).toMatchObject({ subscription: 'hook', site: ZJ, alertId: 'a-zj', attempts: 1, answer: 'HTTP 401 {"error":"bad signature"}', payload: `{"site":"${ZJ}"}` })
    expect((await get(TOKENS.admin, '?subscription=other')).json().items).toEqual([])
    expect((await get(TOKENS.admin, '?limit=1')).json().items).toHaveLength(1)
  })

  it('an operator sees only its site\'s; a regulator none', async () => {
    expect((await get(TOKENS.operatorZj)).json().items.map((d: { id: string }) => d.id)).toEqual([ids.zj])
    expect((await get(TOKENS.operatorGs)).json().items.map((d: { id: string }) => d.id)).toEqual([ids.gs])
    const reg = await get(TOKENS.regulatorAll)
    expect(reg.statusCode).toBe(403)
    expect(reg.json().error).toBe('MW_FORBIDDEN')
    expect((await h.app.inject({ url: '/api/v1/deliveries/dead' })).statusCode).toBe(401)
  })

  it('retry puts the dead letter back in the outbox, due now; another site\'s operator gets 404', async () => {
    const post = (token: string, id: string) => h.app.inject({ method: 'POST', url: `/api/v1/deliveries/dead/${id}/retry`, headers: bearer(token) })
    expect((await post(TOKENS.operatorGs, ids.zj!)).statusCode).toBe(404)
    expect((await post(TOKENS.regulatorAll, ids.zj!)).statusCode).toBe(403)
    const res = await post(TOKENS.operatorZj, ids.zj!)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ id: ids.zj, subscription: 'hook', dueAt: NOW, attempts: 1 })
    expect((await h.state.outbox.due(NOW, 10)).map((i) => i.id)).toContain(ids.zj)
    expect((await get(TOKENS.admin)).json().items.map((d: { id: string }) => d.id)).toEqual([ids.gs])
    const again = await post(TOKENS.admin, ids.zj!)
    expect(again.statusCode).toBe(404)
    expect(again.json().error).toBe('MW_NOT_FOUND')
  })
})
