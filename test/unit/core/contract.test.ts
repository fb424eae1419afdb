import { describe, it, expect } from 'vitest'
import { parseTelemetryTopic, telemetryTopic } from '../../../core/topics.js'
import { parseTimestamp, beijingDayStart, beijingDateToMs, beijingDate, beijingMonthStart, beijingYearStart } from '../../../core/time.js'
import { dustToMgM3, parseDustUnit } from '../../../core/units.js'
import { READING_SCHEMAS, formatIssue } from '../../../core/readings.js'
import { pointInPolygon, distanceToBoundaryM, distanceM, offsetM } from '../../../core/geo.js'
import { verifySecret, hashSecret, SecretVerifier, ScryptSlots, defaultScryptSlots, generateDeviceSecret, GENERATED_SECRET_N, PERSON_SECRET_MIN_N, hashCost, scryptHashProblem, dummyHash } from '../../../core/secrets.js'

describe('topics', () => {
  it.each([
    ['mines/s1/dust/D1', { site: 's1', kind: 'dust', device: 'D1' }],
    ['mines/s1/smoke/D1', { error: "unknown kind 'smoke' in topic (dust, water, locator, ore, status, energy)" }],
    ['mines/s1/dust', { error: 'topic must be mines/{siteId}/{kind}/{deviceId}' }],
    ['mines/s1/dust/D1/extra', { error: 'topic must be mines/{siteId}/{kind}/{deviceId}' }],
    ['other/s1/dust/D1', { error: 'topic must be mines/{siteId}/{kind}/{deviceId}' }],
    ['mines/s 1/dust/D1', { error: "bad site id 's 1' in topic" }],
    ['mines/s1/dust/', { error: "bad device id '' in topic" }]
  ])('%s', (topic, expected) => {
    expect(parseTelemetryTopic(topic)).toEqual(expected)
  })
  it('formats', () => expect(telemetryTopic('a', 'ore', 'b')).toBe('mines/a/ore/b'))
})

describe('time', () => {
  it.each([
    [1740796200000, 1740796200000],
    ['2025-03-01T10:30:00+08:00', Date.UTC(2025, 2, 1, 2, 30)],
    ['2025-03-01T02:30:00.250Z', Date.UTC(2025, 2, 1, 2, 30, 0, 250)],
    ['2025-03-01 02:30:00Z', Date.UTC(2025, 2, 1, 2, 30)],
    ['2025-03-01T10:30:00', NaN], // no offset
    ['20250301103000', NaN],
    [1.5, NaN],
    ['', NaN]
  ])('parseTimestamp(%s)', (input, expected) => {
    expect(parseTimestamp(input as number | string)).toEqual(expected)
  })
  it('Beijing calendar boundaries', () => {
    const t = Date.UTC(2025, 2, 31, 17, 0) // 2025-04-01 01:00 Beijing
    expect(beijingDate(t)).toBe('2025-04-01')
    expect(beijingDayStart(t)).toBe(Date.UTC(2025, 2, 31, 16, 0))
    expect(beijingMonthStart(t)).toBe(Date.UTC(2025, 2, 31, 16, 0))
    expect(beijingYearStart(t)).toBe(Date.UTC(2024, 11, 31, 16, 0))
    expect(beijingDateToMs('2025-04-01')).toBe(Date.UTC(2025, 2, 31, 16, 0))
    expect(beijingDateToMs('2025-02-30')).toBeNaN()
  })
})

describe('units', () => {
  it('normalises dust to mg/m³', () => {
    expect(dustToMgM3(312.5, 'ug/m3')).toBeCloseTo(0.3125)
    expect(dustToMgM3(312_500, 'ng/m3')).toBeCloseTo(0.3125)
    expect(dustToMgM3(0.3125, 'mg/m3')).toBe(0.3125)
    expect(parseDustUnit('µg/m³')).toBe('ug/m3')
    expect(parseDustUnit('ppm')).toBeUndefined()
  })
})

describe('reading schemas', () => {
  it('needs at least one particulate metric and a known flag', () => {
    const r = READING_SCHEMAS.dust.safeParse({ ts: 1, temp: 3, flag: 'X' })
    expect(r.success).toBe(false)
    const msgs = r.error!.issues.map((i) => formatIssue(i, [2]))
    expect(msgs).toEqual(expect.arrayContaining([expect.stringMatching(/^\[2\]\.flag: /)]))
    const ok = READING_SCHEMAS.dust.parse({ ts: 1, pm10: 0.1 })
    expect(ok.flag).toBe('N')
    expect(READING_SCHEMAS.dust.safeParse({ ts: 1 }).error?.issues[0]?.message).toMatch(/at least one of tsp, pm10, pm25/)
  })
  it('rejects unknown fields and out-of-range positions', () => {
    expect(READING_SCHEMAS.water.safeParse({ ts: 1, totalM3: 5, volume: 3 }).success).toBe(false)
    expect(READING_SCHEMAS.locator.safeParse({ ts: 1, entity: 'person', entityId: 'P1', lat: 95, lon: 120 }).success).toBe(false)
    expect(READING_SCHEMAS.locator.safeParse({ ts: 1, entity: 'robot', entityId: 'P1', lat: 30, lon: 120 }).success).toBe(false)
  })
})

