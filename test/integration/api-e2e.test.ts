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
