/**
 * Finding 3 of issue 13: a device subscribed to its own site that stopped reading its socket
 * delayed MQTT delivery for all sites by up to 25 s (alerts included) and grew memory until
 * `drainTimeout` cut it. Each subscriber now has a byte-bounded outbound allowance
 * (`broker.outboundMaxBytes`): past it that subscriber alone is disconnected.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import mqtt from 'mqtt'
import { startTestMinewatch } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { mqttLogin } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

describe('a subscriber that stops reading', () => {
  it('is disconnected at its byte bound while other sites keep receiving at once', async () => {
    // the slow reader: a device of zj subscribed to its own site, then never reads again
    const { code, conn: slow } = await mqttLogin(mw.mqttPort, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { clientId: 'ZJ-DUST01-slow', keep: true })
    expect(code).toBe(0)
    slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'mines/zj-huzhou-quarry/#', qos: 1 }] })
    expect(await slow.next()).toMatchObject({ cmd: 'suback' })
    slow.socket.pause()

    // a regulator of another site
    const reg = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: 'reg-gansu', password: 'demo-reg-gansu-pw', clientId: 'reg-gansu-1', reconnectPeriod: 0, protocolVersion: 4 })
    try {
      await reg.subscribeAsync('mines/gs-baiyin-cuzn/#', { qos: 1 })
      const got: string[] = []
      reg.on('message', (_t, p) => got.push(p.toString()))

      // 20 MiB for the slow reader's site: far more than socket buffers hold
      const big = Buffer.alloc(64 * 1024, 0x61)
      const flood = Array.from({ length: 320 }, () => mw.broker.publish('mines/zj-huzhou-quarry/dust/ZJ-DUST02', big, 1))
      const others = Array.from({ length: 20 }, (_, i) => mw.broker.publish('mines/gs-baiyin-cuzn/dust/GS-DUST01', `m${i}`, 1))
      // well before drainTimeout (30 s): delivery to the other site did not wait for the slow socket
      await waitFor(() => got.length === 20, 10_000, 'the other site\'s messages')
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
      await Promise.all([...flood, ...others])
      await slow.closed
      const denied = (await mw.metrics.brokerDenied.get()).values.find((v) => v.labels.action === 'slow_subscriber')?.value
      expect(denied).toBe(1)
      // the slow device may come back (and is cut again if it keeps not reading)
      expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { clientId: 'ZJ-DUST01-slow' })).code).toBe(0)
    } finally {
      await reg.endAsync()
      slow.end()
    }
  })
})
