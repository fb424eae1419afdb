/** validate: registry checks and zod schemas, from the fixture table tables/validate.json. */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { decode } from '../../../ingest/decode.js'
import { validate } from '../../../ingest/validate.js'
import { testRegistry } from './helpers.js'

interface Row {
  name: string
  topic: string
  deviceId: string | null
  payload: unknown
  expect: {
    valid?: number[]
    rejection?: { reason: string, detail?: string, count?: number } | null
    data0?: Record<string, unknown>
    reason?: string
    detail?: string
    count?: number
  }
}
const rows = JSON.parse(readFileSync(new URL('./tables/validate.json', import.meta.url), 'utf8')) as Row[]
const registry = testRegistry()

describe('validate (tables/validate.json)', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const d = decode(row.topic, Buffer.from(JSON.stringify(row.payload)))
    if (!d.ok) throw new Error(`fixture does not decode: ${d.rejection.detail}`)
    const out = validate(d.value, registry, row.deviceId)
    const e = row.expect
    if (e.reason !== undefined) {
      expect(out.ok).toBe(false)
      if (out.ok) return
      expect(out.rejection.reason).toBe(e.reason)
      if (e.detail !== undefined) expect(out.rejection.detail).toContain(e.detail)
      if (e.count !== undefined) expect(out.rejection.count).toBe(e.count)
      return
    }
    expect(out.ok, JSON.stringify(out)).toBe(true)
    if (!out.ok) return
    expect(out.valid.map((v) => v.index)).toEqual(e.valid)
    if (e.rejection === null) {
      expect(out.rejection).toBeNull()
    } else {
      expect(out.rejection?.reason).toBe(e.rejection!.reason)
      if (e.rejection!.detail !== undefined) expect(out.rejection?.detail).toContain(e.rejection!.detail)
      if (e.rejection!.count !== undefined) expect(out.rejection?.count).toBe(e.rejection!.count)
    }
    if (e.data0) expect(out.valid[0]?.data).toMatchObject(e.data0)
  })

  it('returns the registry entry of the device', () => {
    const d = decode('mines/site-b/dust/B-DUST', Buffer.from('{"ts":1,"pm10":1}'))
    if (!d.ok) throw new Error('decode')
    const out = validate(d.value, registry, 'B-DUST')
    expect(out.ok && out.entry.site.id).toBe('site-b')
    expect(out.ok && out.entry.device.unit).toBe('mg/m3')
  })
})
