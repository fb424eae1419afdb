/**
 * DiskSpool: the outage spool's on-disk queue of reading batches. The segment format,
 * recovery and fsync policy live in store/segments/queue.ts (SegmentQueue), shared with
 * the uplink's forwarding queue; this is that queue with readings as its items.
 */
import type { Reading } from '../../core/readings.js'
import { SegmentQueue, type SegmentQueueOptions, type SpoolRecord, type SpoolBatch as ItemBatch } from '../segments/queue.js'

export type DiskSpoolOptions = SegmentQueueOptions
export type { SpoolRecord }
/** What peek() hands out. */
export type SpoolBatch = ItemBatch<Reading>

export class DiskSpool extends SegmentQueue<Reading> {
  /** Opens (or creates) the spool in opts.dir and recovers what a previous process left. */
  static open (opts: DiskSpoolOptions): DiskSpool {
    const s = new DiskSpool(opts)
    s.recover()
    return s
  }
}
