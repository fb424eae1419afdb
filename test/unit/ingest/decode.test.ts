/** decode: topic and payload envelope, from the fixture table tables/decode.json. */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { decode } from '../../../ingest/decode.js'

interface Row {
  name: string
  topic: string
  payload?: string
  generate?: { array?: unknown, bytes?: string, count: number }
  expect: { items?: number, isArray?: boolean, topic?: unknown, reason?: string, detail?: string, count?: number }
}
const rows = JSON.parse(readFileSync(new URL('./tables/decode.json', import.meta.url), 'utf8')) as Row[]

function payloadOf (row: Row): Buffer {
  if (row.payload !== undefined) return Buffer.from(row.payload)
  const g = row.generate!
  if (g.bytes !== undefined) return Buffer.alloc(g.count, g.bytes)
  return Buffer.from(JSON.stringify(Array.from({ length: g.count }, () => g.array)))
}

describe('decode (tables/decode.json)', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const out = decode(row.topic, payloadOf(row))
    const e = row.expect
    if (e.reason === undefined) {
      expect(out.ok, JSON.stringify(out)).toBe(true)
      if (!out.ok) return
      expect(out.value.items).toHaveLength(e.items!)
      expect(out.value.isArray).toBe(e.isArray)
      if (e.topic) expect(out.value.topic).toEqual(e.topic)
    } else {
      expect(out.ok).toBe(false)
      if (out.ok) return
      expect(out.rejection.reason).toBe(e.reason)
      if (e.detail !== undefined) expect(out.rejection.detail).toContain(e.detail)
      if (e.count !== undefined) expect(out.rejection.count).toBe(e.count)
      if (e.topic !== undefined) expect(out.topic).toEqual(e.topic)
    }
  })

  it('covers every reason decode can give', () => {
    const reasons = new Set(rows.map((r) => r.expect.reason).filter(Boolean))
    expect([...reasons].sort()).toEqual(['bad_topic', 'empty', 'invalid_reading', 'not_json', 'payload_too_large', 'too_many_readings'])
  })
})
