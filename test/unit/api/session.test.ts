import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHarness, bearer, TOKENS, ZJ, GS, type Harness } from './harness.js'
import { cookieValue, SESSION_IDLE_MS, SessionStore } from '../../../api/auth/session.js'
import { ManualClock } from '../../../core/clock.js'

let h: Harness
beforeAll(async () => { h = await createHarness() })
afterAll(async () => { await h.close() })

async function login (token: string): Promise<{ cookie: string, csrf: string, setCookie: string }> {
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: bearer(token) })
  expect(res.statusCode).toBe(200)
  const setCookie = String(res.headers['set-cookie'])
  return { cookie: setCookie.split(';')[0]!, csrf: (res.json() as { csrf: string }).csrf, setCookie }
}

describe('console sessions (api/auth/session.ts)', () => {
  it('a login with an API token sets an HttpOnly SameSite=Strict cookie and answers who it is', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: bearer(TOKENS.operatorZj) })
    expect(res.statusCode).toBe(200)
    const setCookie = String(res.headers['set-cookie'])
    expect(setCookie).toMatch(/^mw_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/)
    expect(res.json()).toMatchObject({ name: '长兴矿调度室', role: 'operator', sites: [ZJ] })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('refuses a login without a token or with a wrong one', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/session' })).statusCode).toBe(401)
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/session', headers: bearer('not-a-token') })
    expect(bad.statusCode).toBe(401)
    expect(bad.headers['set-cookie']).toBeUndefined()
  })

  it('the cookie authenticates reads with the same site visibility as the token', async () => {
    const { cookie } = await login(TOKENS.operatorZj)
    const sites = await h.app.inject({ url: '/api/v1/sites', headers: { cookie } })
    expect(sites.statusCode).toBe(200)
    expect((sites.json() as { items: { id: string }[] }).items.map((s) => s.id)).toEqual([ZJ])
    expect((await h.app.inject({ url: `/api/v1/sites/${GS}`, headers: { cookie } })).statusCode).toBe(404)
    expect((await h.app.inject({ url: `/api/v1/alerts?site=${GS}`, headers: { cookie } })).statusCode).toBe(403)
    const me = await h.app.inject({ url: '/api/v1/session', headers: { cookie } })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ role: 'operator', sites: [ZJ] })
  })

  it('state-changing requests with the cookie need the session CSRF token; with it, the ack is recorded by the token name', async () => {
    const { cookie, csrf } = await login(TOKENS.operatorZj)
    const alert = await h.alerts.fire(ZJ, 'dust_exceedance', { subject: 'ZJ-DUST01:tsp' })
    const url = `/api/v1/alerts/${alert.id}/ack`
    const none = await h.app.inject({ method: 'POST', url, headers: { cookie }, payload: { note: 'x' } })
    expect(none.statusCode).toBe(403)
    expect(none.json().message).toMatch(/x-csrf-token/)
    const wrong = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf.slice(1) + 'A' }, payload: { note: 'x' } })
    expect(wrong.statusCode).toBe(403)
    const other = await login(TOKENS.operatorZj) // another session's token does not do either
    expect((await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': other.csrf }, payload: { note: 'x' } })).statusCode).toBe(403)
    const ok = await h.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf }, payload: { note: '洒水' } })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ state: 'acknowledged', ackedBy: '长兴矿调度室', ackNote: '洒水' })
  })

  it('a bearer token wins over a cookie (API clients need no CSRF token)', async () => {
    const { cookie } = await login(TOKENS.operatorZj)
    const res = await h.app.inject({ url: `/api/v1/sites/${GS}`, headers: { cookie, ...bearer(TOKENS.admin) } })
    expect(res.statusCode).toBe(200)
  })

  it('logout needs the CSRF token, ends the session and clears the cookie', async () => {
    const { cookie, csrf } = await login(TOKENS.regulatorAll)
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(403)
    const out = await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrf } })
    expect(out.statusCode).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/^mw_session=; .*Max-Age=0/)
    const after = await h.app.inject({ url: '/api/v1/sites', headers: { cookie } })
    expect(after.statusCode).toBe(401)
    expect(after.json().message).toMatch(/log in again/)
    expect((await h.app.inject({ url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(204)
  })

  it('an unknown cookie is 401, not a fallback to anonymous', async () => {
    const res = await h.app.inject({ url: '/api/v1/sites', headers: { cookie: 'mw_session=forged' } })
    expect(res.statusCode).toBe(401)
  })

  it('the alert stream accepts the cookie and keeps to the session\'s sites', async () => {
    const { cookie } = await login(TOKENS.operatorZj)
    expect((await h.app.inject({ url: `/api/v1/alerts/stream?site=${GS}`, headers: { cookie } })).statusCode).toBe(403)
  })
})

describe('SessionStore', () => {
  it('ends a session idle for longer than SESSION_IDLE_MS; use keeps it alive', () => {
    const clock = new ManualClock(0)
    const store = new SessionStore(clock)
    const s = store.create({ name: 'a', role: 'operator', sites: [ZJ] })
    clock.advance(SESSION_IDLE_MS - 1)
    expect(store.get(s.id)).toBeDefined()
    clock.advance(SESSION_IDLE_MS - 1)
    expect(store.get(s.id)).toBeDefined()
    clock.advance(SESSION_IDLE_MS + 1)
    expect(store.get(s.id)).toBeUndefined()
  })

  it('reads one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; mw_session=abc; b=2', 'mw_session')).toBe('abc')
    expect(cookieValue('xmw_session=abc', 'mw_session')).toBeUndefined()
    expect(cookieValue(undefined, 'mw_session')).toBeUndefined()
  })
})
