/**
 * Alert delivery to real local HTTP receivers (node:http on port 0): signed webhooks, DingTalk
 * and WeCom robot formats and DingTalk signing, retries with the same delivery ids while a
 * receiver fails or is down, and isolation (a down or hanging receiver does not delay others).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createHmac } from 'node:crypto'
import type { AddressInfo, Socket } from 'node:net'
import { makeConfig, startRig, fix, T0, type Rig } from '../unit/alerts/fixture.js'
import { SECOND } from '../../core/time.js'
import type { AlertEvent } from '../../alerts/index.js'

interface Received { url: string, headers: IncomingMessage['headers'], body: string, status?: number }

interface Receiver {
  port: number
  got: Received[]
  /** Decides the reply; default 200 with {"errcode":0,"errmsg":"ok"}. Return null to never answer. */
  reply: (r: Received) => { status: number, body: string } | null
  close(): Promise<void>
  reopen(): Promise<void>
}

async function receiver (port = 0): Promise<Receiver> {
  const got: Received[] = []
  const sockets = new Set<Socket>()
  let server: Server
  const rx: Receiver = {
    port,
    got,
    reply: () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }),
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    async reopen () { await listen(rx.port) }
  }
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: Received = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      got.push(r)
      const out = rx.reply(r)
      if (out === null) return // hang
      r.status = out.status
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(out.body)
    })
  }
  const listen = async (p: number) => {
    server = createServer(handler)
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(p, '127.0.0.1', () => resolve()) })
    rx.port = (server.address() as AddressInfo).port
  }
  await listen(port)
  return rx
}

const rigs: Rig[] = []
const servers: Receiver[] = []
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close()
  for (const s of servers.splice(0)) await s.close().catch(() => {})
})

/** Three fixes outside the boundary of a new entity: one boundary_breach alert each call. */
let n = 0
function breach (): ReturnType<typeof fix>[] {
  n++
  return [0, 1, 2].map((i) => fix(T0 + (n * 10 + i) * 5 * SECOND, 800, `TRK-${n}`))
}

const KINDS = ['boundary_breach']

/** The documented check (docs/alerts.md): t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">, t within 5 min. */
function expectSigned (r: { headers: Record<string, unknown>, body: string }, secret: string): void {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-minewatch-signature']))
  expect(m).not.toBeNull()
  expect(Math.abs(Date.now() / 1000 - Number(m![1]))).toBeLessThan(300)
  expect(m![2]).toBe(createHmac('sha256', secret).update(`${m![1]}.${r.body}`).digest('hex'))
}

