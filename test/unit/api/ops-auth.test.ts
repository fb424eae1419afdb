import { describe, it, expect, afterAll, beforeAll } from 'vitest'
import { hashSecret } from '../../../core/secrets.js'
import { TokenAuthenticator, bearerToken } from '../../../api/auth/tokens.js'
import { RateLimiter } from '../../../api/rate-limit.js'
import { ManualClock } from '../../../core/clock.js'
import { createHarness, bearer, testConfig, TOKENS, type Harness } from './harness.js'

describe('operations routes with openOps (default)', () => {
  let h: Harness
  beforeAll(async () => { h = await createHarness() })
  afterAll(async () => { await h.close() })

  it('GET /healthz needs no token', async () => {
    const res = await h.app.inject({ url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ok: true })
  })

  it('GET /readyz reports the checks, 503 when not ready', async () => {
    const ok = await h.app.inject({ url: '/readyz' })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toEqual({ ready: true, checks: { store: { ok: true } } })
    h.ready.value = false
    const down = await h.app.inject({ url: '/readyz' })
    h.ready.value = true
    expect(down.statusCode).toBe(503)
    expect(down.json()).toEqual({ ready: false, checks: { store: { ok: false, detail: 'store down (test)' } } })
  })

  it('GET /metrics is Prometheus text and counts API requests by route and status', async () => {
    await h.app.inject({ url: '/api/v1/sites', headers: bearer(TOKENS.admin) })
    await h.app.inject({ url: '/api/v1/sites' })
    const res = await h.app.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.body).toContain('minewatch_http_requests_total{route="/api/v1/sites",status="200"} 1')
    expect(res.body).toContain('minewatch_http_requests_total{route="/api/v1/sites",status="401"} 1')
  })

  it('unknown URLs get a JSON 404', async () => {
    const res = await h.app.inject({ url: '/api/v1/nothing-here', headers: bearer(TOKENS.admin) })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'MW_NOT_FOUND', message: 'not found: no route GET /api/v1/nothing-here' })
  })

  it('logs one line per request with the token name and the Authorization header redacted', async () => {
    h.logs.length = 0
    await h.app.inject({ url: '/api/v1/sites', headers: { ...bearer(TOKENS.operatorZj), 'user-agent': 'vitest' } })
    const text = JSON.stringify(h.logs)
    expect(text).not.toContain(TOKENS.operatorZj)
    const line = h.logs.find((l) => l.msg === 'request completed')!
    expect(line).toMatchObject({
      caller: '长兴矿调度室',
      request: { method: 'GET', url: '/api/v1/sites', route: '/api/v1/sites', headers: { authorization: '[redacted]', 'user-agent': 'vitest' } },
      response: { statusCode: 200 }
    })
    expect(typeof line.responseTimeMs).toBe('number')
  })

  it('a token in a wrong Authorization header is not logged either', async () => {
    h.logs.length = 0
    await h.app.inject({ url: '/api/v1/sites', headers: { authorization: `Token ${TOKENS.admin}` }, remoteAddress: '10.9.9.1' })
    expect(JSON.stringify(h.logs)).not.toContain(TOKENS.admin)
    // a refused request is logged once per address per interval (core/refusal-log.ts), with its summary
    expect(h.logs.find((l) => l.msg === 'API request refused')).toMatchObject({ address: '10.9.9.1', response: { statusCode: 401 }, request: { headers: { authorization: '[redacted]' } } })
  })
})

