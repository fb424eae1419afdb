/**
 * Finding 9 (caps): event streams per token and per address, and connections per remote address
 * for HTTP and MQTT, through `minewatch up` over real sockets from distinct loopback addresses.
 * Over a cap the new stream or connection is refused with a clear answer (429 MW_TOO_MANY_STREAMS,
 * 429 MW_TOO_MANY_CONNECTIONS, MQTT: closed before CONNACK), those already open keep working, and
 * a slot given back can be taken again.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { connect } from 'node:net'
import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import { startTestMinewatch, DEMO_TEXT } from '../helpers/minewatch.js'
import { parseConfig } from '../../core/config.js'
import { waitFor } from '../helpers/ports.js'
import { httpGet, mqttLogin, rawMqtt, type RawMqtt } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW

beforeAll(async () => {
  const text = DEMO_TEXT.replace(/^api:$/m, 'api:\n  streamsPerToken: 2\n  streamsPerAddress: 3\n  connectionsPerAddress: 4')
  mw = await startTestMinewatch({ config: parseConfig(`${text}\nbroker:\n  connectionsPerAddress: 3\n`, 'demo+caps', {}) })
})
afterAll(async () => { await mw?.cleanup() })

/** Opens GET /api/v1/alerts/stream; resolves with the response (kept open when 200) and the request to abort it. */
async function openStream (token: string, localAddress: string): Promise<{ res: IncomingMessage, req: ClientRequest, body: () => Promise<string> }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: mw.httpPort, path: '/api/v1/alerts/stream', localAddress, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      resolve({
        res, req,
        body: async () => await new Promise((done) => { let b = ''; res.setEncoding('utf8'); res.on('data', (c: string) => { b += c }); res.on('end', () => done(b)) })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

async function refusedStream (token: string, localAddress: string, why: RegExp): Promise<void> {
  const s = await openStream(token, localAddress)
  expect(s.res.statusCode).toBe(429)
  expect(s.res.headers['retry-after']).toBeDefined()
  const body = JSON.parse(await s.body()) as { error: string, message: string }
  expect(body.error).toBe('MW_TOO_MANY_STREAMS')
  expect(body.message).toMatch(why)
}

describe('event streams', () => {
  it('per token and per address: the stream over the cap is 429 MW_TOO_MANY_STREAMS; a closed one frees its slot', async () => {
    const a = await openStream('demo-operator-zj-token', '127.0.3.1')
    const b = await openStream('demo-operator-zj-token', '127.0.3.1')
    expect([a.res.statusCode, b.res.statusCode]).toEqual([200, 200])
    await refusedStream('demo-operator-zj-token', '127.0.3.2', /api\.streamsPerToken/) // the token's cap, whatever the address
    const c = await openStream('demo-operator-gs-token', '127.0.3.1') // third on this address
    expect(c.res.statusCode).toBe(200)
    await refusedStream('demo-operator-gz-token', '127.0.3.1', /api\.streamsPerAddress/) // the address's cap
    const d = await openStream('demo-operator-gz-token', '127.0.3.3')
    expect(d.res.statusCode).toBe(200)
    expect(await mw.metrics.connectionsRefused.get().then((m) => m.values.filter((v) => v.labels.listener === 'sse').reduce((n, v) => n + v.value, 0))).toBe(2)

    a.req.destroy()
    await waitFor(async () => {
      const e = await openStream('demo-operator-zj-token', '127.0.3.4')
      if (e.res.statusCode === 200) { e.req.destroy(); return true }
      e.res.resume()
      return false
    }, 10_000, 'the closed stream to free its slot')
    for (const s of [b, c, d]) s.req.destroy()
  })
})

describe('connections per address', () => {
  it('HTTP: the connection over the cap is answered 429 MW_TOO_MANY_CONNECTIONS at once; other addresses are served', async () => {
    const idle = await Promise.all(Array.from({ length: 4 }, async () => {
      const s = connect({ host: '127.0.0.1', port: mw.httpPort, localAddress: '127.0.4.1' })
      await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject) })
      return s
    }))
    await waitFor(async () => {
      const r = await httpGet(mw.httpPort, '/healthz', undefined, '127.0.4.1').catch(() => ({ status: 0, body: '' }))
      return r.status === 429 && (JSON.parse(r.body) as { error: string }).error === 'MW_TOO_MANY_CONNECTIONS'
    }, 10_000, 'the fifth connection from 127.0.4.1 to be refused')
    expect((await httpGet(mw.httpPort, '/healthz', undefined, '127.0.4.2')).status).toBe(200)
    idle[0]!.destroy()
    await waitFor(async () => (await httpGet(mw.httpPort, '/healthz', undefined, '127.0.4.1')).status === 200, 10_000, 'a freed slot')
    for (const s of idle) s.destroy()
  })

  it('MQTT: the connection over the cap is closed before CONNACK; the devices already connected keep publishing', async () => {
    const held: RawMqtt[] = []
    for (const dev of ['ZJ-DUST01', 'ZJ-DUST02', 'ZJ-DUST03']) {
      const { code, conn } = await mqttLogin(mw.mqttPort, dev, `demo-${dev}-pw`, { localAddress: '127.0.5.1', clientId: dev, keep: true })
      expect(code).toBe(0)
      held.push(conn)
    }
    const over = await mqttLogin(mw.mqttPort, 'ZJ-DUST04', 'demo-ZJ-DUST04-pw', { localAddress: '127.0.5.1', clientId: 'ZJ-DUST04' }).catch(() => ({ code: 'closed' as const }))
    expect(over.code).toBe('closed')
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST04', 'demo-ZJ-DUST04-pw', { localAddress: '127.0.5.2', clientId: 'ZJ-DUST04' })).code).toBe(0)
    held[0]!.send({ cmd: 'publish', topic: 'mines/zj-huzhou-quarry/dust/ZJ-DUST01', payload: Buffer.from(JSON.stringify({ ts: Date.now(), tsp: 0.2 })), qos: 1, messageId: 1, retain: false, dup: false })
    expect(await held[0]!.next()).toMatchObject({ cmd: 'puback', messageId: 1 })
    held[1]!.end()
    await held[1]!.closed
    await waitFor(async () => (await mqttLogin(mw.mqttPort, 'ZJ-DUST04', 'demo-ZJ-DUST04-pw', { localAddress: '127.0.5.1', clientId: 'ZJ-DUST04' }).catch(() => ({ code: 'closed' as const }))).code === 0, 10_000, 'a freed MQTT slot')
    for (const c of held) c.end()
    const raw = await rawMqtt(mw.mqttPort, '127.0.5.3') // the counter is per address, not global
    raw.end()
  })
})
