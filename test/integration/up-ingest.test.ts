/**
 * Issue 2 acceptance through the whole process: devices publish over MQTT to `minewatch up`
 * (embedded broker → ingest → DuckDB), every kind is stored in canonical units, every kind of
 * bad input gets its specific reject or MQTT refusal, and other devices are unaffected.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { MqttClient } from 'mqtt'
import { startTestMinewatch, connectDevice, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import type { Reading } from '../../core/readings.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

async function latest (device: string): Promise<Reading | undefined> {
  const rows = await mw.telemetry.latest({ site: SITE, device })
  return rows[0]
}

async function rejectsOf (device: string) {
  return await mw.state.rejects.list({ device, limit: 50 })
}

describe('minewatch up: ingest over MQTT', () => {
  it('stores each payload kind with canonical units', async () => {
    const now = Date.now()
    const cases: Array<[string, string, unknown, (r: Reading) => void]> = [
      // ZJ-DUST01 sends µg/m³: stored as mg/m³
      ['ZJ-DUST01', 'dust', { ts: now, seq: 1, tsp: 312.5, pm10: 168.2, pm25: 61.7, temp: 12.3, rh: 56, windSpeed: 3.4, windDir: 225, noise: 63.2 }, (r) => {
        expect(r.values.tsp).toBeCloseTo(0.3125, 6)
        expect(r.values.pm10).toBeCloseTo(0.1682, 6)
        expect(r.values.pm25).toBeCloseTo(0.0617, 6)
        expect(r.values).toMatchObject({ temp: 12.3, rh: 56, windSpeed: 3.4, windDir: 225, noise: 63.2, flag: 'N' })
      }],
      // ZJ-DUST05 sends mg/m³ already
      ['ZJ-DUST05', 'dust', { ts: new Date(now).toISOString().replace('Z', '+00:00'), pm10: 0.2, flag: 'M' }, (r) => {
        expect(r.values.pm10).toBeCloseTo(0.2, 6)
        expect(r.values.flag).toBe('M')
      }],
      ['ZJ-WM01', 'water', { ts: now, totalM3: 1234.5, flowM3h: 42 }, (r) => expect(r.values).toMatchObject({ totalM3: 1234.5, flowM3h: 42 })],
      ['ZJ-TS01', 'ore', { ts: now, tonnes: 58.2, truckId: 'ZJ-TRK03' }, (r) => expect(r.values).toMatchObject({ tonnes: 58.2, truckId: 'ZJ-TRK03' })],
      ['ZJ-BS01', 'ore', { ts: now, tonnes: 12.5, totalT: 88_000.5 }, (r) => expect(r.values).toMatchObject({ tonnes: 12.5, totalT: 88_000.5 })],
      ['ZJ-TRK01', 'locator', { ts: now, entity: 'vehicle', entityId: 'ZJ-TRK01', lat: 30.9526, lon: 119.9102, speedKmh: 23, heading: 90, accuracyM: 2.5 }, (r) => {
        expect(r.values).toMatchObject({ entity: 'vehicle', entityId: 'ZJ-TRK01', lat: 30.9526, lon: 119.9102, speedKmh: 23 })
      }],
      ['ZJ-DTU01', 'status', { ts: now, batteryPct: 87, rssiDbm: -71, fw: '2.4.1', uptimeS: 86400 }, (r) => expect(r.values).toMatchObject({ batteryPct: 87, rssiDbm: -71, fw: '2.4.1', uptimeS: 86400 })]
    ]
    for (const [device, kind, payload, check] of cases) {
      const c = await connectDevice(mw.mqttPort, device)
      await c.publishAsync(`mines/${SITE}/${kind}/${device}`, JSON.stringify(payload), { qos: 1 })
      await c.endAsync()
      // QoS 1 PUBACK means durable: the reading is there without waiting
      const r = await latest(device)
      expect(r, device).toBeDefined()
      expect(r!.kind).toBe(kind)
      check(r!)
    }
  })

  it('stores a locator gateway array of many tags', async () => {
    const now = Date.now()
    const tags = Array.from({ length: 120 }, (_, i) => ({ ts: now, entity: 'person', entityId: `P${String(i).padStart(3, '0')}`, lat: 30.95 + i * 1e-5, lon: 119.91, accuracyM: 0.5 }))
    const c = await connectDevice(mw.mqttPort, 'ZJ-UWB01')
    await c.publishAsync(`mines/${SITE}/locator/ZJ-UWB01`, JSON.stringify(tags), { qos: 1 })
    await c.endAsync()
    const rows = await mw.telemetry.latest({ site: SITE, device: 'ZJ-UWB01' })
    expect(new Set(rows.map((r) => r.values.entityId)).size).toBe(120)
  })

  it('stores a redelivered duplicate (same device, ts, seq) once', async () => {
    const ts = Date.now() - 1000
    const c = await connectDevice(mw.mqttPort, 'ZJ-DUST02')
    const body = JSON.stringify({ ts, seq: 77, pm10: 100 })
    await c.publishAsync(`mines/${SITE}/dust/ZJ-DUST02`, body, { qos: 1 })
    await c.publishAsync(`mines/${SITE}/dust/ZJ-DUST02`, body, { qos: 1, dup: true })
    await c.publishAsync(`mines/${SITE}/dust/ZJ-DUST02`, JSON.stringify([{ ts, seq: 77, pm10: 100 }, { ts, seq: 78, pm10: 101 }]), { qos: 1 })
    await c.endAsync()
    expect(await mw.telemetry.count({ site: SITE, device: 'ZJ-DUST02', from: ts, to: ts + 1 })).toBe(2)
  })

  describe('bad input gets its specific reject reason, and other devices are unaffected', () => {
    let good: MqttClient
    let goodSent = 0
    const goodStart = Date.now() - 60_000
    beforeAll(async () => { good = await connectDevice(mw.mqttPort, 'ZJ-DUST03') })
    afterAll(async () => { await good?.endAsync() })
    async function goodPublish () {
      goodSent++
      await good.publishAsync(`mines/${SITE}/dust/ZJ-DUST03`, JSON.stringify({ ts: goodStart + goodSent, seq: goodSent, pm10: 50 }), { qos: 1 })
    }

    const bad: Array<[string, () => string | Buffer, string, RegExp]> = [
      ['not JSON', () => '{"ts": 1, pm10:', 'not_json', /JSON/],
      ['wrong type', () => JSON.stringify({ ts: Date.now(), pm10: 'high' }), 'invalid_reading', /pm10/],
      ['unknown field value', () => JSON.stringify({ ts: Date.now(), pm10: 1, flag: 'X' }), 'invalid_reading', /flag/],
      ['missing ts', () => JSON.stringify({ pm10: 1 }), 'invalid_reading', /ts/],
      ['future ts', () => JSON.stringify({ ts: Date.now() + 3_600_000, pm10: 1 }), 'future_ts', /future|ahead/],
      ['too old', () => JSON.stringify({ ts: Date.now() - 8 * 86_400_000, pm10: 1 }), 'too_old', /old|late/],
      ['too many readings', () => JSON.stringify(Array.from({ length: 5001 }, (_, i) => ({ ts: Date.now() - i, pm10: 1 }))), 'too_many_readings', /5,?000/],
      ['empty array', () => '[]', 'empty', /empty/]
    ]
    for (const [name, payload, reason, detail] of bad) {
      it(name, async () => {
        const c = await connectDevice(mw.mqttPort, 'ZJ-DUST04')
        const before = (await rejectsOf('ZJ-DUST04')).length
        await c.publishAsync(`mines/${SITE}/dust/ZJ-DUST04`, payload(), { qos: 1 })
        await goodPublish()
        await c.endAsync()
        const rejects = await rejectsOf('ZJ-DUST04')
        expect(rejects.length).toBe(before + 1)
        expect(rejects[0]).toMatchObject({ site: SITE, device: 'ZJ-DUST04', topic: `mines/${SITE}/dust/ZJ-DUST04`, reason })
        expect(rejects[0]!.detail).toMatch(detail)
        expect(rejects[0]!.payload.length).toBeLessThanOrEqual(1024)
      })
    }

    it('keeps the valid readings of an array with some invalid ones', async () => {
      const c = await connectDevice(mw.mqttPort, 'ZJ-DUST06')
      const t = Date.now() - 5000
      await c.publishAsync(`mines/${SITE}/dust/ZJ-DUST06`, JSON.stringify([{ ts: t, pm10: 10 }, { ts: t + 1, pm10: 'x' }, { ts: t + 2, pm10: 12 }]), { qos: 1 })
      await c.endAsync()
      expect(await mw.telemetry.count({ site: SITE, device: 'ZJ-DUST06', from: t, to: t + 3 })).toBe(2)
      const [r] = await rejectsOf('ZJ-DUST06')
      expect(r).toMatchObject({ reason: 'invalid_reading', count: 1 })
      expect(r!.detail).toMatch(/\[1\]\.pm10/)
    })

    it('refuses an oversized message', async () => {
      const c = await connectDevice(mw.mqttPort, 'ZJ-DUST04')
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
      c.publish(`mines/${SITE}/dust/ZJ-DUST04`, Buffer.alloc(300 * 1024, 0x20), { qos: 1 })
      await closed
      await goodPublish()
      await waitFor(async () => (await rejectsOf('ZJ-DUST04')).some((r) => r.reason === 'payload_too_large'), 5000, 'payload_too_large reject')
    })

    it('refuses a publish to another site\'s topic and records it', async () => {
      const c = await connectDevice(mw.mqttPort, 'ZJ-DUST04')
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
      c.publish('mines/gs-baiyin-cuzn/dust/GS-DUST01', JSON.stringify({ ts: Date.now(), pm10: 9 }), { qos: 1 })
      await closed
      await goodPublish()
      await waitFor(async () => (await rejectsOf('ZJ-DUST04')).some((r) => r.reason === 'topic_mismatch'), 5000, 'topic_mismatch reject')
      expect(await mw.telemetry.count({ site: 'gs-baiyin-cuzn', device: 'GS-DUST01' })).toBe(0)
    })

    it('refuses a publish to a topic that is not a telemetry topic and records it', async () => {
      const c = await connectDevice(mw.mqttPort, 'ZJ-DUST04')
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
      c.publish(`mines/${SITE}/dust`, JSON.stringify({ ts: Date.now(), pm10: 9 }), { qos: 1 })
      await closed
      await goodPublish()
      await waitFor(async () => (await rejectsOf('ZJ-DUST04')).some((r) => r.reason === 'bad_topic'), 5000, 'bad_topic reject')
    })

    it('refuses a device flooding past its rate limit, records it, and keeps what it acknowledged', async () => {
      // demo broker.rate: 50 messages/s with a burst of 200; past 200 held messages the next is refused
      const c = await connectDevice(mw.mqttPort, 'ZJ-DUST05')
      c.on('error', () => {})
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
      const t0 = Date.now() - 30_000
      let acked = 0
      for (let i = 0; i < 600; i++) {
        c.publish(`mines/${SITE}/dust/ZJ-DUST05`, JSON.stringify({ ts: t0 + i, seq: 50_000 + i, pm10: 0.05 }), { qos: 1 }, (err) => { if (!err) acked++ })
      }
      await closed
      await goodPublish()
      await waitFor(async () => (await rejectsOf('ZJ-DUST05')).some((r) => r.reason === 'rate_limited'), 5000, 'rate_limited reject')
      expect(acked).toBeGreaterThan(0)
      expect(acked).toBeLessThan(600)
      // every acknowledged message is stored
      expect(await mw.telemetry.count({ site: SITE, device: 'ZJ-DUST05', from: t0, to: t0 + 600 })).toBeGreaterThanOrEqual(acked)
    })

    it('refuses an unknown device and a wrong password at CONNECT', async () => {
      await expect(connectDevice(mw.mqttPort, 'NO-SUCH-DEVICE', 'whatever-pw')).rejects.toThrow(/Bad username or password|Not authorized/i)
      await expect(connectDevice(mw.mqttPort, 'ZJ-DUST04', 'wrong-password')).rejects.toThrow(/Bad username or password|Not authorized/i)
      await goodPublish()
    })

    it('stored every reading of the good device in between', async () => {
      await goodPublish()
      expect(await mw.telemetry.count({ site: SITE, device: 'ZJ-DUST03', from: goodStart, to: goodStart + goodSent + 1 })).toBe(goodSent)
    })

    it('lists the rejects through the API', async () => {
      const res = await api(mw, `/api/v1/rejects?site=${SITE}&limit=100`)
      expect(res.status).toBe(200)
      const body = await res.json() as { items?: Array<{ reason: string }> } | Array<{ reason: string }>
      const items = Array.isArray(body) ? body : body.items ?? []
      const reasons = new Set(items.map((r) => r.reason))
      for (const r of ['not_json', 'invalid_reading', 'future_ts', 'too_many_readings', 'topic_mismatch']) expect(reasons).toContain(r)
    })
  })

  it('answers /healthz and /readyz, and shows latest readings through the API', async () => {
    expect((await fetch(`http://127.0.0.1:${mw.httpPort}/healthz`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${mw.httpPort}/readyz`)).status).toBe(200)
    const res = await api(mw, `/api/v1/sites/${SITE}/latest`)
    expect(res.status).toBe(200)
    expect(JSON.stringify(await res.json())).toContain('ZJ-DUST01')
  })
})
