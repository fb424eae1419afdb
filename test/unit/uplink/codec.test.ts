/** The uplink batch format (uplink/codec.ts): round trip, per-device order, refusal of malformed batches. */
import { describe, it, expect } from 'vitest'
import { deflateRawSync } from 'node:zlib'
import { batchJson, decodeBatch, encodeBatch } from '../../../uplink/codec.js'
import type { UplinkItem } from '../../../uplink/items.js'
import type { Reading } from '../../../core/readings.js'

const SITE = 'zj'
const dust = (device: string, i: number): Reading => ({ site: SITE, device, kind: 'dust', ts: 1_790_000_000_000 + i * 10_000, seq: i, values: { tsp: 0.21 + (i % 5) / 100, pm10: 0.0617, flag: 'N' } })

describe('uplink batch codec', () => {
  it('round-trips readings (interleaved devices, each in its own order) and alert transitions', () => {
    const readings = Array.from({ length: 40 }, (_, i) => dust(i % 2 === 0 ? 'D1' : 'D2', i))
    readings.push({ site: SITE, device: 'L1', kind: 'locator', ts: 1_790_000_000_500, values: { entity: 'person', entityId: 'P1', lat: 30.1, lon: 120.2 } })
    const alert = { id: 'a1', site: SITE, kind: 'boundary_breach', subject: 'P1', device: 'L1', severity: 'alarm', state: 'firing', firedAt: 1, updatedAt: 1, resolvedAt: null, ackedBy: null, ackNote: null, value: null, limit: null, unit: '', standard: '', message: 'm' } as const
    const transition = { seq: 7, alertId: 'a1', site: SITE, kind: 'boundary_breach', from: null, to: 'firing', severity: 'alarm', at: 1, reason: 'r', value: null, limit: null, by: null, message: 'm' } as const
    const items: UplinkItem[] = [...readings.map((r) => ({ r })), { a: { alert: { ...alert }, transition: { ...transition } } }]
    const back = decodeBatch(SITE, encodeBatch(SITE, items))
    const sortKey = (r: Reading) => `${r.device}/${r.ts}`
    expect(back.readings.map(sortKey).sort()).toEqual(readings.map(sortKey).sort())
    expect(back.readings.filter((r) => r.device === 'D1')).toEqual(readings.filter((r) => r.device === 'D1'))
    expect(back.readings.find((r) => r.device === 'L1')).toEqual(readings.at(-1))
    expect(back.transitions).toEqual([{ alert, transition }])
  })

  it('costs well under 40 bytes per dust reading compressed in a batch of 2,000', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ r: dust(`D${i % 4}`, i) }))
    const wire = encodeBatch(SITE, items).length / items.length
    const raw = Buffer.byteLength(batchJson(SITE, items)) / items.length
    expect(wire).toBeLessThan(40)
    expect(wire).toBeLessThan(raw / 2)
  })

  it('carries daily reports ("d") only when the batch has some, and refuses one of another site or day', () => {
    const d = { site: SITE, date: '2026-12-01', revision: 2, computedAt: 1_790_000_000_000, report: { site: SITE, date: '2026-12-01', dust: [] } }
    const items: UplinkItem[] = [{ r: dust('D1', 1) }, { d }, { d: { ...d, site: 'gs' } }] // another site's report is not this target's
    expect(decodeBatch(SITE, encodeBatch(SITE, items)).reports).toEqual([d])
    expect(JSON.parse(batchJson(SITE, [{ r: dust('D1', 1) }]))).not.toHaveProperty('d')
    expect(decodeBatch(SITE, encodeBatch(SITE, [{ r: dust('D1', 1) }])).reports).toEqual([])
    const bad = (x: unknown) => Buffer.concat([Buffer.from([1]), deflateRawSync(JSON.stringify({ r: [], a: [], d: [x] }))])
    expect(() => decodeBatch(SITE, bad({ ...d, site: 'gs' }))).toThrow("d[0]: a report of site 'gs', not 'zj'")
    expect(() => decodeBatch(SITE, bad({ ...d, date: '12/01' }))).toThrow('d[0]: date is YYYY-MM-DD')
    expect(() => decodeBatch(SITE, bad({ ...d, revision: 0 }))).toThrow('d[0]: revision is an integer ≥ 1')
    expect(() => decodeBatch(SITE, bad({ ...d, computedAt: 'now' }))).toThrow('d[0]: computedAt is epoch ms')
    expect(() => decodeBatch(SITE, bad({ ...d, report: { ...d.report, date: '2026-11-30' } }))).toThrow('d[0]: report is the daily report of zj on 2026-12-01')
    expect(() => decodeBatch(SITE, Buffer.concat([Buffer.from([1]), deflateRawSync('{"r":[],"a":[],"d":{}}')]))).toThrow('d (daily reports) is an array')
  })

  it.each([
    [Buffer.alloc(0), 'empty'],
    [Buffer.from([2, 0, 0]), 'format 2 is not known'],
    [Buffer.concat([Buffer.from([1]), Buffer.from('not deflate')]), 'does not inflate'],
    [Buffer.concat([Buffer.from([1]), deflateRawSync('{"r":{}}')]), 'needs arrays r and a'],
    [Buffer.concat([Buffer.from([1]), deflateRawSync('{"r":[["D1","noise",[],[]]],"a":[]}')]), 'bad device or kind'],
    [Buffer.concat([Buffer.from([1]), deflateRawSync('{"r":[["D1","dust",["tsp"],[[0,null]]]],"a":[]}')]), 'a row is'],
    [Buffer.concat([Buffer.from([1]), deflateRawSync('{"r":[],"a":[{"alert":{"id":"x","site":"gs"},"transition":{"alertId":"x","site":"gs"}}]}')]), "of site 'gs', not 'zj'"]
  ])('refuses a malformed batch with a specific error (%#)', (payload, message) => {
    expect(() => decodeBatch(SITE, payload)).toThrow(message)
  })
})
