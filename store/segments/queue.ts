/**
 * SegmentQueue: an append-only, fsynced queue of batches in segment files
 * (`<dir>/<id>.seg`, framing.ts records; each payload a JSON array of items). The head
 * position (first batch not yet confirmed by its consumer) is kept in `<dir>/cursor.json`; fully consumed segments are
 * deleted. Reopening the directory resumes where the last process stopped: a torn last
 * record (crash mid-append) is cut off, damaged records in the middle are skipped and logged.
 *
 * All file operations but fsync are synchronous, on purpose: an append is one write(2)
 * into the page cache, and doing it inline keeps the order of batches without locks.
 * fsync is asynchronous and shared (group commit): every append waiting when an fsync
 * starts is made durable by it.
 *
 * Shared by the store's outage spool (store/spool/, items are readings) and the uplink's
 * forwarding queue (uplink/, items are uplink items): one format, one fsync policy.
 */
import { openSync, closeSync, writeSync, readSync, readFileSync, writeFileSync, readdirSync, mkdirSync, unlinkSync, renameSync, ftruncateSync, fdatasyncSync, fstatSync, fdatasync, fsync, existsSync } from 'node:fs'
import { MinewatchError } from '../../core/errors.js'
import { join } from 'node:path'
import type { Logger } from '../../core/log.js'
import { HEADER_BYTES, encodeRecord, recordAt, scanRecords } from './framing.js'

export interface SegmentQueueOptions {
  /** Directory of the queue (created when missing); one process at a time. */
  dir: string
  /** A segment file is closed and a new one started past this size, bytes. */
  segmentBytes: number
  /** 'always': fsync as soon as possible after each append; 'interval': at most every fsyncIntervalMs. */
  fsync: 'always' | 'interval'
  fsyncIntervalMs: number
  logger?: Logger
  /** Name in log lines and errors (default 'spool'). */
  label?: string
}

/** One spooled batch. */
export interface SpoolRecord {
  /** Monotonic within this process. */
  id: number
  segment: number
  offset: number
  /** Header plus payload, bytes. */
  bytes: number
  readings: number
}

interface Segment {
  id: number
  path: string
  fd: number
  size: number
  /** Records of this segment still in the queue. */
  live: number
  /** Written since the last fsync. */
  dirty: boolean
  /** No longer appended to; closed and deleted once empty and synced. */
  retired: boolean
}

/** What peek() hands out: the records and their items, oldest first. */
export interface SpoolBatch<T> {
  records: SpoolRecord[]
  readings: T[]
}

const SEGMENT_RE = /^(\d{16})\.seg$/

function segmentName (id: number): string {
  return `${String(id).padStart(16, '0')}.seg`
}

function fsyncAsync (fd: number, data: boolean): Promise<void> {
  return new Promise((resolve, reject) => (data ? fdatasync : fsync)(fd, (err) => (err ? reject(err) : resolve())))
}

export class SegmentQueue<T> {
  private readonly segments = new Map<number, Segment>()
  private tail: Segment | null = null
  private nextSegment = 1
  private nextRecord = 1
  /** Queue of live records, oldest first, from index `head`. */
  private recs: SpoolRecord[] = []
  private head = 0
  /** Records with id ≤ this are handed out by peek() and not yet acked. */
  private inflightUpTo = 0
  private liveBytes = 0
  private liveReadings = 0
  private waiters: { resolve: () => void, reject: (err: Error) => void }[] = []
  private syncing: Promise<void> | null = null
  private syncTimer: NodeJS.Timeout | null = null
  private dirDirty = false
  private readonly dirFd: number
  private closed = false
  private readonly label: string

  protected constructor (private readonly opts: SegmentQueueOptions) {
    this.label = opts.label ?? 'spool'
    mkdirSync(opts.dir, { recursive: true })
    this.lock()
    this.dirFd = openSync(opts.dir, 'r')
  }

  private lockPath (): string { return join(this.opts.dir, 'lock') }

