/** Spool record framing: round trip, torn tails, damage in the middle. */
import { describe, it, expect } from 'vitest'
import { encodeRecord, scanRecords, recordAt, HEADER_BYTES, MAGIC } from '../../../store/spool/framing.js'

const rec = (text: string, count = 1) => encodeRecord(Buffer.from(text), count)

describe('framing', () => {
  it('lays out magic, length, count, crc, payload', () => {
    const r = rec('[1,2]', 2)
    expect(r.length).toBe(HEADER_BYTES + 5)
    expect(r.readUInt32LE(0)).toBe(MAGIC)
    expect(r.subarray(0, 4).toString('latin1')).toBe('MWS1')
    expect(r.readUInt32LE(4)).toBe(5)
    expect(r.readUInt32LE(8)).toBe(2)
    expect(r.subarray(HEADER_BYTES).toString()).toBe('[1,2]')
    expect(recordAt(r, 0)).toEqual({ offset: 0, bytes: r.length, count: 2 })
  })

  it('scans consecutive records', () => {
    const buf = Buffer.concat([rec('a', 1), rec('bb', 2), rec('', 0)])
    const s = scanRecords(buf)
    expect(s.records.map((r) => [r.offset, r.count])).toEqual([[0, 1], [17, 2], [35, 0]])
    expect(s.damaged).toEqual([])
    expect(s.validEnd).toBe(buf.length)
  })

  it('stops before a torn last record (every possible cut)', () => {
    const whole = Buffer.concat([rec('first'), rec('second-record')])
    const firstEnd = HEADER_BYTES + 5
    for (let cut = firstEnd + 1; cut < whole.length; cut++) {
      const s = scanRecords(whole.subarray(0, cut))
      expect(s.records).toHaveLength(1)
      expect(s.validEnd).toBe(firstEnd)
      expect(s.damaged).toEqual([])
    }
  })

  it('treats a last record with a bad CRC as torn', () => {
    const buf = Buffer.concat([rec('first'), rec('second')])
    buf[buf.length - 1]! ^= 0xff
    const s = scanRecords(buf)
    expect(s.records).toHaveLength(1)
    expect(s.validEnd).toBe(HEADER_BYTES + 5)
  })

  it('skips a damaged record in the middle and reports it', () => {
    const a = rec('aaaa')
    const b = rec('bbbb')
    const c = rec('cccc')
    const buf = Buffer.concat([a, b, c])
    buf[a.length + HEADER_BYTES + 1]! ^= 0x01 // flip a payload bit of b
    const s = scanRecords(buf)
    expect(s.records.map((r) => r.offset)).toEqual([0, a.length + b.length])
    expect(s.damaged).toEqual([{ offset: a.length, bytes: b.length }])
    expect(s.validEnd).toBe(buf.length)
  })

  it('resyncs after a corrupted length field', () => {
    const a = rec('aaaa')
    const b = rec('bbbb')
    const c = rec('cccc')
    const buf = Buffer.concat([a, b, c])
    buf.writeUInt32LE(0xfffffff0, a.length + 4)
    const s = scanRecords(buf)
    expect(s.records.map((r) => r.offset)).toEqual([0, a.length + b.length])
    expect(s.damaged).toHaveLength(1)
  })

  it('scans from a start offset', () => {
    const a = rec('aaaa')
    const buf = Buffer.concat([a, rec('bbbb')])
    expect(scanRecords(buf, a.length).records.map((r) => r.offset)).toEqual([a.length])
  })
})
