/**
 * Replays the fuzz corpus (test/fixtures/fuzz/: the seeds of `npm run fuzz` and every case it
 * ever found behind a crash, a stall or a missing safe outcome) through `minewatch up` over real
 * sockets, each case with the outcome it must get (bench/fuzz/cases.ts): MQTT bytes before and
 * after CONNECT answered or closed, payloads acknowledged, API inputs never a 5xx. Afterwards the
 * process still serves a legitimate device.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import {
  PayloadDevice, fuzzAddress, loadCorpus, sendApi, sendMqtt, type ApiCase, type MqttCase, type PayloadCase
} from '../../bench/fuzz/cases.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

describe('fuzz corpus replay', () => {
  it('MQTT packets before and after CONNECT: each connection is answered or closed', async () => {
    const cases = loadCorpus<MqttCase>('mqtt')
    expect(cases.length).toBeGreaterThan(5)
    for (const [i, c] of cases.entries()) {
      expect((await sendMqtt(mw.mqttPort, c, fuzzAddress(i, 10), 250)).finding, c.name).toBeUndefined()
    }
  })

  it('payloads of authenticated devices: every one acknowledged (stored or rejected)', async () => {
    const cases = loadCorpus<PayloadCase>('payload')
    const devices = new Map<string, PayloadDevice>()
    const rejectsBefore = await mw.state.rejects.count({ site: 'zj-huzhou-quarry' })
    for (const c of cases) {
      const d = devices.get(c.device) ?? new PayloadDevice(mw.mqttPort, c.device)
      devices.set(c.device, d)
      expect((await d.send(c, mw.config.config.broker.maxPacketBytes)).finding, c.name).toBeUndefined()
    }
    for (const d of devices.values()) d.end()
    // the hostile seeds are refused with a reason, not dropped silently
    await waitFor(async () => (await mw.state.rejects.count({ site: 'zj-huzhou-quarry' })) - rejectsBefore >= 4, 10_000, 'rejects of the hostile seeds')
  })

  it('API inputs: never a 5xx, never without an answer', async () => {
    const cases = loadCorpus<ApiCase>('api')
    for (const [i, c] of cases.entries()) {
      expect((await sendApi(mw.httpPort, c, fuzzAddress(i, 50))).finding, `${c.name} ${c.method} ${c.path}`).toBeUndefined()
    }
  })

  it('after the corpus, a legitimate device publishes and /healthz answers', async () => {
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST05')
    const ts = Date.now()
    await d.publishAsync('mines/zj-huzhou-quarry/dust/ZJ-DUST05', JSON.stringify({ ts, seq: 9, tsp: 0.2 }), { qos: 1 })
    await d.endAsync()
    expect((await api(mw, '/healthz')).status).toBe(200)
  })
})
