/**
 * Step 5, batch: group commit, self-clocking. When no write is running, a batch is written
 * `maxWaitMs` after its first item (0: at the end of the current event-loop turn, so one
 * socket read's worth of messages shares it and a lone message waits for nothing). While a
 * write is in flight, the next batch keeps filling and is written the moment it ends, so a slow
 * write makes bigger batches instead of a queue of small ones. A batch is also sealed at
 * `maxItems`. A caller's promise settles with the write that holds its items: resolved when
 * durable, rejected when not.
 *
 * One write at a time, always: batches (and onStored) stay in arrival order. How much of a
 * write runs in parallel is the store's business, not ingest's (docs/storage.md *Write
 * concurrency*): DuckDB commits on its writer lanes, InfluxDB sends a batch's chunks as
 * concurrent requests.
 */

export interface GroupCommitOptions<T> {
  /** Writes one batch; resolves only when it is durable. */
  write: (items: T[]) => Promise<void>
  /** A batch is sealed once it holds this many items (a caller's items are never split). */
  maxItems: number
  /** ... or, when no write is running, this long after its first item, ms (0: end of this event-loop turn). */
  maxWaitMs: number
}

interface Batch<T> {
  items: T[]
  promise: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
  timer: NodeJS.Timeout | null
}

export class GroupCommit<T> {
  private open: Batch<T> | null = null
  private readonly sealed: Batch<T>[] = []
  private writing = false
  private readonly unsettled = new Set<Promise<void>>()

  constructor (private readonly opts: GroupCommitOptions<T>) {}

  /** Adds items to the open batch; the promise settles with the write that holds them. */
  add (items: readonly T[]): Promise<void> {
    const batch = this.open ?? this.startBatch()
    for (const item of items) batch.items.push(item)
    if (batch.items.length >= this.opts.maxItems) this.seal()
    return batch.promise
  }

  /** Items waiting or being written. */
  get pending (): number {
    return (this.open?.items.length ?? 0) + this.sealed.reduce((n, b) => n + b.items.length, 0)
  }

  /** Waits until the items added so far are written or failed (never rejects); later adds are not waited for. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.unsettled])
  }

  /** Writes whatever is waiting now and waits for every write to settle (never rejects). */
  async flush (): Promise<void> {
    if (this.open) this.seal()
    while (this.unsettled.size > 0) await Promise.allSettled([...this.unsettled])
  }

  private startBatch (): Batch<T> {
    let resolve!: () => void
    let reject!: (err: unknown) => void
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
    promise.catch(() => {}) // callers handle it; this keeps a batch nobody awaits from crashing the process
    const batch: Batch<T> = { items: [], promise, resolve, reject, timer: null }
    if (this.opts.maxWaitMs === 0) {
      // Write what this event-loop turn brings, without waiting for more (a busy slot defers it to pump()).
      setImmediate(() => { if (this.open === batch && this.canWrite()) this.seal() })
      this.open = batch
      this.unsettled.add(promise)
      return batch
    }
    batch.timer = setTimeout(() => {
      batch.timer = null
      if (this.open === batch && this.canWrite()) this.seal()
    }, this.opts.maxWaitMs)
    this.open = batch
    this.unsettled.add(promise)
    return batch
  }

  private canWrite (): boolean {
    return !this.writing && this.sealed.length === 0
  }

  private seal (): void {
    const batch = this.open
    if (!batch) return
    this.open = null
    if (batch.timer) clearTimeout(batch.timer)
    this.sealed.push(batch)
    this.pump()
  }

  private pump (): void {
    if (this.writing) return
    const batch = this.sealed.shift()
    if (batch) {
      this.writing = true
      new Promise<void>((resolve) => resolve(this.opts.write(batch.items))).then(batch.resolve, batch.reject).finally(() => {
        this.writing = false
        this.unsettled.delete(batch.promise)
        this.pump()
        // Self-clocking: the batch that filled during this write goes next.
        if (this.open && this.canWrite()) this.seal()
      })
    }
  }
}
