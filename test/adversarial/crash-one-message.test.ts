/**
 * Finding 1 of issue 13: one message must never crash or wedge minewatch. A `ts` that is a safe
 * integer but outside the Date range (9e15) used to pass the schema and throw while the
 * `future_ts` detail was built: the embedded broker then sent no PUBACK (device wedged, the good
 * reading of the same array lost) and the external intake threw an uncaught exception (crash loop).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import mqtt from 'mqtt'
import { startTestMinewatch, connectDevice, demoConfig } from '../helpers/minewatch.js'
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js'
import { waitFor } from '../helpers/ports.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
const SITE = 'zj-huzhou-quarry'
const DEVICE = 'ZJ-DUST05' // sends mg/m³
const TOPIC = `mines/${SITE}/dust/${DEVICE}`

/** Timestamps that are numbers JSON can carry but no Date can hold, or strings beyond year 9999. */
const HOSTILE_TS = [9e15, 8.64e15 + 1, Number.MAX_SAFE_INTEGER, 1e300, '9999-12-31T23:59:59+14:00', '0000-01-01T00:00:00Z']

describe('embedded broker: out-of-range ts', () => {
  let mw: MW
  beforeAll(async () => { mw = await startTestMinewatch() })
  afterAll(async () => { await mw?.cleanup() })

  it('acknowledges the message, stores the good reading and rejects each bad one with its reason', async () => {
    const c = await connectDevice(mw.mqttPort, DEVICE)
    try {
      for (const [i, ts] of HOSTILE_TS.entries()) {
        const good = { ts: Date.now(), seq: 1000 + i, tsp: 0.5 }
        // PUBACK within the test timeout: the device is not wedged
        await c.publishAsync(TOPIC, JSON.stringify([good, { ts, seq: 2000 + i, tsp: 0.4 }]), { qos: 1 })
        const stored = await mw.telemetry.latest({ site: SITE, device: DEVICE })
        expect(stored[0]?.seq, `good reading next to ts ${ts}`).toBe(1000 + i)
      }
      const rejects = await mw.state.rejects.list({ device: DEVICE, limit: 50 })
      expect(rejects).toHaveLength(HOSTILE_TS.length)
      for (const r of rejects) {
        expect(['invalid_reading', 'bad_ts', 'future_ts', 'too_old']).toContain(r.reason)
        expect(r.count).toBe(1)
        expect(r.detail).toMatch(/\[1\]\.ts/)
      }
      // the connection is still usable
      await c.publishAsync(TOPIC, JSON.stringify({ ts: Date.now(), seq: 3000, tsp: 0.3 }), { qos: 1 })
      expect((await mw.telemetry.latest({ site: SITE, device: DEVICE }))[0]?.seq).toBe(3000)
    } finally {
      await c.endAsync()
    }
  })
})

describe('external intake: out-of-range ts', () => {
  let mosquitto: MosquittoHandle
  let mw: MW
  beforeAll(async () => {
    mosquitto = await startMosquitto()
    mw = await startTestMinewatch({ config: demoConfig(`ingest:\n  external:\n    url: ${mosquitto.url}\n    clientId: adversarial-ingest\n`) })
  })
  afterAll(async () => { await mw?.cleanup(); await mosquitto?.stop() })

  it('records the reject, stores the good reading and keeps taking messages', async () => {
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: 'adv-device', reconnectPeriod: 0 })
    try {
      await device.publishAsync(TOPIC, JSON.stringify([{ ts: Date.now(), seq: 1, tsp: 0.5 }, { ts: 9e15, seq: 2, tsp: 0.4 }]), { qos: 1 })
      await device.publishAsync(TOPIC, JSON.stringify({ ts: Date.now(), seq: 3, tsp: 0.6 }), { qos: 1 })
      await waitFor(async () => (await mw.telemetry.latest({ site: SITE, device: DEVICE }))[0]?.seq === 3, 15_000, 'the message after the hostile one')
      const keys = (await mw.telemetry.recentKeys(Date.now() - 60_000)).filter((k) => k.device === DEVICE)
      expect(keys.map((k) => k.seq).sort()).toEqual([1, 3])
      const rejects = await mw.state.rejects.list({ device: DEVICE, limit: 10 })
      expect(rejects).toHaveLength(1)
      expect(rejects[0]!.detail).toMatch(/\[1\]\.ts/)
    } finally {
      await device.endAsync()
    }
  })
})
