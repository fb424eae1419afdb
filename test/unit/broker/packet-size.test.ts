import { describe, it, expect } from 'vitest'
import mqttPacket from 'mqtt-packet'
import { PacketSizeScanner } from '../../../broker/packet-size.js'

const gen = (p: object): Buffer => mqttPacket.generate(p as mqttPacket.Packet)
const publish = (topic: string, bytes: number, qos: 0 | 1 = 1): Buffer =>
  gen({ cmd: 'publish', topic, payload: Buffer.alloc(bytes, 0x61), qos, messageId: qos ? 7 : undefined, retain: false, dup: false })

/** Feeds `stream` cut at every `step` bytes; returns the first verdict. */
function scanInChunks (max: number, stream: Buffer, step: number) {
  const s = new PacketSizeScanner(max)
  for (let i = 0; i < stream.length; i += step) {
    const bad = s.scan(stream.subarray(i, i + step))
    if (bad) return bad
  }
  return null
}

describe('PacketSizeScanner', () => {
  const small = Buffer.concat([
    gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'x', clean: true, keepalive: 60, username: 'u', password: Buffer.from('p') }),
    publish('mines/zj/dust/D1', 200),
    gen({ cmd: 'pingreq' }),
    publish('mines/zj/dust/D1', 16_000, 0),
    gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'alerts/zj/#', qos: 1 }] })
  ])

  it.each([1, 2, 3, 7, 100, 4096, small.length])('passes packets within the limit, in chunks of %i bytes', (step) => {
    expect(scanInChunks(20_000, small, step)).toBeNull()
  })

  it('accepts a packet of exactly the limit and refuses one byte more', () => {
    const p = publish('mines/zj/dust/D1', 1000)
    expect(scanInChunks(p.length, p, 64)).toBeNull()
    expect(scanInChunks(p.length - 1, p, 64)).toMatchObject({ type: 3, bytes: p.length })
  })

  it.each([1, 5, 33, 100_000])('reports an oversized PUBLISH after the packets before it (chunks of %i)', (step) => {
    const big = publish('mines/zj/dust/D1', 50_000)
    const bad = scanInChunks(20_000, Buffer.concat([small, big]), step)
    expect(bad).toMatchObject({ type: 3, bytes: big.length })
    if (step >= 100_000) {
      // the whole header and the start of the payload were at hand
      expect(bad?.topic).toBe('mines/zj/dust/D1')
      expect(bad?.sample?.length).toBe(1024)
      expect(bad?.sample?.every((b) => b === 0x61)).toBe(true)
    }
  })

  it('refuses a Remaining Length longer than four bytes (MQTT 3.1.1 §2.2.3)', () => {
    expect(new PacketSizeScanner(1e9).scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatchObject({ type: 3, bytes: Infinity })
  })

  it('refuses an oversized packet of another type', () => {
    const sub = gen({ cmd: 'subscribe', messageId: 1, subscriptions: Array.from({ length: 50 }, (_, i) => ({ topic: `mines/zj/dust/D${i}`, qos: 1 })) })
    expect(new PacketSizeScanner(100).scan(sub)).toMatchObject({ type: 8, bytes: sub.length })
  })
})