describe('alert delivery', () => {
  it('signs webhooks (HMAC-SHA256 of the body) and sends DingTalk (signed) and WeCom markdown', async () => {
    const rx = await receiver(); servers.push(rx)
    const base = `http://127.0.0.1:${rx.port}`
    const rig = await startRig(makeConfig([
      { id: 'hook', type: 'webhook', url: `${base}/hook`, secret: 'hook-secret-0123456789', allowHttp: true, kinds: KINDS },
      { id: 'ding', type: 'dingtalk', url: `${base}/robot/send?access_token=tok`, secret: 'SECdingsecret', allowHttp: true, kinds: KINDS },
      { id: 'wecom', type: 'wecom', url: `${base}/cgi-bin/webhook/send?key=k1`, allowHttp: true, kinds: KINDS }
    ])); rigs.push(rig)
    await rig.engine.evaluate(breach())
    await rig.engine.idle()
    expect(rx.got.length).toBe(3)

    const hook = rx.got.find((r) => r.url === '/hook')!
    expectSigned(hook, 'hook-secret-0123456789')
    expect(() => expectSigned(hook, 'wrong')).toThrow()
    const ev = JSON.parse(hook.body) as AlertEvent
    expect(hook.headers['x-minewatch-delivery']).toBe(ev.deliveryId)
    expect(ev).toMatchObject({ event: 'alert.firing', subscription: 'hook', language: 'zh', alert: { kind: 'boundary_breach', site: 'site-a', severity: 'alarm' } })
    expect(ev.text).toContain('越出采矿许可范围')

    const ding = rx.got.find((r) => r.url.startsWith('/robot/send'))!
    const q = new URL(ding.url, base).searchParams
    expect(q.get('access_token')).toBe('tok')
    const ts = q.get('timestamp')!
    expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(60_000) // wall-clock ms, as DingTalk checks it
    const sign = createHmac('sha256', 'SECdingsecret').update(`${ts}\nSECdingsecret`).digest('base64')
    expect(q.get('sign')).toBe(sign)
    expect(ding.url).toContain(`sign=${encodeURIComponent(sign)}`)
    const dbody = JSON.parse(ding.body) as { msgtype: string, markdown: { title: string, text: string } }
    expect(dbody.msgtype).toBe('markdown')
    expect(dbody.markdown.title).toBe('【报警】越界 · 测试矿山')
    expect(dbody.markdown.text).toMatch(/^### 【报警】越界 · 测试矿山\n\n> /)
    expect(dbody.markdown.text).toContain('- 依据: 浙自然资函〔2021〕63号')
    expect(dbody.markdown.text).not.toContain('> 【报警】') // the quote holds the text without repeating the heading

    const wecom = rx.got.find((r) => r.url.startsWith('/cgi-bin/webhook/send'))!
    const wbody = JSON.parse(wecom.body) as { msgtype: string, markdown: { content: string } }
    expect(wbody.msgtype).toBe('markdown')
    expect(wbody.markdown.content).toContain('<font color="warning">【报警】越界 · 测试矿山</font>')
    expect(Buffer.byteLength(wbody.markdown.content)).toBeLessThanOrEqual(4096)
    expect(await rig.state.outbox.pending()).toBe(0)
  })

  it('a robot busy errcode is retried; a bad-signature errcode is a dead letter that does not block the next delivery', async () => {
    const rx = await receiver(); servers.push(rx)
    let calls = 0
    rx.reply = () => (++calls === 1 ? { status: 200, body: '{"errcode":130101,"errmsg":"send too fast"}' } : { status: 200, body: '{"errcode":0,"errmsg":"ok"}' })
    const rig = await startRig(makeConfig([{ id: 'ding', type: 'dingtalk', url: `http://127.0.0.1:${rx.port}/robot/send?access_token=t`, secret: 's', allowHttp: true, kinds: KINDS }])); rigs.push(rig)
    await rig.engine.evaluate(breach())
    await rig.engine.idle()
    expect(await rig.state.outbox.pending('ding')).toBe(1)
    rig.clock.advance(1000)
    await rig.engine.tick(); await rig.engine.idle()
    expect(await rig.state.outbox.pending('ding')).toBe(0)
    expect(rx.got.length).toBe(2)
    expect(rx.got[0]!.body).toBe(rx.got[1]!.body)
    expect(await rig.state.outbox.deadLetters({ limit: 10 })).toEqual([])

    // 310000: sign not match. Refused for good: a dead letter with DingTalk's answer, and the next one goes out
    let n = 0
    rx.reply = () => (++n === 1 ? { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' } : { status: 200, body: '{"errcode":0,"errmsg":"ok"}' })
    await rig.engine.evaluate(breach())
    await rig.engine.evaluate(breach())
    await rig.engine.idle()
    expect(await rig.state.outbox.pending('ding')).toBe(0)
    const dead = await rig.state.outbox.deadLetters({ limit: 10 })
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ subscription: 'ding', attempts: 1, answer: 'errcode 310000 sign not match' })
    expect(rx.got.length).toBe(4)
    expect(rx.got[3]!.body).not.toBe(rx.got[2]!.body)
  })

  it('a receiver failing then down gets every delivery once back, same ids on retries; others are not delayed', async () => {
    const flaky = await receiver(); servers.push(flaky)
    const healthy = await receiver(); servers.push(healthy)
    flaky.reply = () => ({ status: 503, body: 'maintenance' })
    const rig = await startRig(makeConfig([
      { id: 'flaky', type: 'webhook', url: `http://127.0.0.1:${flaky.port}/in`, secret: 'k-0123456789abcdef', allowHttp: true, kinds: KINDS },
      { id: 'healthy', type: 'webhook', url: `http://127.0.0.1:${healthy.port}/in`, secret: 'k-0123456789abcdef', allowHttp: true, kinds: KINDS }
    ])); rigs.push(rig)
    const drive = async () => { rig.clock.advance(8000); await rig.engine.tick(); await rig.engine.idle() } // retry.maxMs is 8 s

    await rig.engine.evaluate(breach())
    await rig.engine.idle()
    await drive()
    await drive()
    const failedIds = new Set(flaky.got.map((r) => r.headers['x-minewatch-delivery'] as string))
    expect(flaky.got.length).toBeGreaterThanOrEqual(3) // first try and two retries
    expect(failedIds.size).toBe(1) // the same delivery id every time
    expect(healthy.got.length).toBe(1)

    await flaky.close() // now down altogether: connection refused
    for (let i = 0; i < 3; i++) { await rig.engine.evaluate(breach()); await rig.engine.idle() }
    await drive()
    expect(healthy.got.length).toBe(4) // delivered at once while the other receiver is down
    expect(await rig.state.outbox.pending('flaky')).toBe(4)

    flaky.reply = () => ({ status: 204, body: '' })
    await flaky.reopen()
    for (let i = 0; i < 5 && (await rig.state.outbox.pending('flaky')) > 0; i++) await drive()
    expect(await rig.state.outbox.pending('flaky')).toBe(0)
    const ok = flaky.got.filter((r) => r.status === 204)
    const deliveredIds = new Set(ok.map((r) => r.headers['x-minewatch-delivery'] as string))
    const healthyEvents = healthy.got.map((r) => JSON.parse(r.body) as AlertEvent)
    const flakyEvents = flaky.got.map((r) => JSON.parse(r.body) as AlertEvent)
    // every alert the healthy receiver saw, the flaky one saw too, and the first id is the one retried before
    expect(new Set(flakyEvents.map((e) => e.alert.id))).toEqual(new Set(healthyEvents.map((e) => e.alert.id)))
    expect(deliveredIds.has([...failedIds][0]!)).toBe(true)
    expect(deliveredIds.size).toBe(4)
    expect(ok.length).toBe(4) // each delivered once it succeeded
    for (const r of flaky.got) expectSigned(r, 'k-0123456789abcdef')
  })

  it('a hanging receiver does not hold up another subscription', async () => {
    const hang = await receiver(); servers.push(hang)
    const fast = await receiver(); servers.push(fast)
    hang.reply = () => null
    const rig = await startRig(makeConfig([
      { id: 'hang', type: 'wecom', url: `http://127.0.0.1:${hang.port}/send?key=1`, allowHttp: true, kinds: KINDS },
      { id: 'fast', type: 'mqtt', kinds: KINDS },
      { id: 'fast-hook', type: 'webhook', url: `http://127.0.0.1:${fast.port}/in`, secret: 'fast-hook-secret-0123', allowHttp: true, kinds: KINDS }
    ])); rigs.push(rig)
    await rig.engine.evaluate(breach())
    await rig.engine.evaluate(breach())
    const until = Date.now() + 5000
    while ((fast.got.length < 2 || rig.published.length < 2) && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(fast.got.length).toBe(2)
    expect(rig.published.map((p) => p.topic)).toEqual(['alerts/site-a/boundary_breach', 'alerts/site-a/boundary_breach'])
    expect(hang.got.length).toBe(1) // its worker is still waiting on the first item
    await hang.close() // ends the hanging request, so close() below does not wait for the 10 s timeout
  })
})
