/** normalise: timestamps, units and the Reading shape, from the fixture table tables/normalise.json (now = T0). */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { decode } from '../../../ingest/decode.js'
import { validate } from '../../../ingest/validate.js'
import { normalise } from '../../../ingest/normalise.js'
import { testRegistry, testConfig, T0 } from './helpers.js'

interface Row {
  name: string
  topic: string
  payload: unknown
  maxLateMs?: number
  expect: { readings: Record<string, unknown>[], rejections: Array<{ reason: string, count?: number, detail?: string }> }
}
const rows = JSON.parse(readFileSync(new URL('./tables/normalise.json', import.meta.url), 'utf8')) as Row[]
const registry = testRegistry()
const defaultLate = testConfig().ingest.maxLateMs

describe('normalise (tables/normalise.json)', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const d = decode(row.topic, Buffer.from(JSON.stringify(row.payload)))
    if (!d.ok) throw new Error(`fixture does not decode: ${d.rejection.detail}`)
    const v = validate(d.value, registry, null)
    if (!v.ok || v.rejection) throw new Error(`fixture does not validate: ${JSON.stringify(v)}`)
    const out = normalise(v.valid, v.entry, { now: T0, maxLateMs: row.maxLateMs ?? defaultLate, isArray: d.value.isArray, total: d.value.items.length })
    expect(out.readings).toHaveLength(row.expect.readings.length)
    row.expect.readings.forEach((want, i) => {
      const got = out.readings[i]!
      const { values, ...rest } = want as { values?: Record<string, unknown> }
      expect(got).toMatchObject(rest)
      // values are exact: canonical fields only, no float noise from unit conversion
      if (values) expect(got.values).toEqual(values)
    })
    expect(out.rejections.map((r) => r.reason)).toEqual(row.expect.rejections.map((r) => r.reason))
    row.expect.rejections.forEach((want, i) => {
      const got = out.rejections[i]!
      if (want.count !== undefined) expect(got.count).toBe(want.count)
      if (want.detail !== undefined) expect(got.detail).toContain(want.detail)
    })
  })

  it('omits seq when the device sends none', () => {
    const d = decode('mines/site-a/water/WM-1', Buffer.from('{"ts":1740796200000,"totalM3":1}'))
    if (!d.ok) throw new Error('decode')
    const v = validate(d.value, registry, null)
    if (!v.ok) throw new Error('validate')
    const [r] = normalise(v.valid, v.entry, { now: T0, maxLateMs: defaultLate, isArray: false, total: 1 }).readings
    expect(r).toBeDefined()
    expect('seq' in r!).toBe(false)
  })
})