describe('operations routes without openOps, hashed tokens, rate limit', () => {
  let h: Harness
  const secret = 'a-long-production-token-0001'
  beforeAll(async () => {
    const config = testConfig([
      'api:',
      '  openOps: false',
      '  rateLimitPerMin: 5',
      '  tokens:',
      '    - name: ops',
      '      role: admin',
      `      tokenHash: "${hashSecret(secret)}"`,
      '    - name: other',
      '      role: operator',
      '      sites: [ zj-huzhou-quarry ]',
      '      token: demo-operator-zj-token'
    ].join('\n'))
    h = await createHarness({ config })
  })
  afterAll(async () => { await h.close() })

  it('/healthz, /readyz and /metrics need a token', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await h.app.inject({ url })).statusCode).toBe(401)
      expect((await h.app.inject({ url, headers: bearer('other-wrong-token-000') })).statusCode).toBe(401)
    }
    expect((await h.app.inject({ url: '/healthz', headers: bearer(secret) })).statusCode).toBe(200)
  })

  it('accepts a scrypt tokenHash and limits each token to rateLimitPerMin, answering 429 with Retry-After', async () => {
    h.clock.advance(120_000) // buckets full again
    const codes: number[] = []
    let last
    for (let i = 0; i < 7; i++) {
      last = await h.app.inject({ url: '/api/v1/sites', headers: bearer(secret) })
      codes.push(last.statusCode)
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429])
    expect(last!.json().error).toBe('MW_RATE_LIMITED')
    expect(last!.headers['retry-after']).toBe('12') // 5 a minute: one every 12 s
    // another token has its own bucket
    expect((await h.app.inject({ url: '/api/v1/sites', headers: bearer(TOKENS.operatorZj) })).statusCode).toBe(200)
    h.clock.advance(12_000)
    expect((await h.app.inject({ url: '/api/v1/sites', headers: bearer(secret) })).statusCode).toBe(200)
    expect((await h.app.inject({ url: '/api/v1/sites', headers: bearer(secret) })).statusCode).toBe(429)
  })

  it('limits failed token checks per client address', async () => {
    h.clock.advance(120_000)
    const codes: number[] = []
    for (let i = 0; i < 30; i++) codes.push((await h.app.inject({ url: '/api/v1/sites', headers: bearer(`wrong-token-${i}-xxxxxxxx`) })).statusCode)
    expect(codes.every((c) => c === 401)).toBe(true)
    // over the budget: checked only when the verifier is idle, so of a parallel burst one is checked, the rest are 429
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => h.app.inject({ url: '/api/v1/sites', headers: bearer(`wrong-token-b${i}-xxxxxxxx`) })))
    expect(burst.map((r) => r.statusCode).sort()).toEqual([401, 429, 429, 429, 429])
    expect(burst.find((r) => r.statusCode === 429)!.json().error).toBe('MW_RATE_LIMITED')
    // a token already verified still works from that address
    expect((await h.app.inject({ url: '/api/v1/sites', headers: bearer(secret) })).statusCode).toBe(200)
  })
})

describe('TokenAuthenticator', () => {
  it('matches plain and hashed tokens, and remembers successes and failures', async () => {
    const auth = new TokenAuthenticator([
      { name: 'a', role: 'admin', sites: '*', token: 'plain-token-0000001' },
      { name: 'b', role: 'regulator', sites: ['s1'], tokenHash: hashSecret('hashed-token-000001') }
    ])
    expect(auth.known('plain-token-0000001')?.name).toBe('a')
    expect(auth.known('hashed-token-000001')).toBeUndefined()
    expect(await auth.authenticate('hashed-token-000001')).toEqual({ ok: true, principal: { name: 'b', role: 'regulator', sites: ['s1'] } })
    expect(auth.known('hashed-token-000001')).toEqual({ name: 'b', role: 'regulator', sites: ['s1'] })
    expect(await auth.authenticate('hashed-token-000002')).toEqual({ ok: false, reason: 'unknown' })
    expect(await auth.authenticate('hashed-token-000002')).toEqual({ ok: false, reason: 'unknown' })
  })

  it('parses the Bearer scheme case-insensitively and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc')
    expect(bearerToken('bearer  abc ')).toBe('abc')
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken('Bearer')).toBeUndefined()
    expect(bearerToken('Bearer a b')).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
  })
})

describe('RateLimiter', () => {
  it('refills continuously at perMin a minute up to perMin', () => {
    const clock = new ManualClock(0)
    const rl = new RateLimiter(60, clock)
    for (let i = 0; i < 60; i++) expect(rl.take('k').ok).toBe(true)
    expect(rl.take('k')).toEqual({ ok: false, retryAfterMs: 1000 })
    clock.advance(500)
    expect(rl.take('k')).toEqual({ ok: false, retryAfterMs: 500 })
    clock.advance(500)
    expect(rl.take('k').ok).toBe(true)
    clock.advance(3_600_000)
    for (let i = 0; i < 60; i++) expect(rl.take('k').ok).toBe(true)
    expect(rl.take('k').ok).toBe(false)
    expect(rl.take('other').ok).toBe(true)
  })
})
