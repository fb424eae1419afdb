/** createIngest end to end over in-memory stores: outcomes, rejects, dedup, group commit, failures, isolation. */
import { describe, it, expect } from 'vitest'
import { isMinewatchError, MinewatchError } from '../../../core/errors.js'
import { REJECT_PAYLOAD_MAX_BYTES } from '../../../core/rejects.js'
import type { Reading } from '../../../core/readings.js'
import { LOOKUP_PAUSE_MS } from '../../../ingest/dedup-lookup.js'
import { makeIngest, msg, metricValue, MemoryTelemetryStore, MemoryRejectStore, T0 } from './helpers.js'

const dust = (ts: number, extra: Record<string, unknown> = {}) => ({ ts, pm10: 150, ...extra })

describe('ingest pipeline', () => {
  it('stores readings of every kind and reports the outcome', async () => {
    const { ingest, store, metrics } = makeIngest()
    await ingest.start()
    const cases: Array<[string, unknown]> = [
      ['mines/site-a/dust/DUST-UG', { ts: T0, seq: 1, tsp: 312.5, pm10: 168.2 }],
      ['mines/site-a/water/WM-1', [{ ts: T0, totalM3: 1 }, { ts: T0 + 1000, totalM3: 2 }]],
      ['mines/site-a/locator/UWB-1', { ts: T0, entity: 'person', entityId: 'P-1', lat: 30.95, lon: 119.91 }],
      ['mines/site-a/ore/TS-1', { ts: T0, tonnes: 58.2 }],
      ['mines/site-a/status/DTU-1', { ts: T0, batteryPct: 87 }]
    ]
    const outcomes = await Promise.all(cases.map(([t, p]) => ingest.handle(msg(t, p))))
    expect(outcomes).toEqual([
      { stored: 1, duplicates: 0, rejected: 0 }, { stored: 2, duplicates: 0, rejected: 0 },
      { stored: 1, duplicates: 0, rejected: 0 }, { stored: 1, duplicates: 0, rejected: 0 }, { stored: 1, duplicates: 0, rejected: 0 }
    ])
    expect(store.readings).toHaveLength(6)
    expect(store.readings.find((r) => r.device === 'DUST-UG')?.values).toEqual({ tsp: 0.3125, pm10: 0.1682, flag: 'N' })
    // group commit: concurrent messages share one write
    expect(store.batches).toEqual([6])
    expect(await metricValue(metrics.messagesIn, { kind: 'water' })).toBe(1)
    expect(await metricValue(metrics.readingsStored, { kind: 'water' })).toBe(2)
    expect(await metricValue(metrics.readingsStored)).toBe(6)
    const batch = await metrics.batchSize.get()
    expect(batch.values.find((v) => v.metricName === 'minewatch_batch_readings_count')?.value).toBe(1)
    expect(batch.values.find((v) => v.metricName === 'minewatch_batch_readings_sum')?.value).toBe(6)
  })

  it('records every reject reason with site, device, topic, detail and payload', async () => {
    const { ingest, rejects, store, metrics } = makeIngest({ ingest: { maxLateMs: 3_600_000 } })
    const cases: Array<[string, unknown, string | null, string]> = [
      ['mines/site-a/dust', {}, null, 'bad_topic'],
      ['mines/site-a/dust/GHOST', dust(T0), null, 'unknown_device'],
      ['mines/site-b/dust/DUST-UG', dust(T0), null, 'topic_mismatch'],
      ['mines/site-a/dust/DUST-UG', Buffer.alloc(300 * 1024, 'x'), null, 'payload_too_large'],
      ['mines/site-a/dust/DUST-UG', '{"ts":', null, 'not_json'],
      ['mines/site-a/dust/DUST-UG', Array.from({ length: 5001 }, () => dust(T0)), null, 'too_many_readings'],
      ['mines/site-a/dust/DUST-UG', [], null, 'empty'],
      ['mines/site-a/dust/DUST-UG', { ts: T0, pm10: 'high' }, null, 'invalid_reading'],
      ['mines/site-a/dust/DUST-UG', { ts: 'now', pm10: 1 }, null, 'bad_ts'],
      ['mines/site-a/dust/DUST-UG', { ts: T0 + 3_600_000, pm10: 1 }, null, 'future_ts'],
      ['mines/site-a/dust/DUST-UG', { ts: T0 - 3_600_001, pm10: 1 }, null, 'too_old']
    ]
    for (const [topic, payload, deviceId, reason] of cases) {
      const out = await ingest.handle(msg(topic, payload, deviceId))
      expect(out.stored, reason).toBe(0)
      expect(out.rejected, reason).toBeGreaterThanOrEqual(1)
    }
    expect(store.readings).toEqual([])
    expect(rejects.rows.map((r) => r.reason)).toEqual(cases.map((c) => c[3]))
    for (const row of rejects.rows) {
      expect(row.at).toBe(T0)
      expect(row.detail.length, row.reason).toBeGreaterThan(5)
      expect(Buffer.byteLength(row.payload)).toBeLessThanOrEqual(REJECT_PAYLOAD_MAX_BYTES)
      expect(await metricValue(metrics.rejects, { reason: row.reason })).toBe(1)
    }
    const byReason = Object.fromEntries(rejects.rows.map((r) => [r.reason, r]))
    expect(byReason.bad_topic).toMatchObject({ site: null, device: null, topic: 'mines/site-a/dust', count: 0 })
    expect(byReason.unknown_device).toMatchObject({ site: 'site-a', device: 'GHOST', count: 1 })
    // filed under the device's own site, whatever the topic claims
    expect(byReason.topic_mismatch).toMatchObject({ site: 'site-a', device: 'DUST-UG', topic: 'mines/site-b/dust/DUST-UG' })
    expect(byReason.payload_too_large!.payload).toBe('x'.repeat(REJECT_PAYLOAD_MAX_BYTES))
    expect(byReason.too_many_readings!.count).toBe(5001)
    expect(byReason.invalid_reading!.detail).toBe('1 of 1 readings invalid: pm10: Invalid input: expected number, received string')
    expect(byReason.invalid_reading!.payload).toBe(JSON.stringify({ ts: T0, pm10: 'high' }))
  })

  it('an authenticated device publishing as another is a topic_mismatch filed under the publisher', async () => {
    const { ingest, rejects } = makeIngest()
    const out = await ingest.handle(msg('mines/site-b/dust/B-DUST', dust(T0), 'DUST-UG'))
    expect(out).toEqual({ stored: 0, duplicates: 0, rejected: 1 })
    expect(rejects.rows[0]).toMatchObject({ reason: 'topic_mismatch', site: 'site-a', device: 'DUST-UG' })
  })

  it('stores the valid readings of an array and files one reject per reason for the rest', async () => {
    const { ingest, store, rejects } = makeIngest()
    const payload: Record<string, unknown>[] = Array.from({ length: 100 }, (_, i) => dust(T0 - i * 1000, { seq: i }))
    payload[3] = { ts: T0, seq: 3, pm10: 'x' }
    payload[50] = { ts: T0, seq: 50, pm10: 'y' }
    payload[60] = dust(T0 + 3_600_000, { seq: 60 })
    const out = await ingest.handle(msg('mines/site-a/dust/DUST-UG', payload))
    expect(out).toEqual({ stored: 97, duplicates: 0, rejected: 3 })
    expect(store.readings).toHaveLength(97)
    expect(rejects.rows.map((r) => [r.reason, r.count])).toEqual([['invalid_reading', 2], ['future_ts', 1]])
    expect(rejects.rows[0]!.detail).toBe('2 of 100 readings invalid: [3].pm10: Invalid input: expected number, received string; [50].pm10: Invalid input: expected number, received string')
  })

  it('keeps reject payloads valid UTF-8 when cutting inside a character', async () => {
    const { ingest, rejects } = makeIngest()
    const payload = Buffer.from('{"x":"' + '矿'.repeat(600) + '"}') // 3 bytes each: a cut lands mid-character
    await ingest.handle(msg('mines/site-a/dust/DUST-UG', payload))
    const stored = rejects.rows[0]!.payload
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(REJECT_PAYLOAD_MAX_BYTES)
    expect(stored).not.toContain('\uFFFD')
    expect(Buffer.from(payload.toString('utf8')).toString('utf8').startsWith(stored)).toBe(true)
  })

  it('drops redelivered readings as duplicates and counts them', async () => {
    const { ingest, store, metrics } = makeIngest()
    const m = msg('mines/site-a/dust/DUST-UG', [dust(T0, { seq: 1 }), dust(T0 + 1, { seq: 2 })])
    expect(await ingest.handle(m)).toEqual({ stored: 2, duplicates: 0, rejected: 0 })
    expect(await ingest.handle(m)).toEqual({ stored: 0, duplicates: 2, rejected: 0 })
    expect(await ingest.handle(msg('mines/site-a/dust/DUST-UG', [dust(T0 + 1, { seq: 2 }), dust(T0 + 2, { seq: 3 }), dust(T0 + 2, { seq: 3 })])))
      .toEqual({ stored: 1, duplicates: 2, rejected: 0 })
    expect(store.readings).toHaveLength(3)
    expect(await metricValue(metrics.duplicates)).toBe(4)
  })

  it('a duplicate of a reading still being written resolves only when that write does, and fails with it', async () => {
    const store = new MemoryTelemetryStore()
    let open!: () => void
    store.gate = new Promise((resolve) => { open = resolve })
    store.failNext = 1
    const { ingest } = makeIngest({ store })
    const m = msg('mines/site-a/dust/DUST-UG', dust(T0, { seq: 1 }))
    const first = ingest.handle(m)
    await new Promise((r) => setTimeout(r, 20)) // the first write is now in flight
    const redelivered = ingest.handle(m)
    let settled = false
    redelivered.then(() => { settled = true }, () => { settled = true })
    await new Promise((r) => setTimeout(r, 20))
    expect(settled).toBe(false)
    store.gate = null
    open()
    await expect(first).rejects.toThrow('simulated write failure')
    await expect(redelivered).rejects.toThrow('simulated write failure')
    // the failed write's keys are forgotten: the next redelivery is stored
    expect(await ingest.handle(m)).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(store.readings).toHaveLength(1)
  })

  it('start() seeds duplicate detection from the last 10 minutes; older re-sent readings are found in the store', async () => {
    const store = new MemoryTelemetryStore()
    const before = makeIngest({ store })
    const recent = msg('mines/site-a/locator/UWB-1', [
      { ts: T0 - 60_000, entity: 'person', entityId: 'P-1', lat: 30.95, lon: 119.91 },
      { ts: T0 - 60_000, entity: 'person', entityId: 'P-2', lat: 30.95, lon: 119.91 }
    ])
    const old = msg('mines/site-a/water/WM-1', { ts: T0 - 11 * 60_000, seq: 5, totalM3: 1 })
    await before.ingest.handle(recent)
    await before.ingest.handle(old)
    await before.ingest.close()

    const after = makeIngest({ store }) // a restart: empty memory, same store
    await after.ingest.start()
    expect(await after.ingest.handle(recent)).toEqual({ stored: 0, duplicates: 2, rejected: 0 })
    expect(store.keyQueries).toBe(0) // inside the seed window: memory answers
    // outside the seeding window: the store is asked, once
    expect(await after.ingest.handle(old)).toEqual({ stored: 0, duplicates: 1, rejected: 0 })
    expect(store.keyQueries).toBe(1)
    expect(store.readings).toHaveLength(3)
    // remembered now: a second re-send needs no query; a new late reading is stored
    expect(await after.ingest.handle(old)).toEqual({ stored: 0, duplicates: 1, rejected: 0 })
    expect(store.keyQueries).toBe(1)
    const older = msg('mines/site-a/water/WM-1', [{ ts: T0 - 6 * 24 * 3_600_000, seq: 1, totalM3: 1 }, { ts: T0 - 11 * 60_000, seq: 5, totalM3: 1 }])
    expect(await after.ingest.handle(older)).toEqual({ stored: 1, duplicates: 1, rejected: 0 })
    expect(store.readings).toHaveLength(4)
  })

  it('a re-sent late reading arriving while its lookup runs waits for it and is stored once', async () => {
    const store = new MemoryTelemetryStore()
    const a = makeIngest({ store })
    await a.ingest.start()
    const late = msg('mines/site-a/water/WM-1', { ts: T0 - 3_600_000, seq: 9, totalM3: 2 })
    const [first, second] = await Promise.all([a.ingest.handle(late), a.ingest.handle(late)])
    expect([first, second]).toEqual([{ stored: 1, duplicates: 0, rejected: 0 }, { stored: 0, duplicates: 1, rejected: 0 }])
    expect(store.readings).toHaveLength(1)
  })

  it('a message with readings both older and newer than dedup remembers is written whole, in its own order', async () => {
    const store = new MemoryTelemetryStore()
    const { ingest } = makeIngest({ store })
    await ingest.start()
    const seen: number[][] = []
    ingest.onStored((rs) => { seen.push(rs.map((r) => r.ts)) })
    const tss = [T0 - 20 * 60_000, T0 - 15 * 60_000, T0 - 5 * 60_000, T0 - 60_000] // the first two below the 10-minute seed window
    expect(await ingest.handle(msg('mines/site-a/water/WM-1', tss.map((ts, i) => ({ ts, seq: i, totalM3: i }))))).toEqual({ stored: 4, duplicates: 0, rejected: 0 })
    expect(seen).toEqual([tss])
  })

  it('a message larger than dedupPerDevice re-sent while its write runs is stored once', async () => {
    const store = new MemoryTelemetryStore()
    const { ingest } = makeIngest({ store, ingest: { dedupPerDevice: 10 } })
    await ingest.start()
    let open!: () => void
    store.gate = new Promise<void>((resolve) => { open = resolve })
    const backlog = msg('mines/site-a/water/WM-1', Array.from({ length: 25 }, (_, i) => ({ ts: T0 - 3_600_000 + i * 1000, seq: i, totalM3: i })))
    const first = ingest.handle(backlog)
    await new Promise((resolve) => setImmediate(resolve)) // the write of the first copy has started
    const second = ingest.handle(backlog)
    open()
    const outcomes = await Promise.all([first, second])
    expect(outcomes[0]).toEqual({ stored: 25, duplicates: 0, rejected: 0 })
    expect(outcomes[1]).toEqual({ stored: 0, duplicates: 25, rejected: 0 })
    expect(store.readings).toHaveLength(25)
  })

  it('when the store cannot answer a lookup, late readings are stored and the store is not asked again for a pause', async () => {
    const store = new MemoryTelemetryStore()
    const { ingest, clock } = makeIngest({ store })
    await ingest.start()
    store.keysBetween = async () => { store.keyQueries++; throw new MinewatchError('MW_STORE_UNAVAILABLE', 'InfluxDB is down') }
    const late = (seq: number) => msg('mines/site-a/water/WM-1', { ts: T0 - 3_600_000, seq, totalM3: 2 })
    expect(await ingest.handle(late(1))).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(await ingest.handle(late(2))).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(store.keyQueries).toBe(1)
    clock.advance(LOOKUP_PAUSE_MS)
    expect(await ingest.handle(late(3))).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(store.keyQueries).toBe(2)
    // another error is a bug: the message fails (no PUBACK) rather than risk a double
    clock.advance(LOOKUP_PAUSE_MS)
    store.keysBetween = async () => { throw new MinewatchError('MW_BAD_REQUEST', 'a bug') }
    await expect(ingest.handle(msg('mines/site-a/ore/TS-1', { ts: T0 - 3_600_000, seq: 4, tonnes: 2 }))).rejects.toThrow(/a bug/)
  })

  it('start() goes on with empty duplicate detection when the store is unavailable, but not on other errors', async () => {
    const down = new MemoryTelemetryStore()
    down.recentKeys = async () => { throw new MinewatchError('MW_STORE_UNAVAILABLE', 'InfluxDB is down') }
    const a = makeIngest({ store: down })
    await expect(a.ingest.start()).resolves.toBeUndefined()
    expect(await a.ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0)))).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    const broken = new MemoryTelemetryStore()
    broken.recentKeys = async () => { throw new MinewatchError('MW_BAD_REQUEST', 'a bug') }
    await expect(makeIngest({ store: broken }).ingest.start()).rejects.toThrow(/a bug/)
  })

  it('a failed store write rejects those messages (no PUBACK) and later batches still succeed', async () => {
    const store = new MemoryTelemetryStore()
    store.failNext = 1
    const { ingest, metrics } = makeIngest({ store })
    const a = ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0, { seq: 1 })))
    const b = ingest.handle(msg('mines/site-a/water/WM-1', { ts: T0, totalM3: 1 }))
    await expect(a).rejects.toThrow('simulated write failure')
    await expect(b).rejects.toThrow('simulated write failure')
    expect(store.readings).toEqual([])
    expect(await metricValue(metrics.storeWriteErrors, { store: 'memory' })).toBe(1)
    expect(await ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0, { seq: 1 })))).toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(await metricValue(metrics.readingsStored)).toBe(1)
  })

  it('a failed reject write rejects the message too', async () => {
    const rejects = new MemoryRejectStore()
    rejects.failNext = 1
    const { ingest, store } = makeIngest({ rejects })
    await expect(ingest.handle(msg('mines/site-a/dust/DUST-UG', [dust(T0), { ts: T0 + 5, pm10: 'x' }]))).rejects.toThrow('simulated failure')
    expect(store.readings).toHaveLength(1) // the valid reading is durable; its redelivery will be a duplicate
    expect(await ingest.handle(msg('mines/site-a/dust/DUST-UG', [dust(T0), { ts: T0 + 5, pm10: 'x' }]))).toEqual({ stored: 0, duplicates: 1, rejected: 1 })
    expect(rejects.rows).toHaveLength(1)
  })

  it('a device flooding malformed JSON does not keep a good device from being stored', async () => {
    const { ingest, store, rejects } = makeIngest()
    const flood = Array.from({ length: 2000 }, (_, i) => ingest.handle(msg('mines/site-b/dust/B-DUST', `{"ts":${i},"pm10":`, 'B-DUST')))
    const good = Array.from({ length: 50 }, (_, i) => ingest.handle(msg('mines/site-a/dust/DUST-MG', dust(T0 - i * 1000, { seq: i }), 'DUST-MG')))
    const goodOut = await Promise.all(good)
    expect(goodOut.every((o) => o.stored === 1)).toBe(true)
    expect(await store.count({ device: 'DUST-MG' })).toBe(50)
    await Promise.all(flood)
    expect(rejects.rows.filter((r) => r.reason === 'not_json')).toHaveLength(2000)
  })

  it('tells onStored listeners after readings are durable; a throwing listener harms nothing', async () => {
    const { ingest, store } = makeIngest()
    const seen: Reading[][] = []
    let countAtCall = -1
    const off = ingest.onStored((rs) => { seen.push([...rs]); countAtCall = store.readings.length })
    ingest.onStored(() => { throw new Error('listener bug') })
    await ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0)))
    expect(seen).toHaveLength(1)
    expect(seen[0]![0]).toMatchObject({ device: 'DUST-UG', ts: T0 })
    expect(countAtCall).toBe(1)
    off()
    await ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0 + 1)))
    expect(seen).toHaveLength(1)
  })

  it('recordStoreRejected files readings the store refused as store_rejected, one record per device, on its telemetry topic', async () => {
    const { ingest, rejects } = makeIngest()
    const rs: Reading[] = [
      ...Array.from({ length: 7 }, (_, i): Reading => ({ site: 'site-a', device: 'WM-1', kind: 'water', ts: T0 + i, values: { totalM3: i } })),
      { site: 'site-b', device: 'B-DUST', kind: 'dust', ts: T0, values: { tsp: 1 } }
    ]
    await ingest.recordStoreRejected(rs, 'HTTP 400: field type conflict')
    const rows = rejects.rows.map((r) => ({ site: r.site, device: r.device, topic: r.topic, reason: r.reason, detail: r.detail, count: r.count, quoted: (JSON.parse(r.payload) as unknown[]).length }))
    expect(rows).toEqual([
      { site: 'site-a', device: 'WM-1', topic: 'mines/site-a/water/WM-1', reason: 'store_rejected', detail: 'HTTP 400: field type conflict', count: 7, quoted: 5 },
      { site: 'site-b', device: 'B-DUST', topic: 'mines/site-b/dust/B-DUST', reason: 'store_rejected', detail: 'HTTP 400: field type conflict', count: 1, quoted: 1 }
    ])
  })

  it('recordDenied files broker refusals under the device\'s site', async () => {
    const { ingest, rejects, metrics } = makeIngest()
    await ingest.recordDenied({ deviceId: 'DUST-UG', topic: 'mines/site-b/dust/B-DUST', reason: 'topic_mismatch', payload: Buffer.from('{}'), at: T0 })
    await ingest.recordDenied({ deviceId: null, topic: 'x/y', reason: 'bad_topic', payload: Buffer.alloc(5000, 'a'), at: T0 + 1, detail: 'custom text' })
    expect(rejects.rows[0]).toMatchObject({ site: 'site-a', device: 'DUST-UG', reason: 'topic_mismatch', count: 0, payload: '{}' })
    expect(rejects.rows[0]!.detail).toContain('refused by the broker')
    expect(rejects.rows[1]).toMatchObject({ site: null, device: null, detail: 'custom text', at: T0 + 1 })
    expect(rejects.rows[1]!.payload).toHaveLength(REJECT_PAYLOAD_MAX_BYTES)
    expect(await metricValue(metrics.rejects, { reason: 'topic_mismatch' })).toBe(1)
    await ingest.recordDenied({ deviceId: 'DUST-UG', topic: 'mines/site-a/dust/DUST-UG', reason: 'rate_limited', payload: Buffer.from('{}'), at: T0 })
    expect(rejects.rows[2]).toMatchObject({ site: 'site-a', reason: 'rate_limited', detail: 'refused by the broker: the device publishes faster than broker.rate allows' })
  })

  it('close() flushes what is waiting and refuses later messages', async () => {
    const { ingest, store } = makeIngest({ ingest: { batchMaxWaitMs: 3_600_000 } })
    const pending = ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0)))
    await ingest.close()
    await expect(pending).resolves.toEqual({ stored: 1, duplicates: 0, rejected: 0 })
    expect(store.readings).toHaveLength(1)
    const late = ingest.handle(msg('mines/site-a/dust/DUST-UG', dust(T0 + 1)))
    await expect(late).rejects.toSatisfy((e: unknown) => isMinewatchError(e, 'MW_STORE_CLOSED'))
  })

  it('writes a batch as soon as batchMaxReadings are waiting', async () => {
    const { ingest, store } = makeIngest({ ingest: { batchMaxReadings: 10, batchMaxWaitMs: 3_600_000 } })
    const payload = Array.from({ length: 10 }, (_, i) => dust(T0 - i))
    await ingest.handle(msg('mines/site-a/dust/DUST-UG', payload)) // would hang for an hour without the size trigger
    expect(store.batches).toEqual([10])
  })
})
