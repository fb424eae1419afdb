/**
 * captureQueueDir / writeQueueCapture (store/segments/snapshot.ts) on a real DiskSpool in use: the copy
 * holds the batches waiting at the capture, whatever is appended, confirmed or released afterwards.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DiskSpool, type DiskSpoolOptions } from '../../../store/spool/disk-spool.js'
import { captureQueueDir, writeQueueCapture } from '../../../store/segments/snapshot.js'
import { tempDir } from '../../helpers/ports.js'
import type { Reading } from '../../../core/readings.js'

const dirs: { remove: () => void }[] = []
afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

const batch = (from: number, n: number): Reading[] =>
  Array.from({ length: n }, (_, i) => ({ site: 's', device: 'd', kind: 'dust', ts: from + i, seq: from + i, values: { tsp: 0.5, flag: 'N' } }))
// small segments: the batches spread over several, and confirming them releases (deletes) whole segments
const opts = (dir: string): DiskSpoolOptions => ({ dir, segmentBytes: 2048, fsync: 'always', fsyncIntervalMs: 10 })

describe('spool snapshot', () => {
  it('copies the batches waiting at capture, though the spool appends, confirms and deletes segments meanwhile', async () => {
    const d = tempDir('mw-spool-snap-')
    dirs.push(d)
    const dir = join(d.path, 'spool')
    const s = DiskSpool.open(opts(dir))
    for (let i = 0; i < 10; i++) await s.append(DiskSpool.encode(batch(i * 10, 10)), 10)
    const first = s.peek(20)
    s.ack(first.records) // the first 20 readings confirmed before the capture: not in the copy
    const waiting = s.readings
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(2)

    const capture = captureQueueDir(dir)
    // after the capture: more batches, and everything confirmed, so the captured segments are deleted
    for (let i = 10; i < 15; i++) await s.append(DiskSpool.encode(batch(i * 10, 10)), 10)
    while (!s.isEmpty()) s.ack(s.peek(1000).records)
    await s.close()
    const copy = join(d.path, 'copy')
    await writeQueueCapture(capture, copy)

    const restored = DiskSpool.open(opts(copy))
    try {
      expect(restored.readings).toBe(waiting)
      expect(restored.peek(10_000).readings.map((r) => r.seq)).toEqual(Array.from({ length: 80 }, (_, i) => 20 + i))
    } finally {
      await restored.close()
    }
  })
})
