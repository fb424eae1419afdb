/**
 * DiskSpool: the outage spool's on-disk queue of reading batches. The segment format,
 * recovery and fsync policy live in store/segments/queue.ts (SegmentQueue), shared with
 * the uplink's forwarding queue; this is that queue with readings as its items.
 */
import type { Reading } from '../../core/readings.js'
import { mkdirSync } from 'node:fs'
import { SegmentQueue, type SegmentQueueOptions, type SpoolRecord, type SpoolBatch as ItemBatch } from '../segments/queue.js'
import { checkSpoolVersion, stampSpoolVersion } from './version.js'

export type DiskSpoolOptions = SegmentQueueOptions
export type { SpoolRecord }
/** What peek() hands out. */
export type SpoolBatch = ItemBatch<Reading>

export class DiskSpool extends SegmentQueue<Reading> {
  /** Opens (or creates) the spool in opts.dir and recovers what a previous process left. */
  static open (opts: DiskSpoolOptions): DiskSpool {
    mkdirSync(opts.dir, { recursive: true })
    checkSpoolVersion(opts.dir) // a spool of a newer minewatch is refused before it is locked or recovered
    const s = new DiskSpool(opts)
    stampSpoolVersion(opts.dir)
    s.recover()
    return s
  }
}
