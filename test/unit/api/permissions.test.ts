/**
 * Operator of site A (zj) against site B (gs) on every route: 404 for a site or alert named
 * in the path, 403 for a site named in a query filter, and lists that never show B's data.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Readable } from 'node:stream'
import type { Alert } from '../../../core/alerts.js'
import { createHarness, bearer, SseReader, TOKENS, ZJ, GS, NOW, type Harness } from './harness.js'

let h: Harness
let gsAlert: Alert
let zjAlert: Alert
const A = TOKENS.operatorZj
beforeAll(async () => {
  h = await createHarness()
  gsAlert = await h.alerts.fire(GS, 'boundary_breach')
  zjAlert = await h.alerts.fire(ZJ, 'boundary_breach')
  await h.telemetry.write([{ site: GS, device: 'GS-DUST01', kind: 'dust', ts: NOW - 1000, values: { tsp: 0.2, flag: 'N' } }])
  await h.state.rejects.add([{ at: NOW, site: GS, device: 'GS-DUST01', topic: 't', reason: 'not_json', detail: 'd', count: 0, payload: 'x' }])
})
afterAll(async () => { await h.close() })

const day = '2025-02-28'

describe('operator of site A against site B', () => {
  it.each([
    ['GET', `/api/v1/sites/${GS}`, 404],
    ['GET', `/api/v1/sites/${GS}/boundary.geojson`, 404],
    ['GET', `/api/v1/sites/${GS}/latest`, 404],
    ['GET', `/api/v1/series?site=${GS}&kind=dust&field=tsp`, 403],
    ['GET', `/api/v1/alerts?site=${GS}`, 403],
    ['GET', '/api/v1/alerts/{gs}', 404],
    ['POST', '/api/v1/alerts/{gs}/ack', 404],
    ['GET', `/api/v1/alerts/stream?site=${GS}`, 403],
    ['GET', `/api/v1/rejects?site=${GS}`, 403],
    ['GET', '/api/v1/rejects?device=GS-DUST01', 403],
    ['GET', `/api/v1/reports/daily?site=${GS}&date=${day}`, 403]
  ])('%s %s → %d', async (method, url, status) => {
    const res = await h.app.inject({ method: method as 'GET' | 'POST', url: url.replace('{gs}', gsAlert.id), headers: bearer(A), payload: method === 'POST' ? { note: 'x' } : undefined })
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toBe(status === 404 ? 'MW_NOT_FOUND' : 'MW_FORBIDDEN')
    // the same request for its own site (or alert) succeeds
    const own = await h.app.inject({ method: method as 'GET' | 'POST', url: url.replace('{gs}', zjAlert.id).replaceAll(GS, ZJ).replace('GS-DUST01', 'ZJ-DUST01'), headers: bearer(A), payload: method === 'POST' ? { note: 'x' } : undefined, payloadAsStream: url.includes('stream') })
    expect(own.statusCode).toBe(200)
    if (url.includes('stream')) (own.stream() as Readable).destroy()
  })

  it('lists without a site filter never show site B', async () => {
    const sites = (await h.app.inject({ url: '/api/v1/sites', headers: bearer(A) })).json().items
    expect(sites.map((s: { id: string }) => s.id)).toEqual([ZJ])
    const alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: bearer(A) })).json().items
    expect(alerts.map((a: Alert) => a.site)).toEqual([ZJ])
    const rejects = (await h.app.inject({ url: '/api/v1/rejects', headers: bearer(A) })).json().items
    expect(rejects).toEqual([])
    expect((await h.state.alerts.get(gsAlert.id))!.state).toBe('firing')
  })

  it('the alert stream without a filter carries only site A', async () => {
    const res = await h.app.inject({ url: '/api/v1/alerts/stream', headers: { ...bearer(A), 'last-event-id': '0' }, payloadAsStream: true })
    const stream = res.stream() as Readable
    const sse = new SseReader(stream)
    await h.alerts.fire(GS, 'zone_intrusion')
    const live = await h.alerts.fire(ZJ, 'zone_intrusion')
    await sse.until((r) => r.events().some((e) => e.data!.includes(live.id)), 'the live ZJ event')
    const sites = sse.events().map((e) => JSON.parse(e.data!).site)
    expect(new Set(sites)).toEqual(new Set([ZJ]))
    expect(sse.events().length).toBe(3) // replayed: zjAlert fired and acknowledged (above); then the live one
    stream.destroy()
  })

  it('site B\'s own operator and a "*" regulator see B', async () => {
    for (const token of [TOKENS.operatorGs, TOKENS.regulatorAll, TOKENS.admin]) {
      expect((await h.app.inject({ url: `/api/v1/sites/${GS}/latest`, headers: bearer(token) })).statusCode).toBe(200)
      expect((await h.app.inject({ url: `/api/v1/alerts/${gsAlert.id}`, headers: bearer(token) })).statusCode).toBe(200)
    }
  })
})
