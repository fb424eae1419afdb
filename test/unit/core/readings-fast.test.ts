/**
 * The fast accept path (core/readings-fast.ts) against zod, on generated readings of every kind
 * in READING_SCHEMAS: whenever the fast check accepts, zod accepts with the same output (defaults
 * and transforms applied); whatever zod refuses, the fast check leaves to zod. The generator reads
 * each kind's shape from the zod schema itself, so a kind or field added there is covered too.
 * Then whole messages through ingest/validate.ts: the same result with and without the fast path.
 */
import { describe, it, expect } from 'vitest'
import type { z } from 'zod'
import { KINDS, type Kind } from '../../../core/kinds.js'
import { READING_SCHEMAS, MAX_DATE_MS } from '../../../core/readings.js'
import { FAST_READING_CHECKS, NOT_SURE, compileReadingCheck } from '../../../core/readings-fast.js'
import { decode } from '../../../ingest/decode.js'
import { validate } from '../../../ingest/validate.js'
import { testRegistry } from '../ingest/helpers.js'
import { prng } from '../../helpers/prng.js'

const NOW = Date.parse('2026-12-02T05:00:00Z')
/** Values every field is tried with: edges of the ranges in core/readings.ts, wrong types, and the adversarial ones. */
const POOL: unknown[] = [
  0, -0, 1, -1, 0.5, 1.5, 59.9, 60, 70, 70.0001, -60, -60.0001, 90, -90, 90.5, 180, -180.5, 100, 100.0001, 200, 200.5, 360, 361, -200, -201,
  1e308, -1e308, 1.7e308, 5e-324, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2, MAX_DATE_MS, MAX_DATE_MS + 1, 9e15, -1e15,
  NOW, NOW + 0.5, NOW / 1000, NaN, Infinity, -Infinity,
  '', 'N', 'F', 'T', 'B', 'X', 'n', 'NaN', 'Infinity', '-Infinity', '1e999', '2026-12-02T13:00:00+08:00', '2026-12-02 05:00:00Z', '+275760-09-13T00:00:01Z',
  'person', 'vehicle', 'robot', 'a', 'ZJ.TRK-01_2', '-bad', 'a'.repeat(64), 'a'.repeat(65), 'fw-1.2.3', 'x'.repeat(70), '__proto__',
  true, false, null, [], [1], {}, { valueOf: 1 }, undefined
]
/** Keys no schema has, including prototype names (JSON.parse makes __proto__ an own key). */
const EXTRA_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'extra', 'TSP', '']

/** Per kind, per field (from the schema's shape): may it be absent, and the POOL values its own schema accepts. */
const FIELD_POOLS = Object.fromEntries(KINDS.map((kind) => {
  const shape = (READING_SCHEMAS[kind] as unknown as { shape: Record<string, z.ZodType> }).shape
  return [kind, Object.entries(shape).map(([name, field]) => ({
    name,
    optional: field.safeParse(undefined).success,
    accepted: POOL.filter((v) => v !== undefined && field.safeParse(v).success)
  }))]
})) as Record<Kind, Array<{ name: string, optional: boolean, accepted: unknown[] }>>

/** A random reading of `kind`: mostly values its own field schema accepts, sometimes anything from POOL. */
function generate (kind: Kind, rnd: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  let text = '{'
  const parts: string[] = []
  const direct: Record<string, unknown> = {}
  for (const { name, optional, accepted } of FIELD_POOLS[kind]) {
    if (rnd() < (optional ? 0.45 : 0.05)) continue
    const value = accepted.length > 0 && rnd() < 0.85 ? pick(accepted) : pick(POOL)
    direct[name] = value
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'}`)
  }
  if (rnd() < 0.1) {
    const k = pick(EXTRA_KEYS)
    direct[k] = 1
    parts.push(`${JSON.stringify(k)}:1`)
  }
  text += parts.join(',') + '}'
  // most readings as a device sends them (through JSON), some built directly (NaN, undefined, odd prototypes)
  const r = rnd()
  if (r < 0.8) return JSON.parse(text)
  if (r < 0.9) return direct
  if (r < 0.93) return Object.assign(Object.create(null) as object, direct)
  if (r < 0.96) return Object.assign(new (class Odd {})(), direct)
  return pick([null, 'text', 42, [], [direct], new Array(10_000).fill(0), true])
}

