/**
 * The probes of issue 13 that already held, kept as permanent tests so they stay held: ACLs on
 * publish and subscribe, malformed MQTT packets, payload fuzz, API site isolation, injection in
 * parameters, oversized HTTP bodies. (SIGKILL under load losing nothing: test/integration/up-sigkill.test.ts.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { mqttLogin, rawMqtt } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const ZJ = 'zj-huzhou-quarry'
const GS = 'gs-baiyin-cuzn'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

/** A deterministic byte source (xorshift32), so a failure can be replayed. */
function bytes (seed: number, n: number): Buffer {
  let x = seed >>> 0 || 1
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; out[i] = x & 0xff }
  return out
}

describe('MQTT', () => {
  it('a device may not subscribe to another site nor publish as another device', async () => {
    const { code, conn } = await mqttLogin(mw.mqttPort, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { keep: true })
    expect(code).toBe(0)
    conn.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `mines/${GS}/#`, qos: 1 }, { topic: '#', qos: 0 }, { topic: '$SYS/#', qos: 0 }] })
    expect(await conn.next()).toMatchObject({ cmd: 'suback', granted: [128, 128, 128] })
    conn.send({ cmd: 'publish', topic: `mines/${ZJ}/dust/ZJ-DUST02`, payload: Buffer.from('{"ts":1,"tsp":1}'), qos: 1, messageId: 2, retain: false, dup: false })
    expect(await conn.next()).toBeNull() // disconnected, no PUBACK
    await waitFor(async () => (await mw.state.rejects.list({ device: 'ZJ-DUST01', reason: 'topic_mismatch', limit: 5 })).length === 1, 10_000, 'the topic_mismatch reject')
  })

  it('malformed packets close only their own connection', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = await rawMqtt(mw.mqttPort)
      c.socket.write(bytes(seed, 64 + seed * 7))
      setTimeout(() => c.end(), 2000).unref()
      await c.closed
    }
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST05')
    await d.publishAsync(`mines/${ZJ}/dust/ZJ-DUST05`, JSON.stringify({ ts: Date.now(), seq: 1, tsp: 0.2 }), { qos: 1 })
    await d.endAsync()
  })

  it('payload fuzz: every message is acknowledged and each refusal recorded', async () => {
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST06')
    const seeds = Array.from({ length: 60 }, (_, i) => i + 100)
    const payloads = seeds.map((s, i) => i % 3 === 0
      ? bytes(s, 1 + (s % 300))
      : Buffer.from(JSON.stringify(i % 3 === 1 ? { ts: s * 1e13, tsp: -s, pm10: 'x'.repeat(s) } : [{ ts: Date.now(), tsp: s / 1000 }, { ts: null }, 7, [], {}])))
    for (const p of payloads) await d.publishAsync(`mines/${ZJ}/dust/ZJ-DUST06`, p, { qos: 1 })
    await d.endAsync()
    const rejects = await mw.state.rejects.count({ site: ZJ })
    expect(rejects).toBeGreaterThanOrEqual(60)
  })
})

describe('API', () => {
  it('a site token sees nothing of another site', async () => {
    for (const path of [`/api/v1/sites/${GS}`, `/api/v1/sites/${GS}/latest`, `/api/v1/sites/${GS}/boundary.geojson`]) {
      expect((await api(mw, path, 'demo-operator-zj-token')).status, path).toBe(404)
    }
    expect((await api(mw, `/api/v1/rejects?site=${GS}`, 'demo-operator-zj-token')).status).toBe(403)
    expect((await api(mw, `/api/v1/series?site=${GS}&kind=dust&field=tsp`, 'demo-operator-zj-token')).status).toBe(403)
  })

  it('injection in parameters is a 400, never a query', async () => {
    for (const q of ["site=zj'%20OR%201=1--", 'site=zj%3BDROP%20TABLE%20rejects', 'device=%27%29%20UNION%20SELECT%201--', 'reason=not_json%27']) {
      const res = await api(mw, `/api/v1/rejects?${q}`)
      expect(res.status, q).toBe(400)
      expect(((await res.json()) as { error: string }).error).toBe('MW_BAD_REQUEST')
    }
    expect((await api(mw, '/api/v1/rejects?limit=5')).status).toBe(200)
  })

  it('an oversized body is refused before it is read whole', async () => {
    const res = await api(mw, '/api/v1/alerts/nope/ack', 'demo-admin-token-0001', { method: 'POST', body: JSON.stringify({ note: 'x'.repeat(200 * 1024) }), headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(413)
  })
})
