/** dedup: bounded per-device memory of reading keys, pending writes, restart seeding. */
import { describe, it, expect } from 'vitest'
import { Dedup, readingKey } from '../../../ingest/dedup.js'
import type { Reading } from '../../../core/readings.js'

const r = (ts: number, extra: Partial<Reading> = {}, values: Reading['values'] = { totalM3: ts }): Reading =>
  ({ site: 's', device: 'WM-1', kind: 'water', ts, values, ...extra })

describe('Dedup', () => {
  it('keys on ts, seq and entityId', () => {
    expect(readingKey(r(5))).toBe('5||')
    expect(readingKey(r(5, { seq: 9 }))).toBe('5|9|')
    expect(readingKey(r(5, { kind: 'locator' }, { entityId: 'P-1', lat: 0, lon: 0 }))).toBe('5||P-1')
  })

  it('drops readings already durable, and repeats inside one message', () => {
    const d = new Dedup(100)
    const first = d.filter([r(1), r(2), r(2)])
    expect(first.fresh.map((x) => x.ts)).toEqual([1, 2])
    expect(first.duplicates).toBe(1)
    d.pending(first.fresh, Promise.resolve())
    d.durable(first.fresh)
    const again = d.filter([r(1), r(2), r(3)])
    expect(again.fresh.map((x) => x.ts)).toEqual([3])
    expect(again.duplicates).toBe(2)
    expect(again.waits).toEqual([]) // durable: nothing to wait for
  })

  it('same ts with another seq or another entity is not a duplicate', () => {
    const d = new Dedup(100)
    const a = d.filter([r(1, { seq: 1 }), r(1, { seq: 2 })])
    d.pending(a.fresh, Promise.resolve()); d.durable(a.fresh)
    expect(d.filter([r(1, { seq: 3 })]).fresh).toHaveLength(1)
    const loc = (id: string) => r(1, { kind: 'locator' }, { entityId: id, lat: 0, lon: 0 })
    const b = d.filter([loc('P-1'), loc('P-2')])
    expect(b.fresh).toHaveLength(2)
    d.pending(b.fresh, Promise.resolve()); d.durable(b.fresh)
    expect(d.filter([loc('P-1'), loc('P-3')]).fresh.map((x) => x.values.entityId)).toEqual(['P-3'])
  })

  it('a duplicate of a pending reading waits for that write; a failed write forgets its keys', () => {
    const d = new Dedup(100)
    const a = d.filter([r(1), r(2)])
    const pending = new Promise<void>(() => {})
    d.pending(a.fresh, pending)
    const b = d.filter([r(2), r(3)])
    expect(b.fresh.map((x) => x.ts)).toEqual([3])
    expect(b.waits).toEqual([pending])
    d.failed(a.fresh)
    expect(d.filter([r(1), r(2)]).fresh).toHaveLength(2)
  })

  it('failed() keeps keys already durable', () => {
    const d = new Dedup(100)
    const a = d.filter([r(1)])
    d.pending(a.fresh, Promise.resolve()); d.durable(a.fresh)
    d.failed(a.fresh)
    expect(d.filter([r(1)]).duplicates).toBe(1)
  })

  it('remembers at most perDevice keys per device, forgetting the oldest', () => {
    const d = new Dedup(3)
    for (const ts of [1, 2, 3, 4]) {
      const f = d.filter([r(ts)]); d.pending(f.fresh, Promise.resolve()); d.durable(f.fresh)
    }
    expect(d.size('WM-1')).toBe(3)
    expect(d.filter([r(1)]).unsure).toHaveLength(1) // forgotten: the store decides whether it is new
    expect(d.filter([r(2), r(3), r(4)]).duplicates).toBe(3)
    // another device has its own memory
    expect(d.filter([r(4, { device: 'WM-2' })]).fresh).toHaveLength(1)
  })

  it('seed() loads store keys, newest kept when over the bound', () => {
    const d = new Dedup(2)
    d.seed([
      { device: 'WM-1', ts: 30, seq: null, entityId: null },
      { device: 'WM-1', ts: 10, seq: null, entityId: null },
      { device: 'WM-1', ts: 20, seq: 4, entityId: null },
      { device: 'UWB-1', ts: 10, seq: null, entityId: 'P-1' }
    ], 5)
    expect(d.filter([r(30), r(20, { seq: 4 })]).duplicates).toBe(2)
    // the oldest fell out of the bound: it may be stored, so the store must be asked
    const old = d.filter([r(10)])
    expect(old.fresh).toHaveLength(0)
    expect(old.unsure.map((x) => x.ts)).toEqual([10])
    expect(d.floorOf('WM-1')).toBe(11)
    expect(d.filter([r(10, { device: 'UWB-1', kind: 'locator' }, { entityId: 'P-1', lat: 0, lon: 0 })]).duplicates).toBe(1)
  })

  it('readings below the seed window are unsure, above it fresh; a new device starts at the seed floor', () => {
    const d = new Dedup(100)
    d.seed([{ device: 'WM-1', ts: 1000, seq: 1, entityId: null }], 900)
    const f = d.filter([r(899, { seq: 1 }), r(900, { seq: 2 }), r(1000, { seq: 1 }), r(1001)])
    expect(f.unsure.map((x) => x.ts)).toEqual([899])
    expect(f.unsureKeys).toEqual(['899|1|'])
    expect(f.fresh.map((x) => x.ts)).toEqual([900, 1001])
    expect(f.duplicates).toBe(1)
    expect(d.filter([r(899, { device: 'WM-9' })]).unsure).toHaveLength(1)
    expect(d.filter([r(900, { device: 'WM-9' })]).fresh).toHaveLength(1)
  })

  it('forgetting a key raises the floor past it, so a forgotten reading is never taken as new', () => {
    const d = new Dedup(3)
    // inserted out of ts order: a late reading (ts 5) arrives between live ones
    for (const ts of [100, 5, 200, 300, 400]) {
      const f = d.filter([r(ts)])
      d.pending([...f.fresh, ...f.unsure], Promise.resolve())
    }
    // 100 and 5 were forgotten (insertion order); the floor is past 100
    expect(d.floorOf('WM-1')).toBe(101)
    expect(d.filter([r(100)]).unsure).toHaveLength(1)
    expect(d.filter([r(5)]).unsure).toHaveLength(1)
    expect(d.filter([r(200)]).duplicates).toBe(1)
    expect(d.filter([r(150)]).fresh).toHaveLength(1)
  })

  it('stored() remembers keys the store reported, as durable duplicates', () => {
    const d = new Dedup(100)
    d.seed([], 1000)
    d.stored('WM-1', ['10||'])
    const f = d.filter([r(10), r(11)])
    expect(f.duplicates).toBe(1)
    expect(f.waits).toEqual([])
    expect(f.unsure.map((x) => x.ts)).toEqual([11])
  })
})
