/** DiskSpool on real files: order, ack, restart resume, torn tail, damage, segments, drop-oldest. */
import { describe, it, expect, afterEach } from 'vitest'
import { readdirSync, appendFileSync, statSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DiskSpool, type DiskSpoolOptions } from '../../../store/spool/disk-spool.js'
import { tempDir } from '../../helpers/ports.js'
import type { Reading } from '../../../core/readings.js'

const dirs: { remove: () => void }[] = []
afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

function spoolDir (): string {
  const d = tempDir('mw-spool-unit-')
  dirs.push(d)
  return join(d.path, 'spool')
}

const batch = (from: number, n: number): Reading[] =>
  Array.from({ length: n }, (_, i) => ({ site: 's', device: 'd', kind: 'dust', ts: from + i, seq: from + i, values: { tsp: 0.5, flag: 'N' } }))

const opts = (dir: string, extra: Partial<DiskSpoolOptions> = {}): DiskSpoolOptions =>
  ({ dir, segmentBytes: 1024 ** 2, fsync: 'always', fsyncIntervalMs: 10, ...extra })

async function append (s: DiskSpool, b: Reading[]): Promise<void> {
  await s.append(DiskSpool.encode(b), b.length)
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()

describe('DiskSpool', () => {
  it('records its layout version; a spool of a newer minewatch is refused before it is locked or read', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await append(s, batch(0, 2))
    await s.close()
    expect(JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8'))).toEqual({ spool: 1 })
    writeFileSync(join(dir, 'version.json'), '{"spool":2}')
    const before = readdirSync(dir).sort()
    expect(() => DiskSpool.open(opts(dir))).toThrow(/spool .* has version 2, written by a newer minewatch/)
    expect(readdirSync(dir).sort()).toEqual(before)
    writeFileSync(join(dir, 'version.json'), 'not json')
    expect(() => DiskSpool.open(opts(dir))).toThrow(/is not a spool version file/)
  })

  it('keeps batches in order and counts readings and bytes', async () => {
    const s = DiskSpool.open(opts(spoolDir()))
    expect(s.isEmpty()).toBe(true)
    await append(s, batch(0, 3))
    await append(s, batch(3, 2))
    expect(s.batches).toBe(2)
    expect(s.readings).toBe(5)
    expect(s.bytes).toBe(DiskSpool.encode(batch(0, 3)).length + DiskSpool.encode(batch(3, 2)).length)
    const got = s.peek(100)
    expect(got.records).toHaveLength(2)
    expect(got.readings.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4])
    await s.close()
  })

  it('peek takes whole batches up to maxReadings, at least one', async () => {
    const s = DiskSpool.open(opts(spoolDir()))
    await append(s, batch(0, 4))
    await append(s, batch(4, 4))
    await append(s, batch(8, 4))
    expect(s.peek(8).readings).toHaveLength(8)
    expect(s.peek(5).readings).toHaveLength(4)
    expect(s.peek(1).readings).toHaveLength(4)
    await s.close()
  })

  it('ack removes confirmed batches; a reopened spool resumes after them', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    for (let i = 0; i < 5; i++) await append(s, batch(i * 10, 10))
    const first = s.peek(20)
    s.ack(first.records)
    expect(s.readings).toBe(30)
    await s.close()

    const again = DiskSpool.open(opts(dir))
    expect(again.batches).toBe(3)
    expect(again.readings).toBe(30)
    expect(again.peek(1000).readings.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i))
    await append(again, batch(50, 1))
    expect(again.readings).toBe(31)
    await again.close()
  })

  it('unacked batches survive a reopen (peek alone removes nothing)', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await append(s, batch(0, 7))
    s.peek(100)
    await s.close()
    const again = DiskSpool.open(opts(dir))
    expect(again.readings).toBe(7)
    await again.close()
  })

  it('cuts a torn last record on reopen and appends after the good ones', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await append(s, batch(0, 3))
    await append(s, batch(3, 3))
    await s.close()
    const [seg] = segments(dir)
    const path = join(dir, seg!)
    const goodSize = statSync(path).size
    // a crash mid-append: half a record at the end
    const torn = DiskSpool.encode(batch(6, 3))
    appendFileSync(path, torn.subarray(0, torn.length >> 1))

    const again = DiskSpool.open(opts(dir))
    expect(again.readings).toBe(6)
    expect(statSync(path).size).toBe(goodSize)
    await append(again, batch(100, 1))
    await again.close()
    const third = DiskSpool.open(opts(dir))
    expect(third.peek(100).readings.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 100])
    await third.close()
  })

  it('skips a damaged batch in the middle and keeps the others', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await append(s, batch(0, 2))
    await append(s, batch(2, 2))
    await append(s, batch(4, 2))
    await s.close()
    const path = join(dir, segments(dir)[0]!)
    const buf = readFileSync(path)
    const second = DiskSpool.encode(batch(0, 2)).length
    buf[second + 20]! ^= 0x10 // a payload byte of the second batch
    writeFileSync(path, buf)
    const again = DiskSpool.open(opts(dir))
    expect(again.peek(100).readings.map((r) => r.seq)).toEqual([0, 1, 4, 5])
    await again.close()
  })

  it('rolls segments at segmentBytes and deletes them once consumed', async () => {
    const dir = spoolDir()
    const one = DiskSpool.encode(batch(100, 20)).length // 3-digit seqs: every batch has this size
    const s = DiskSpool.open(opts(dir, { segmentBytes: one * 2 }))
    for (let i = 0; i < 6; i++) await append(s, batch(100 + i * 20, 20))
    expect(segments(dir)).toHaveLength(3)
    s.ack(s.peek(40).records)
    expect(segments(dir)).toHaveLength(2)
    s.ack(s.peek(1000).records)
    expect(s.isEmpty()).toBe(true)
    expect(segments(dir)).toHaveLength(0)
    await append(s, batch(500, 1))
    expect(segments(dir)).toHaveLength(1)
    await s.close()
    const again = DiskSpool.open(opts(dir, { segmentBytes: one * 2 }))
    expect(again.peek(10).readings.map((r) => r.seq)).toEqual([500])
    expect(segments(dir)).toHaveLength(1)
    await again.close()
  })

  it('dropOldest drops the oldest whole segment, never one holding peeked batches', async () => {
    const dir = spoolDir()
    const one = DiskSpool.encode(batch(100, 10)).length
    const s = DiskSpool.open(opts(dir, { segmentBytes: one * 2 }))
    for (let i = 0; i < 6; i++) await append(s, batch(100 + i * 10, 10)) // 3 segments of 2 batches
    expect(segments(dir)).toHaveLength(3)
    const inflight = s.peek(10) // first batch handed out
    const dropped = s.dropOldest()
    expect(dropped).toEqual({ batches: 2, readings: 20, bytes: 2 * one })
    expect(s.readings).toBe(40)
    s.ack(inflight.records)
    // segment 1 kept its second batch (110..119); segment 2 (120..139) was dropped
    const seqs = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i)
    expect(s.peek(1000).readings.map((r) => r.seq)).toEqual([...seqs(110, 120), ...seqs(140, 160)])
    expect(segments(dir)).toHaveLength(2)
    await s.close()
    const again = DiskSpool.open(opts(dir, { segmentBytes: one * 2 }))
    expect(again.readings).toBe(30)
    await again.close()
  })

  it('dropOldest can drop the tail segment (a new one is started)', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await append(s, batch(0, 5))
    expect(s.dropOldest()).toMatchObject({ readings: 5 })
    expect(s.isEmpty()).toBe(true)
    expect(s.dropOldest()).toBeNull()
    await append(s, batch(5, 1))
    expect(s.peek(10).readings.map((r) => r.seq)).toEqual([5])
    await s.close()
  })

  it('refuses a spool dir held by another live process; takes over the lock of a dead one', async () => {
    const dir = spoolDir()
    const s = DiskSpool.open(opts(dir))
    await s.close()
    writeFileSync(join(dir, 'lock'), String(process.ppid)) // alive, and not us
    expect(() => DiskSpool.open(opts(dir))).toThrow(/in use by process/)
    writeFileSync(join(dir, 'lock'), '999999999') // no such process
    const again = DiskSpool.open(opts(dir))
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(String(process.pid))
    await again.close()
  })

  it("fsync 'interval' resolves appends together at the next interval", async () => {
    const s = DiskSpool.open(opts(spoolDir(), { fsync: 'interval', fsyncIntervalMs: 20 }))
    const order: number[] = []
    const ps = [0, 1, 2].map((i) => s.append(DiskSpool.encode(batch(i, 1)), 1).then(() => order.push(i)))
    await Promise.all(ps)
    expect(order).toEqual([0, 1, 2])
    await s.close()
  })
})