  /**
   * One process per spool: `<dir>/lock` holds the owner's pid. A lock whose process is gone
   * (killed) or is this very pid (a container restarted as pid 1) is taken over.
   */
  private lock (): void {
    const path = this.lockPath()
    if (existsSync(path)) {
      const pid = Number(readFileSync(path, 'utf8').trim())
      let alive = false
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid) {
        try { process.kill(pid, 0); alive = true } catch (err) { alive = (err as NodeJS.ErrnoException).code === 'EPERM' }
      }
      if (alive) throw new MinewatchError('MW_DATA_DIR_UNWRITABLE', `${this.label} ${this.opts.dir} is in use by process ${pid} (remove ${path} if that is not minewatch)`)
    }
    writeFileSync(path, String(process.pid))
  }

  /** Opens (or creates) the spool in opts.dir and recovers what a previous process left. */
  static create<T> (opts: SegmentQueueOptions): SegmentQueue<T> {
    const s = new SegmentQueue<T>(opts)
    s.recover()
    return s
  }

  /** Bytes of batches waiting (headers included). */
  get bytes (): number { return this.liveBytes }
  /** Items (readings) waiting. */
  get readings (): number { return this.liveReadings }
  /** Batches waiting. */
  get batches (): number { return this.recs.length - this.head }
  isEmpty (): boolean { return this.recs.length === this.head }

  private cursorPath (): string { return join(this.opts.dir, 'cursor.json') }

  protected recover (): void {
    const log = this.opts.logger
    let cursor = { segment: 0, offset: 0 }
    if (existsSync(this.cursorPath())) {
      try {
        const c = JSON.parse(readFileSync(this.cursorPath(), 'utf8')) as { segment?: unknown, offset?: unknown }
        if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) cursor = { segment: c.segment as number, offset: c.offset as number }
        else log?.error({ dir: this.opts.dir }, `${this.label}: cursor.json malformed; replaying from the oldest segment`)
      } catch (err) {
        log?.error({ err, dir: this.opts.dir }, `${this.label}: cursor.json unreadable; replaying from the oldest segment`)
      }
    }
    const ids = readdirSync(this.opts.dir).map((f) => SEGMENT_RE.exec(f)?.[1]).filter((m): m is string => m !== undefined).map(Number).sort((a, b) => a - b)
    this.nextSegment = Math.max(cursor.segment, ids.at(-1) ?? 0) + 1
    for (const id of ids) {
      const path = join(this.opts.dir, segmentName(id))
      if (id < cursor.segment) { unlinkSync(path); continue } // consumed before the last stop
      const isLast = id === ids.at(-1)
      const buf = readFileSync(path)
      const start = id === cursor.segment ? Math.min(cursor.offset, buf.length) : 0
      const scan = scanRecords(buf, start)
      for (const d of scan.damaged) {
        log?.error({ segment: path, offset: d.offset, bytes: d.bytes }, `${this.label}: damaged record skipped (its readings are lost)`)
      }
      const fd = openSync(path, 'r+')
      const seg: Segment = { id, path, fd, size: buf.length, live: 0, dirty: false, retired: !isLast }
      if (scan.validEnd < buf.length) {
        log?.warn({ segment: path, offset: scan.validEnd, bytes: buf.length - scan.validEnd }, `${this.label}: torn record at the end of a segment cut off (a crash mid-append; that batch was never acknowledged)`)
        ftruncateSync(fd, scan.validEnd)
        fdatasyncSync(fd)
        seg.size = scan.validEnd
      }
      for (const r of scan.records) {
        this.recs.push({ id: this.nextRecord++, segment: id, offset: r.offset, bytes: r.bytes, readings: r.count })
        seg.live++
        this.liveBytes += r.bytes
        this.liveReadings += r.count
      }
      this.segments.set(id, seg)
      if (isLast) this.tail = seg
      else if (seg.live === 0) this.release(seg)
    }
    if (this.batches > 0) log?.info({ dir: this.opts.dir, batches: this.batches, readings: this.liveReadings, bytes: this.liveBytes }, `${this.label}: resuming with batches from a previous run`)
  }

  /** Frames a batch as a record (the bound check needs its size before appending). */
  static encode (batch: readonly unknown[]): Buffer {
    return encodeRecord(Buffer.from(JSON.stringify(batch)), batch.length)
  }

  /**
   * Appends a framed batch at the tail; resolves once it is fsynced.
   * The append itself happens before this returns, so call order is spool order.
   */
  append (record: Buffer, readings: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.label} is closed`))
    let tail = this.tail
    if (tail === null || (tail.size > 0 && tail.size + record.length > this.opts.segmentBytes)) tail = this.roll()
    let done = 0
    while (done < record.length) done += writeSync(tail.fd, record, done, record.length - done, tail.size + done)
    this.recs.push({ id: this.nextRecord++, segment: tail.id, offset: tail.size, bytes: record.length, readings })
    tail.size += record.length
    tail.live++
    tail.dirty = true
    this.liveBytes += record.length
    this.liveReadings += readings
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.scheduleSync()
    })
  }

  private roll (): Segment {
    if (this.tail !== null) {
      this.tail.retired = true
      if (this.tail.live === 0) this.release(this.tail)
    }
    const id = this.nextSegment++
    const path = join(this.opts.dir, segmentName(id))
    const fd = openSync(path, 'wx+')
    const seg: Segment = { id, path, fd, size: 0, live: 0, dirty: false, retired: false }
    this.segments.set(id, seg)
    this.tail = seg
    this.dirDirty = true // the new file's directory entry must be durable too
    return seg
  }

  private scheduleSync (): void {
    if (this.syncing !== null || this.syncTimer !== null) return // the running or planned sync picks new waiters up
    if (this.opts.fsync === 'always') {
      this.syncing = this.sync()
    } else {
      this.syncTimer = setTimeout(() => { this.syncTimer = null; this.syncing = this.sync() }, this.opts.fsyncIntervalMs)
    }
  }

  private async sync (): Promise<void> {
    const waiters = this.waiters
    this.waiters = []
    const dirty = [...this.segments.values()].filter((s) => s.dirty)
    for (const s of dirty) s.dirty = false
    const dir = this.dirDirty
    this.dirDirty = false
    let error: Error | null = null
    try {
      await Promise.all([...dirty.map((s) => fsyncAsync(s.fd, true)), ...(dir ? [fsyncAsync(this.dirFd, false)] : [])])
    } catch (err) {
      error = err as Error
      this.opts.logger?.error({ err, dir: this.opts.dir }, `${this.label}: fsync failed`)
    }
    this.syncing = null
    for (const s of [...this.segments.values()]) if (s.retired && s.live === 0) this.release(s)
    for (const w of waiters) {
      if (error === null) w.resolve()
      else w.reject(error)
    }
    if (this.waiters.length > 0) this.scheduleSync()
  }

  /**
   * The oldest batches, up to `maxReadings` readings (at least one batch), read back
   * from disk. They stay in the spool until ack(); damaged ones are dropped and logged.
   */
  peek (maxReadings: number): SpoolBatch<T> {
    const records: SpoolRecord[] = []
    const readings: T[] = []
    let i = this.head
    while (i < this.recs.length && (records.length === 0 || readings.length + this.recs[i]!.readings <= maxReadings)) {
      const rec = this.recs[i++]!
      const seg = this.segments.get(rec.segment)!
      const buf = Buffer.allocUnsafe(rec.bytes)
      let got = 0
      while (got < rec.bytes) {
        const n = readSync(seg.fd, buf, got, rec.bytes - got, rec.offset + got)
        if (n === 0) break
        got += n
      }
      const whole = got === rec.bytes ? recordAt(buf, 0) : null
      let batch: T[] | null = null
      if (whole !== null) {
        try { batch = JSON.parse(buf.subarray(HEADER_BYTES).toString('utf8')) as T[] } catch { batch = null }
      }
      if (batch === null) {
        this.opts.logger?.error({ segment: seg.path, offset: rec.offset, readings: rec.readings }, `${this.label}: batch damaged on disk since it was written; dropped`)
      }
      records.push(rec)
      if (batch !== null) for (const r of batch) readings.push(r)
    }
    if (records.length > 0) this.inflightUpTo = records.at(-1)!.id
    return { records, readings }
  }

  /** Removes batches handed out by peek() once the store confirmed them. */
  ack (records: readonly SpoolRecord[]): void {
    const ids = new Set(records.map((r) => r.id))
    while (this.head < this.recs.length && ids.has(this.recs[this.head]!.id)) this.remove(this.recs[this.head++]!)
    this.inflightUpTo = 0
    if (this.head > 1024 && this.head * 2 > this.recs.length) {
      this.recs = this.recs.slice(this.head)
      this.head = 0
    }
    if (this.isEmpty() && this.tail !== null && this.tail.size > 0) {
      // Drained: start the next outage on a fresh segment instead of keeping consumed bytes.
      this.tail.retired = true
      this.release(this.tail)
      this.tail = null
    }
    this.saveCursor()
  }

  /** Lets batches handed out by peek() be dropped again (the write failed). */
  unpeek (): void {
    this.inflightUpTo = 0
  }

  private remove (rec: SpoolRecord): void {
    const seg = this.segments.get(rec.segment)!
    seg.live--
    this.liveBytes -= rec.bytes
    this.liveReadings -= rec.readings
    if (seg.live === 0 && seg.retired) this.release(seg)
  }

  /** Closes and deletes a retired, empty segment once no fsync is pending on it. */
  private release (seg: Segment): void {
    if (seg.dirty || this.syncing !== null) return // sync() calls back when done
    if (!this.segments.has(seg.id)) return
    this.segments.delete(seg.id)
    closeSync(seg.fd)
    unlinkSync(seg.path)
  }

  /**
   * Drops the oldest segment that holds no batch handed out by peek(), for onFull:
   * 'drop-oldest'. Returns what was dropped, or null when nothing can be.
   */
  dropOldest (): { batches: number, readings: number, bytes: number } | null {
    const protectedSegs = new Set<number>()
    for (let i = this.head; i < this.recs.length && this.recs[i]!.id <= this.inflightUpTo; i++) protectedSegs.add(this.recs[i]!.segment)
    const victim = [...this.segments.values()].filter((s) => s.live > 0 && !protectedSegs.has(s.id)).sort((a, b) => a.id - b.id)[0]
    if (victim === undefined) return null
    if (victim === this.tail) this.roll()
    const dropped = { batches: 0, readings: 0, bytes: 0 }
    const kept: SpoolRecord[] = []
    for (let i = this.head; i < this.recs.length; i++) {
      const r = this.recs[i]!
      if (r.segment !== victim.id) { kept.push(r); continue }
      dropped.batches++
      dropped.readings += r.readings
      dropped.bytes += r.bytes
      this.remove(r)
    }
    this.recs = kept
    this.head = 0
    this.saveCursor()
    return dropped
  }

  /** Head position: the first live batch, or the end of what was written. */
  private saveCursor (): void {
    const first = this.recs[this.head]
    const cursor = first !== undefined
      ? { segment: first.segment, offset: first.offset }
      : this.tail !== null ? { segment: this.tail.id, offset: this.tail.size } : { segment: this.nextSegment, offset: 0 }
    // Written to a temp file, fsynced and renamed: a crash leaves the old or the new cursor,
    // never a torn one. An old cursor only means confirmed batches are sent again (writes
    // of the same points are idempotent in InfluxDB).
    const tmp = this.cursorPath() + '.tmp'
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, JSON.stringify(cursor))
      fdatasyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.cursorPath())
  }

  /** Size on disk of the segment files (≥ bytes: consumed batches stay until their segment is deleted). */
  diskBytes (): number {
    let n = 0
    for (const s of this.segments.values()) n += fstatSync(s.fd).size
    return n
  }

  /** Waits for pending fsyncs, then closes every file. */
  async close (): Promise<void> {
    if (this.closed) return
    if (this.syncTimer !== null) { clearTimeout(this.syncTimer); this.syncTimer = null; this.syncing = this.sync() }
    while (this.syncing !== null) await this.syncing
    this.closed = true
    for (const s of this.segments.values()) closeSync(s.fd)
    this.segments.clear()
    closeSync(this.dirFd)
    try { unlinkSync(this.lockPath()) } catch { /* already gone */ }
  }
}
