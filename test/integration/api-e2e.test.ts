/**
 * The API over a real port (listen on 0) with global fetch: JSON routes, an acknowledgement,
 * and the SSE alert stream read as a browser would, including a reconnect with Last-Event-ID.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { AddressInfo } from 'node:net'
import { createHarness, SseReader, TOKENS, ZJ, GS, NOW, type Harness } from '../unit/api/harness.js'
import { waitFor } from '../helpers/ports.js'

let h: Harness
let base: string
beforeAll(async () => {
  h = await createHarness({ appOptions: { sseHeartbeatMs: 100 } })
  await h.telemetry.write([{ site: ZJ, device: 'ZJ-DUST01', kind: 'dust', ts: NOW - 30_000, values: { tsp: 0.42, flag: 'N' } }])
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`
})
afterAll(async () => { await h.close() })

const auth = (token: string = TOKENS.operatorZj) => ({ authorization: `Bearer ${token}` })

async function openStream (headers: Record<string, string> = {}, query = '') {
  const controller = new AbortController()
  const res = await fetch(`${base}/api/v1/alerts/stream${query}`, { headers: { ...auth(), accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const sse = new SseReader(Readable.fromWeb(res.body! as unknown as WebReadableStream<Uint8Array>))
  return { res, sse, close: () => controller.abort() }
}

describe('API over HTTP', () => {
  it('serves JSON routes with auth and CORS-free plain JSON', async () => {
    const sites = await fetch(`${base}/api/v1/sites`, { headers: auth() })
    expect(sites.status).toBe(200)
    expect((await sites.json() as { items: { id: string }[] }).items.map((s) => s.id)).toEqual([ZJ])
    const latest = await fetch(`${base}/api/v1/sites/${ZJ}/latest?kind=dust`, { headers: auth() })
    expect((await latest.json() as { items: { values: { tsp: number } }[] }).items[0]!.values.tsp).toBe(0.42)
    const anon = await fetch(`${base}/api/v1/sites`)
    expect(anon.status).toBe(401)
    expect(await anon.json()).toEqual({ error: 'MW_UNAUTHENTICATED', message: 'authentication required: send Authorization: Bearer <token>' })
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('streams alert events, heartbeats, and resumes with Last-Event-ID after a reconnect', async () => {
    const first = await openStream()
    expect(first.res.status).toBe(200)
    expect(first.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    await first.sse.until((r) => r.blocks.length > 0, 'the opening block')
    const listening = h.alerts.listenerCount
    const a1 = await h.alerts.fire(ZJ, 'boundary_breach')
    await h.alerts.fire(GS, 'boundary_breach') // not for this operator
    const ack = await fetch(`${base}/api/v1/alerts/${a1.id}/ack`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ note: '已派人核查' }) })
    expect(ack.status).toBe(200)
    expect(await ack.json()).toMatchObject({ state: 'acknowledged', ackedBy: '长兴矿调度室', ackNote: '已派人核查' })
    await first.sse.until((r) => r.events().length >= 2, 'fire and ack events')
    await first.sse.until((r) => r.blocks.some((b) => b.comments.includes('heartbeat')), 'a heartbeat')
    const events = first.sse.events().map((e) => ({ id: e.id, event: e.event, data: JSON.parse(e.data!) }))
    expect(events.map((e) => [e.data.alertId, e.data.to])).toEqual([[a1.id, 'firing'], [a1.id, 'acknowledged']])
    expect(events.every((e) => e.id === String(e.data.seq))).toBe(true)

    // the client goes away: the server unsubscribes
    first.close()
    await waitFor(() => h.alerts.listenerCount === listening - 1, 5000, 'the server to unsubscribe the closed stream')

    // missed while disconnected, then a reconnect from the last id received
    const missed = await h.alerts.fire(ZJ, 'zone_intrusion')
    const second = await openStream({ 'last-event-id': events[1]!.id! })
    await second.sse.until((r) => r.events().length >= 1, 'the missed event')
    const live = await h.alerts.fire(ZJ, 'dust_exceedance')
    await second.sse.until((r) => r.events().length >= 2, 'the live event')
    expect(second.sse.events().map((e) => JSON.parse(e.data!).alertId)).toEqual([missed.id, live.id])
    second.close()
  })

  it('app.close() ends open streams', async () => {
    const s = await openStream()
    await s.sse.until((r) => r.blocks.length > 0, 'the opening block')
    const closing = h.app.close()
    await s.sse.until((r) => r.ended, 'the stream to end')
    await closing
  })
})

describe('API over HTTP with the real alert engine', () => {
  let e: Harness
  let url: string
  beforeAll(async () => {
    e = await createHarness({ engine: true })
    await e.app.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(e.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => { await e.close() })

  it('streams a boundary breach raised by the engine and acknowledges it through the engine', async () => {
    const controller = new AbortController()
    const res = await fetch(`${url}/api/v1/alerts/stream`, { headers: auth(TOKENS.regulatorZj), signal: controller.signal })
    const sse = new SseReader(Readable.fromWeb(res.body! as unknown as WebReadableStream<Uint8Array>))
    await sse.until((r) => r.blocks.length > 0, 'the opening block')
    // three fixes ~3 km east of the licence polygon (fence.consecutiveFixes = 3)
    const fixes = [0, 1, 2].map((i) => ({
      site: ZJ, device: 'ZJ-TRK01', kind: 'locator' as const, ts: NOW + i * 5000,
      values: { entity: 'vehicle', entityId: 'TRK-01', lat: 30.952, lon: 119.95, accuracyM: 3 }
    }))
    await e.telemetry.write(fixes)
    e.clock.set(NOW + 10_000)
    await e.engine!.evaluate(fixes)
    await e.engine!.idle()
    await sse.until((r) => r.events().length >= 1, 'the breach event')
    const fired = JSON.parse(sse.events()[0]!.data!)
    expect(fired).toMatchObject({ site: ZJ, kind: 'boundary_breach', to: 'firing', severity: 'alarm' })

    const ack = await fetch(`${url}/api/v1/alerts/${fired.alertId}/ack`, { method: 'POST', headers: { ...auth(TOKENS.regulatorZj), 'content-type': 'application/json' }, body: '{"note":"核查中"}' })
    expect(ack.status).toBe(200)
    expect(await ack.json()).toMatchObject({ state: 'acknowledged', ackedBy: '浙江省自然资源厅', ackNote: '核查中' })
    await sse.until((r) => r.events().length >= 2, 'the acknowledgement event')
    expect(JSON.parse(sse.events()[1]!.data!)).toMatchObject({ alertId: fired.alertId, from: 'firing', to: 'acknowledged', by: '浙江省自然资源厅' })
    const again = await fetch(`${url}/api/v1/alerts/${fired.alertId}/ack`, { method: 'POST', headers: auth(TOKENS.regulatorZj) })
    expect(again.status).toBe(409)
    controller.abort()
  })
})
