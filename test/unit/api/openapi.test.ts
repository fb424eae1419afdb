import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createHarness, type Harness } from './harness.js'

let h: Harness
beforeAll(async () => { h = await createHarness() })
afterAll(async () => { await h.close() })

/** The routes docs/api.md documents: the API must have exactly these. */
const DOCUMENTED = [
  'GET /healthz', 'GET /readyz', 'GET /metrics',
  'GET /api/v1/sites', 'GET /api/v1/sites/{site}', 'GET /api/v1/sites/{site}/boundary.geojson', 'GET /api/v1/sites/{site}/latest',
  'GET /api/v1/sites/{site}/export',
  'GET /api/v1/series',
  'GET /api/v1/alerts', 'GET /api/v1/alerts/{id}', 'POST /api/v1/alerts/{id}/ack', 'GET /api/v1/alerts/stream',
  'POST /api/v1/alerts/{id}/comments', 'POST /api/v1/alerts/{id}/close', 'GET /api/v1/audit', 'GET /api/v1/audit/verify',
  'GET /api/v1/rejects', 'GET /api/v1/reports/daily', 'GET /api/v1/reports/day-facts', 'GET /api/v1/sites/{site}/reports/monthly',
  'GET /api/v1/sites/{site}/hj212', 'POST /api/v1/sites/{site}/hj212/{device}/commands',
  'POST /api/v1/session', 'GET /api/v1/session', 'DELETE /api/v1/session',
  'GET /api/v1/sites/{site}/screen', 'GET /api/v1/overview', 'GET /api/v1/console',
  'GET /api/v1/deliveries/dead', 'POST /api/v1/deliveries/dead/{id}/retry',
  'GET /api/v1/ops/config', 'POST /api/v1/ops/config/reload', 'POST /api/v1/ops/backup',
  'POST /api/v1/ops/devices', 'POST /api/v1/ops/devices/{device}/disable', 'POST /api/v1/ops/devices/{device}/enable',
  'POST /api/v1/ops/devices/{device}/replace', 'POST /api/v1/ops/devices/{device}/retire',
  'GET /api/v1/ops/devices/changes', 'GET /api/v1/ops/config/export',
  'GET /api/v1/ops/uplink',
  'GET /api/v1/schedules', 'POST /api/v1/schedules', 'DELETE /api/v1/schedules/{id}',
  'GET /api/v1/sites/{site}/handover', 'GET /api/v1/rosters', 'PUT /api/v1/rosters/{site}', 'DELETE /api/v1/rosters/{site}'
]

/** The web console's static files (docs/console.md): served by the app, not part of the API document. */
const CONSOLE_FILES = ['GET /', 'GET /assets/{file}']

describe('OpenAPI document (GET /docs/json)', () => {
  it('is served without a token and lists every route of the app', async () => {
    const res = await h.app.inject({ url: '/docs/json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json() as { openapi: string, paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toBe('3.1.0')
    const inDoc = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort()
    const inApp = h.app.apiRoutes
      .filter((r) => !r.url.startsWith('/docs'))
      .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`)
      .filter((r) => !CONSOLE_FILES.includes(r)).sort()
    expect(inApp).toEqual([...DOCUMENTED].sort())
    expect(inDoc).toEqual(inApp)
  })

  it('describes parameters, responses and the bearer scheme', async () => {
    const doc = (await h.app.inject({ url: '/docs/json' })).json()
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' })
    const series = doc.paths['/api/v1/series'].get
    expect(series.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['site', 'kind', 'field', 'from', 'to', 'step', 'agg']))
    expect(Object.keys(series.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']))
    expect(doc.components.schemas).toHaveProperty('Alert')
    expect(doc.components.schemas).toHaveProperty('DailyReport')
  })

  it('serves the Swagger UI at /docs', async () => {
    const res = await h.app.inject({ url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })
})