describe('fast reading checks (core/readings-fast.ts)', () => {
  it('compile for every kind in core/kinds.ts', () => {
    for (const kind of KINDS) expect(FAST_READING_CHECKS[kind], kind).not.toBeNull()
  })

  it.each(KINDS.map((k) => [k]))('%s: accept only what zod accepts, with zod\'s output (5,000 generated readings)', (kind) => {
    const schema = READING_SCHEMAS[kind]
    const fast = FAST_READING_CHECKS[kind]!
    const rnd = prng(0x5EED + KINDS.indexOf(kind))
    let zodValid = 0
    let fastValid = 0
    let zodInvalid = 0
    for (let i = 0; i < 5000; i++) {
      const input = generate(kind, rnd)
      const z = schema.safeParse(input)
      const f = fast(input)
      if (z.success) zodValid++
      else zodInvalid++
      if (f === NOT_SURE) continue
      fastValid++
      expect(z.success, `fast accepted what zod refuses: ${String(JSON.stringify(input))}`).toBe(true)
      if (z.success) expect(f, JSON.stringify(input)).toStrictEqual(z.data)
    }
    // both sides of the property were exercised, and the fast path is actually taken
    expect(zodInvalid).toBeGreaterThan(500)
    expect(zodValid).toBeGreaterThan(500)
    expect(fastValid / zodValid).toBeGreaterThan(0.9)
  })

  it('leaves the adversarial readings to zod (ts beyond a Date, non-finite numbers, prototype keys, huge arrays)', () => {
    const dust = FAST_READING_CHECKS.dust!
    for (const input of [
      { ts: 9e15, tsp: 0.4 }, { ts: MAX_DATE_MS + 1, tsp: 0.4 }, { ts: 1.5, tsp: 0.4 }, { ts: -1, tsp: 0.4 },
      { ts: NOW, tsp: NaN }, { ts: NOW, tsp: Infinity }, JSON.parse('{"ts":1,"tsp":1e999}'),
      JSON.parse('{"ts":1,"tsp":0.4,"__proto__":{"x":1}}'), JSON.parse('{"ts":1,"tsp":0.4,"constructor":1}'),
      { ts: NOW, tsp: undefined, pm10: 0.1 }, new Array(5000).fill({ ts: NOW, tsp: 0.1 }), { ts: NOW }, { ts: '', tsp: 1 }
    ]) {
      expect(dust(input), JSON.stringify(input)).toBe(NOT_SURE)
    }
    // strings zod accepts for ts are accepted (normalise refuses them as bad_ts / future_ts, as today)
    expect(dust({ ts: 'NaN', tsp: 0.4 })).toStrictEqual(READING_SCHEMAS.dust.parse({ ts: 'NaN', tsp: 0.4 }))
  })

  it('falls back to zod for a schema it cannot compile', () => {
    const schema = READING_SCHEMAS.ore.and(READING_SCHEMAS.ore)
    expect(compileReadingCheck(schema)).toBeNull()
  })
})

describe('validate with and without the fast path', () => {
  const registry = testRegistry()
  const DEVICES: Partial<Record<Kind, string>> = { dust: 'DUST-MG', water: 'WM-1', locator: 'UWB-1', ore: 'TS-1', status: 'DTU-1' }
  const ZOD_ONLY = Object.fromEntries(KINDS.map((k) => [k, null])) as Record<Kind, null>

  it.each(KINDS.filter((k) => DEVICES[k] !== undefined).map((k) => [k]))('%s: the same valid readings and the same reject detail (500 generated messages)', (kind) => {
    const rnd = prng(0xBEEF + KINDS.indexOf(kind))
    const topic = `mines/site-a/${kind}/${DEVICES[kind]!}`
    for (let m = 0; m < 500; m++) {
      const n = rnd() < 0.5 ? 1 : 1 + Math.floor(rnd() * 20)
      const items = Array.from({ length: n }, () => generate(kind, rnd))
      const d = decode(topic, Buffer.from(JSON.stringify(n === 1 && rnd() < 0.5 ? items[0] : items) ?? 'null'))
      if (!d.ok) continue
      expect(validate(d.value, registry, null)).toStrictEqual(validate(d.value, registry, null, ZOD_ONLY))
    }
  })
})
