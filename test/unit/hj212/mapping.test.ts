import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { checkPacket, decodePacket, decodeSegment } from '../../../hj212/frame.js'
import { isDataCommand, mapDataFrame } from '../../../hj212/mapping.js'
import { hj212DeviceSchema } from '../../../core/sites.js'

interface QuirkFixture {
  name: string
  wire: string
  device: { kind: 'dust' | 'water', unit?: string, hj212: Record<string, unknown> }
  expect: { reading?: Record<string, unknown>, quirks?: string[], kept?: string[], error?: string }
}
const quirks = JSON.parse(readFileSync('test/fixtures/hj212/quirks.json', 'utf8')) as QuirkFixture[]

/** The gateway's steps for a known device, without the socket. */
function receive (q: QuirkFixture) {
  const h = hj212DeviceSchema.parse({ mn: 'X', pw: 'x', ...q.device.hj212 })
  const env = decodePacket(Buffer.from(q.wire))
  if (!env.ok) return { error: env.error.reason }
  const text = env.packet.segment.toString('utf8')
  const checked = checkPacket(env.packet, text, h)
  if (!checked.ok) return { error: checked.error.reason }
  const seg = decodeSegment(text)
  if (!seg.ok) return { error: seg.error.reason }
  const cn = seg.frame.cn
  if (!isDataCommand(cn)) return { error: 'hj212_unknown_command' }
  const m = mapDataFrame(seg.frame, cn, { kind: q.device.kind, minuteIntervalS: h.minuteIntervalS })
  if (m.error) return { error: m.error.reason }
  return { reading: m.reading, quirks: checked.quirks, kept: m.kept }
}

describe('each quirk family (test/fixtures/hj212/quirks.json)', () => {
  for (const q of quirks) {
    it(q.name, () => {
      const r = receive(q)
      if (q.expect.error) {
        expect(r).toEqual({ error: q.expect.error })
        return
      }
      expect(r.reading).toEqual(q.expect.reading)
      expect(r.quirks).toEqual(q.expect.quirks)
      expect(r.kept).toEqual(q.expect.kept ?? [])
    })
  }
})
