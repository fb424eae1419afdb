import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Readable } from 'node:stream'
import type { Alert } from '../../../core/alerts.js'
import { createHarness, bearer, SseReader, TOKENS, ZJ, GS, NOW, type Harness } from './harness.js'

let h: Harness
const fired: Alert[] = []
beforeAll(async () => {
  h = await createHarness({ appOptions: { sseHeartbeatMs: 50, sseReplayPage: 2 } })
  // 5 alerts at ZJ, 3 at GS, fired a minute apart
  for (let i = 0; i < 8; i++) {
    fired.push(await h.alerts.fire(i < 5 ? ZJ : GS, i % 2 === 0 ? 'dust_exceedance' : 'boundary_breach', { at: NOW - (8 - i) * 60_000, severity: i === 0 ? 'warning' : 'alarm' }))
  }
})
afterAll(async () => { await h.close() })

describe('GET /api/v1/alerts', () => {
  it('lists the caller\'s alerts newest first and pages with nextCursor', async () => {
    const p1 = await h.app.inject({ url: '/api/v1/alerts?limit=3', headers: bearer(TOKENS.operatorZj) })
    expect(p1.statusCode).toBe(200)
    const b1 = p1.json()
    expect(b1.items.map((a: Alert) => a.id)).toEqual([fired[4]!.id, fired[3]!.id, fired[2]!.id])
    expect(b1.nextCursor).toEqual(expect.any(String))
    const p2 = await h.app.inject({ url: `/api/v1/alerts?limit=3&cursor=${encodeURIComponent(b1.nextCursor)}`, headers: bearer(TOKENS.operatorZj) })
    expect(p2.json().items.map((a: Alert) => a.id)).toEqual([fired[1]!.id, fired[0]!.id])
    expect(p2.json().nextCursor).toBeNull()
  })

  it('filters by site, kind, state, severity and firedAt range', async () => {
    const all = await h.app.inject({ url: '/api/v1/alerts', headers: bearer(TOKENS.admin) })
    expect(all.json().items).toHaveLength(8)
    const q = async (s: string) => (await h.app.inject({ url: `/api/v1/alerts?${s}`, headers: bearer(TOKENS.regulatorAll) })).json().items.length
    expect(await q(`site=${GS}`)).toBe(3)
    expect(await q('kind=boundary_breach')).toBe(4)
    expect(await q('severity=warning')).toBe(1)
    expect(await q('state=resolved')).toBe(0)
    expect(await q(`from=${NOW - 3 * 60_000}&to=${NOW}`)).toBe(3)
    expect(await q('from=2025-03-01T09:55:00%2B08:00')).toBe(5)
  })

  it('400 for bad filters, 403 for another site, 400 for a forged cursor', async () => {
    for (const s of ['kind=fire', 'state=open', 'limit=0', 'from=x', `from=${NOW}&to=${NOW - 1}`]) {
      const res = await h.app.inject({ url: `/api/v1/alerts?${s}`, headers: bearer(TOKENS.admin) })
      expect(res.statusCode, s).toBe(400)
      expect(res.json().message).toContain('querystring.')
    }
    const other = await h.app.inject({ url: `/api/v1/alerts?site=${GS}`, headers: bearer(TOKENS.operatorZj) })
    expect(other.statusCode).toBe(403)
    const forged = await h.app.inject({ url: '/api/v1/alerts?cursor=garbage', headers: bearer(TOKENS.admin) })
    expect(forged.statusCode).toBe(400)
  })
})

describe('GET /api/v1/alerts/{id}', () => {
  it('returns the alert and its history', async () => {
    const res = await h.app.inject({ url: `/api/v1/alerts/${fired[0]!.id}`, headers: bearer(TOKENS.regulatorZj) })
    expect(res.statusCode).toBe(200)
    expect(res.json().alert).toMatchObject({ id: fired[0]!.id, site: ZJ, state: 'firing', severity: 'warning' })
    expect(res.json().history).toEqual([expect.objectContaining({ alertId: fired[0]!.id, from: null, to: 'firing', reason: 'test_fire', seq: 1 })])
  })

  it('404 for an alert of another site (as for a missing one)', async () => {
    const other = await h.app.inject({ url: `/api/v1/alerts/${fired[6]!.id}`, headers: bearer(TOKENS.operatorZj) })
    expect(other.statusCode).toBe(404)
    expect(other.json()).toEqual({ error: 'MW_NOT_FOUND', message: `not found: no alert '${fired[6]!.id}'` })
    const missing = await h.app.inject({ url: '/api/v1/alerts/00000000-0000-0000-0000-000000000000', headers: bearer(TOKENS.admin) })
    expect(missing.statusCode).toBe(404)
  })
})

