/**
 * Finding 6 of issue 13: an oversized PUBLISH header sent without CONNECT still became a reject
 * row under the site named in the attacker's topic, at about 1,200/s: the bounded history of real
 * rejects could be pushed out in 90 s. Unauthenticated traffic now never reaches a store.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { rawMqtt } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

/** The first bytes of a PUBLISH announcing `bytes` of body (MQTT 3.1.1 §2.2: type 3, Remaining Length varint). */
function oversizedPublishHeader (topic: string, bytes: number): Buffer {
  const len: number[] = []
  let x = bytes
  do { let b = x % 128; x = Math.floor(x / 128); if (x > 0) b |= 0x80; len.push(b) } while (x > 0)
  const t = Buffer.from(topic)
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from('{"ts":1,"tsp":')])
}

describe('unauthenticated traffic never reaches the rejects store', () => {
  it('an oversized PUBLISH without CONNECT is cut off and recorded nowhere but a metric', async () => {
    const denied = async () => (await mw.metrics.brokerDenied.get()).values.find((v) => v.labels.action === 'packet')?.value ?? 0
    const before = await denied()
    for (let i = 0; i < 50; i++) {
      const c = await rawMqtt(mw.mqttPort)
      c.socket.write(oversizedPublishHeader(`mines/${SITE}/dust/ZJ-DUST01`, 10 * 1024 * 1024))
      await c.closed
    }
    expect(await denied() - before).toBe(50)
    // a real device's reject goes through, so the store was not merely slow
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST02')
    await d.publishAsync(`mines/${SITE}/dust/ZJ-DUST02`, 'not json', { qos: 1 })
    await d.endAsync()
    const rows = await mw.state.rejects.list({ site: SITE, limit: 100 })
    expect(rows.map((r) => [r.device, r.reason])).toEqual([['ZJ-DUST02', 'not_json']])
  })

  it('an authenticated device\'s oversized PUBLISH is still recorded as payload_too_large', async () => {
    const d = await connectDevice(mw.mqttPort, 'ZJ-DUST03')
    d.on('error', () => {})
    d.publish(`mines/${SITE}/dust/ZJ-DUST03`, Buffer.alloc(400 * 1024, 0x20), { qos: 1 })
    await new Promise<void>((resolve) => d.once('close', () => resolve()))
    d.end(true)
    await waitFor(async () => (await mw.state.rejects.list({ device: 'ZJ-DUST03', limit: 10 })).length > 0, 10_000, 'the reject record')
    const rows = await mw.state.rejects.list({ device: 'ZJ-DUST03', limit: 10 })
    expect(rows.map((r) => r.reason)).toEqual(['payload_too_large'])
  })
})
