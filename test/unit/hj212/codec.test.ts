import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { crc212, formatCrc, swapCrc } from '../../../hj212/crc.js'
import { checkPacket, decodePacket, decodeSegment, encodeFrame, encodeSegment, STRICT, type Frame } from '../../../hj212/frame.js'
import { FrameSplitter } from '../../../hj212/stream.js'
import { SplitAssembler } from '../../../hj212/split.js'
import { formatDataTime, formatQn, parseDataTime } from '../../../hj212/datatime.js'

interface FrameFixture { name: string, wire: string, frame: Frame }
interface MalformedFixture { name: string, wire: string, reason: string }
const frames = JSON.parse(readFileSync('test/fixtures/hj212/frames.json', 'utf8')) as FrameFixture[]
const malformed = JSON.parse(readFileSync('test/fixtures/hj212/malformed.json', 'utf8')) as MalformedFixture[]

/** Envelope + segment + strict checks, as the gateway runs them before it knows the device. */
function parseStrict (wire: string) {
  const env = decodePacket(Buffer.from(wire))
  if (!env.ok) return env
  const text = env.packet.segment.toString('utf8')
  const checked = checkPacket(env.packet, text, STRICT)
  if (!checked.ok) return checked
  return decodeSegment(text)
}

describe('CRC (HJ 212-2017 附录 A)', () => {
  it('is not CRC-16/MODBUS: "123456789" gives 2F80', () => {
    expect(formatCrc(crc212(Buffer.from('123456789')))).toBe('2F80')
  })
  it('low byte of a valid CRC is one of 00 01 40 41 80 81 C0 C1', () => {
    for (const f of frames) {
      const seg = Buffer.from(f.wire).subarray(6, -6)
      expect([0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xc0, 0xc1], f.name).toContain(crc212(seg) & 0xff)
    }
  })
  it('swaps the two bytes', () => {
    expect(formatCrc(swapCrc(0x1c80))).toBe('801C')
  })
})

describe('frames round trip (test/fixtures/hj212/frames.json)', () => {
  for (const f of frames) {
    it(f.name, () => {
      const r = parseStrict(f.wire)
      expect(r).toEqual({ ok: true, frame: f.frame })
      expect(encodeFrame(f.frame).toString('utf8')).toBe(f.wire)
      expect(encodeSegment(f.frame)).toBe(f.wire.slice(6, -6))
    })
  }
})

describe('malformed frames give their reason (test/fixtures/hj212/malformed.json)', () => {
  for (const m of malformed) {
    it(m.name, () => {
      const r = parseStrict(m.wire)
      expect(r.ok).toBe(false)
      if (!r.ok) {
        expect(r.error.reason).toBe(m.reason)
        expect(r.error.detail.length).toBeGreaterThan(10)
      }
    })
  }
})

describe('stream reassembly', () => {
  const wire = Buffer.from(frames.map((f) => f.wire).join(''))
  it('cuts frames from any chunking, byte by byte included', () => {
    for (const size of [1, 2, 3, 7, 64, 1000, wire.length]) {
      const s = new FrameSplitter()
      const out: string[] = []
      for (let i = 0; i < wire.length; i += size) {
        for (const item of s.push(wire.subarray(i, i + size))) {
          expect(item.kind).toBe('frame')
          out.push(item.raw.toString())
        }
      }
      expect(out, `chunks of ${size}`).toEqual(frames.map((f) => f.wire))
      expect(s.buffered).toBe(0)
    }
  })
  it('reports garbage between frames and a cut-off frame, and keeps the good frames', () => {
    const s = new FrameSplitter()
    const good = frames[1]!.wire
    const items = s.push(Buffer.from(`hello${good}\r\n${good.slice(0, 40)}${good}`))
    expect(items.map((i) => i.kind)).toEqual(['garbage', 'frame', 'garbage', 'frame'])
    expect(items[2]).toMatchObject({ detail: expect.stringContaining('cut off') })
  })
  it('bounds memory: no CR LF within the limit is garbage', () => {
    const s = new FrameSplitter({ maxFrameBytes: 100 })
    const items = s.push(Buffer.from('##0101' + 'x'.repeat(200)))
    expect(items).toHaveLength(1)
    expect(items[0]!.kind).toBe('garbage')
    expect(s.buffered).toBe(0)
    expect(s.push(Buffer.from(frames[0]!.wire)).map((i) => i.kind)).toEqual(['frame'])
  })
})

describe('split packets (PNUM/PNO)', () => {
  const parts = frames.filter((f) => f.name.startsWith('split')).map((f) => f.frame)
  it('merges the packets in PNO order, whatever the arrival order', () => {
    const a = new SplitAssembler(30_000)
    expect(a.add(parts[1]!, 0)).toEqual({ state: 'partial' })
    const r = a.add(parts[0]!, 10)
    expect(r.state).toBe('complete')
    if (r.state !== 'complete') return
    expect(r.frame.pnum).toBeUndefined()
    expect(r.frame.flag).toBe(5)
    expect(r.frame.cp.map((g) => g[0]![0])).toEqual(['DataTime', 'a34001-Rtd', 'a34002-Rtd', 'DataTime', 'a34004-Rtd', 'LA-Rtd'])
    expect(a.size).toBe(0)
  })
  it('gives up a message after the timeout', () => {
    const a = new SplitAssembler(30_000)
    a.add(parts[0]!, 0)
    expect(a.expire(29_999)).toEqual([])
    const lost = a.expire(30_000)
    expect(lost).toHaveLength(1)
    expect(lost[0]!.pnum).toBe(2)
    expect(a.size).toBe(0)
  })
  it('refuses PNO outside 1..PNUM', () => {
    const a = new SplitAssembler(30_000)
    expect(a.add({ ...parts[0]!, pno: 3 }, 0).state).toBe('invalid')
    expect(a.add({ ...parts[0]!, pnum: 100_000 }, 0).state).toBe('invalid')
  })
})

describe('DataTime (Beijing time)', () => {
  it('reads YYYYMMDDhhmmss as UTC+8, with optional milliseconds', () => {
    expect(parseDataTime('20250301103000')).toBe(Date.parse('2025-03-01T10:30:00+08:00'))
    expect(parseDataTime('20250301103000250')).toBe(Date.parse('2025-03-01T10:30:00.250+08:00'))
  })
  it('refuses what is not a calendar time', () => {
    for (const bad of ['20250230103000', '20251301000000', '20250301246000', '2025030110300', 'abc', '']) expect(parseDataTime(bad), bad).toBeNaN()
  })
  it('formats back', () => {
    const t = Date.parse('2025-03-01T10:30:00.123+08:00')
    expect(formatDataTime(t)).toBe('20250301103000')
    expect(formatQn(t)).toBe('20250301103000123')
  })
})