describe('POST /api/v1/alerts/{id}/ack', () => {
  it('acknowledges with the token name and note; a second ack is 409', async () => {
    const id = fired[1]!.id
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers: bearer(TOKENS.operatorZj), payload: { note: '已安排洒水' } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id, state: 'acknowledged', ackedBy: '长兴矿调度室', ackNote: '已安排洒水' })
    const history = (await h.app.inject({ url: `/api/v1/alerts/${id}`, headers: bearer(TOKENS.admin) })).json().history
    expect(history.map((t: { to: string }) => t.to)).toEqual(['firing', 'acknowledged'])
    expect(history[1].by).toBe('长兴矿调度室')
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/ack`, headers: bearer(TOKENS.operatorZj), payload: { note: 'x' } })
    expect(again.statusCode).toBe(409)
    expect(again.json().error).toBe('MW_CONFLICT')
  })

  it('a regulator may acknowledge; the note is optional', async () => {
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${fired[2]!.id}/ack`, headers: bearer(TOKENS.regulatorZj) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ ackedBy: '浙江省自然资源厅', ackNote: '' })
  })

  it('400 for a bad body, 404 for another site\'s alert (nothing changes)', async () => {
    const bad = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${fired[3]!.id}/ack`, headers: bearer(TOKENS.admin), payload: { note: 42 } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toContain('body.note')
    const notJson = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${fired[3]!.id}/ack`, headers: { ...bearer(TOKENS.admin), 'content-type': 'application/json' }, payload: '{oops' })
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json().error).toBe('MW_BAD_REQUEST')
    const other = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${fired[6]!.id}/ack`, headers: bearer(TOKENS.operatorZj), payload: { note: 'x' } })
    expect(other.statusCode).toBe(404)
    expect((await h.state.alerts.get(fired[6]!.id))!.state).toBe('firing')
  })
})

describe('GET /api/v1/alerts/stream', () => {
  async function open (token: string, query = '', headers: Record<string, string> = {}) {
    const res = await h.app.inject({ url: `/api/v1/alerts/stream${query}`, headers: { ...bearer(token), ...headers }, payloadAsStream: true })
    const stream = res.stream() as Readable
    return { res, stream, sse: new SseReader(stream) }
  }

  it('streams live transitions of the caller\'s sites only, with heartbeats', async () => {
    const { res, stream, sse } = await open(TOKENS.operatorZj)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-cache')
    await sse.until((r) => r.blocks.length > 0, 'the first block')
    expect(sse.blocks[0]).toMatchObject({ retry: '3000', comments: ['connected'] })
    const gs = await h.alerts.fire(GS, 'zone_intrusion')
    const zj = await h.alerts.fire(ZJ, 'zone_intrusion')
    await sse.until((r) => r.events().length >= 1, 'an event')
    await sse.until((r) => r.blocks.some((b) => b.comments.includes('heartbeat')), 'a heartbeat')
    const events = sse.events()
    expect(events).toHaveLength(1)
    const data = JSON.parse(events[0]!.data!)
    expect(data).toMatchObject({ alertId: zj.id, site: ZJ, kind: 'zone_intrusion', to: 'firing' })
    expect(events[0]!.id).toBe(String(data.seq))
    expect(sse.blocks.some((b) => b.data?.includes(gs.id))).toBe(false)
    stream.destroy()
  })

  it('resumes after Last-Event-ID: the missed transitions in order, then live ones, no repeats', async () => {
    const before = await h.state.alerts.transitionsSince(0, 1000)
    const resumeAfter = before[2]!.seq
    const expected = before.filter((t) => t.seq > resumeAfter && t.site === ZJ).map((t) => String(t.seq))
    const { stream, sse } = await open(TOKENS.operatorZj, '', { 'last-event-id': String(resumeAfter) })
    await sse.until((r) => r.events().length >= expected.length, 'the replay')
    const live = await h.alerts.fire(ZJ, 'dust_exceedance')
    await sse.until((r) => r.events().length >= expected.length + 1, 'the live event')
    const ids = sse.events().map((e) => e.id)
    expect(ids).toEqual([...expected, String((await h.state.alerts.history(live.id))[0]!.seq)])
    expect(new Set(ids).size).toBe(ids.length)
    stream.destroy()
  })

  it('?site= narrows the stream; a site outside the token is 403, a bad Last-Event-ID 400', async () => {
    const { stream, sse } = await open(TOKENS.regulatorAll, `?site=${GS}`)
    await h.alerts.fire(ZJ, 'device_offline')
    const gs = await h.alerts.fire(GS, 'device_offline')
    await sse.until((r) => r.events().length >= 1, 'the GS event')
    expect(sse.events().map((e) => JSON.parse(e.data!).alertId)).toEqual([gs.id])
    stream.destroy()

    const other = await h.app.inject({ url: `/api/v1/alerts/stream?site=${GS}`, headers: bearer(TOKENS.operatorZj) })
    expect(other.statusCode).toBe(403)
    expect(other.json().error).toBe('MW_FORBIDDEN')
    const bad = await h.app.inject({ url: '/api/v1/alerts/stream', headers: { ...bearer(TOKENS.operatorZj), 'last-event-id': 'abc' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toContain('headers.last-event-id')
    const anon = await h.app.inject({ url: '/api/v1/alerts/stream' })
    expect(anon.statusCode).toBe(401)
  })
})
