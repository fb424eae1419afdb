/**
 * Finding 9 of issue 13 (broker part): retained messages were accepted unvalidated (HTML delivered
 * to later subscribers), rejected payloads were still forwarded to subscribers, and QoS 1 wills
 * were dropped silently. A message with any refused reading is now acknowledged (its rejects
 * recorded) but delivered to nobody and never retained; a QoS 1 will is taken in like a publish.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { startTestMinewatch, connectDevice } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

async function subscriber (id: string): Promise<{ c: MqttClient, got: Array<{ topic: string, payload: string, retain: boolean }> }> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: 'svc-ingest', password: 'demo-svc-ingest-pw', clientId: `svc-ingest-${id}`, reconnectPeriod: 0, protocolVersion: 4 })
  const got: Array<{ topic: string, payload: string, retain: boolean }> = []
  c.on('message', (topic, p, packet) => got.push({ topic, payload: p.toString(), retain: packet.retain }))
  await c.subscribeAsync(`mines/${SITE}/#`, { qos: 1 })
  return { c, got }
}

describe('what subscribers receive', () => {
  it('a refused payload (retained or not) is acknowledged, recorded, and reaches no subscriber', async () => {
    const s = await subscriber('a')
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST01')
    try {
      const topic = `mines/${SITE}/dust/ZJ-DUST01`
      await d.publishAsync(topic, '<script>alert(1)</script>', { qos: 1, retain: true })
      await d.publishAsync(topic, JSON.stringify({ ts: Date.now(), tsp: -1 }), { qos: 1 })
      const good = JSON.stringify({ ts: Date.now(), seq: 7, tsp: 0.3 })
      await d.publishAsync(topic, good, { qos: 1, retain: true })
      await waitFor(() => s.got.length >= 1, 10_000, 'the good message')
      expect(s.got.map((m) => m.payload)).toEqual([good])
      const rejects = await mw.state.rejects.list({ device: 'ZJ-DUST01', limit: 10 })
      expect(rejects.map((r) => r.reason).sort()).toEqual(['implausible_value', 'not_json'])
      // a later subscriber gets only the valid retained message
      const later = await subscriber('b')
      await waitFor(() => later.got.length >= 1, 10_000, 'the retained message')
      expect(later.got).toEqual([{ topic, payload: good, retain: true }])
      await later.c.endAsync()
    } finally {
      await d.endAsync()
      await s.c.endAsync()
    }
  })

  it('a QoS 1 will is taken in when the device drops', async () => {
    const will = { ts: Date.now(), seq: 4242, batteryPct: 0, fw: 'lost-link' }
    const d = await connectDevice(mw.mqttPort, 'ZJ-DTU01', undefined, { will: { topic: `mines/${SITE}/status/ZJ-DTU01`, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: false } })
    ;(d as unknown as { stream: { destroy(): void } }).stream.destroy() // no DISCONNECT: the will is due
    await waitFor(async () => (await mw.telemetry.latest({ site: SITE, device: 'ZJ-DTU01' }))[0]?.seq === 4242, 10_000, 'the will reading')
    d.end(true)
  })
})