describe('geo', () => {
  const square = [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]] as [number, number][][]
  it('point in polygon and distances', () => {
    expect(pointInPolygon([120.005, 30.005], square)).toBe(true)
    expect(pointInPolygon([120.02, 30.005], square)).toBe(false)
    const inside = offsetM([120, 30.005], 10, 0)
    expect(distanceToBoundaryM(inside, square)).toBeCloseTo(10, 0)
    expect(distanceM([120, 30], [120, 30.01])).toBeCloseTo(1111.9, 0)
  })
})

describe('secrets', () => {
  it('generated device secrets: 256 random bits, hashed at the cheaper cost, refused below it and for people', () => {
    const a = generateDeviceSecret()
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(generateDeviceSecret()).not.toBe(a)
    const h = hashSecret(a, undefined, GENERATED_SECRET_N)
    expect(hashCost(h)).toBe(1024)
    expect(verifySecret(a, h)).toBe(true)
    expect(verifySecret(`${a}x`, h)).toBe(false)
    expect(scryptHashProblem(h, GENERATED_SECRET_N)).toBeUndefined()
    expect(scryptHashProblem(h, PERSON_SECRET_MIN_N)).toMatch(/N = 1024, below 16384/)
    expect(scryptHashProblem(hashSecret('s', undefined, 512), GENERATED_SECRET_N)).toMatch(/below 1024/)
    expect(scryptHashProblem('scrypt$1000$8$1$c2FsdA==$aGFzaA==', 2)).toMatch(/power of two/)
    expect(scryptHashProblem('scrypt$1048576$8$1$c2FsdA==$aGFzaA==', 2)).toMatch(/more than 64 MiB/)
    expect(scryptHashProblem('nope', 2)).toMatch(/is not scrypt/)
    expect(hashCost(dummyHash(GENERATED_SECRET_N))).toBe(1024)
    expect(hashCost(dummyHash())).toBe(16384)
  })

  it('hashes with scrypt and verifies', async () => {
    const h = hashSecret('correct horse')
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/)
    expect(verifySecret('correct horse', h)).toBe(true)
    expect(verifySecret('wrong horse', h)).toBe(false)
    const outcomes: string[] = []
    const v = new SecretVerifier({ onOutcome: (o) => outcomes.push(o) })
    expect(await v.verify('correct horse', h)).toBe('ok')
    expect(await v.verify('correct horse', h)).toBe('ok')
    expect(v.isVerified('correct horse', h)).toBe(true)
    expect(await v.verify('wrong', h)).toBe('bad')
    expect(await v.verify('wrong', h)).toBe('bad')
    expect(await v.dummy('nobody', 'wrong')).toBe('bad')
    expect(outcomes).toEqual(['ok', 'cached', 'bad', 'cached', 'bad'])
  })

  it('runs at most `concurrency` checks, queues up to maxQueue, refuses the rest as busy', async () => {
    const h = hashSecret('s')
    const v = new SecretVerifier({ concurrency: 1, maxQueue: 2 })
    const all = await Promise.all(Array.from({ length: 5 }, (_, i) => v.verify(`guess-${i}`, h)))
    expect(all).toEqual(['bad', 'bad', 'bad', 'busy', 'busy'])
    // low priority: only when a slot is free right now
    const [first, low] = await Promise.all([v.verify('g-a', h), v.verify('g-b', h, { lowPriority: true })])
    expect([first, low]).toEqual(['bad', 'busy'])
    expect(v.idle).toBe(true)
  })

  it('shares the process-wide scrypt slots between verifiers: two verifiers, one slot, one scrypt at a time', async () => {
    const h = hashSecret('s')
    const slots = new ScryptSlots(1)
    const mqtt = new SecretVerifier({ slots })
    const api = new SecretVerifier({ slots })
    // the API verifier is idle itself, but the one slot is the broker's: a low-priority check is refused
    const [a, b] = await Promise.all([mqtt.verify('g-1', h), api.verify('g-2', h, { lowPriority: true })])
    expect([a, b]).toEqual(['bad', 'busy'])
    // a normal check waits for the slot instead, and the slots pass on in arrival order
    const order: string[] = []
    await Promise.all([mqtt.verify('g-3', h).then(() => order.push('mqtt')), api.verify('g-4', h).then(() => order.push('api'))])
    expect(order).toEqual(['mqtt', 'api'])
    expect(slots.available).toBe(true)
    // separate slots: both run (the API check is not refused)
    const own = new SecretVerifier({ slots: new ScryptSlots(1) })
    expect(await Promise.all([mqtt.verify('g-5', h), own.verify('g-6', h, { lowPriority: true })])).toEqual(['bad', 'bad'])
  })

  it('leaves one core to the event loop by default; MINEWATCH_SCRYPT_CONCURRENCY overrides it', () => {
    expect(defaultScryptSlots({}, 2)).toBe(1)
    expect(defaultScryptSlots({}, 1)).toBe(1)
    expect(defaultScryptSlots({}, 8)).toBe(7)
    expect(defaultScryptSlots({ MINEWATCH_SCRYPT_CONCURRENCY: '3' }, 2)).toBe(3)
    expect(() => defaultScryptSlots({ MINEWATCH_SCRYPT_CONCURRENCY: '0' }, 2)).toThrow(/whole number ≥ 1, got '0'/)
    expect(() => defaultScryptSlots({ MINEWATCH_SCRYPT_CONCURRENCY: 'two' }, 2)).toThrow(/MINEWATCH_SCRYPT_CONCURRENCY/)
    expect(() => new ScryptSlots(0)).toThrow(/whole number ≥ 1/)
  })
})
