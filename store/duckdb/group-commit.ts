/**
 * Group commit: writes submitted while a commit is in flight are merged into the next
 * transaction, so many small batches share one WAL fsync (a DuckDB commit costs about
 * 1–2 ms of fsync; one per 100-reading batch would cap ingest near 50,000 readings/s).
 * Each submitter's promise settles when the transaction holding its item commits.
 * If a merged transaction fails, its items are retried one by one so that one bad
 * item cannot fail the others.
 */

interface Job<T> {
  item: T
  size: number
  resolve: () => void
  reject: (err: unknown) => void
}

export interface GroupCommitOptions<T> {
  /** Writes the items in one transaction; must roll back itself when it throws. */
  commit: (items: readonly T[]) => Promise<void>
  /** Size of an item (e.g. readings in a batch), to bound a transaction. */
  sizeOf: (item: T) => number
  /** A transaction takes items until their sizes reach this (a larger item goes alone). */
  maxSize: number
}

export class GroupCommit<T> {
  private queue: Job<T>[] = []
  private running: Promise<void> | null = null

  constructor (private readonly opts: GroupCommitOptions<T>) {}

  /** Queues an item; resolves once it is committed. */
  submit (item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, size: this.opts.sizeOf(item), resolve, reject })
      if (this.running === null) this.running = this.loop()
    })
  }

  /** Items waiting for a commit (not counting the one in flight). */
  get queued (): number {
    return this.queue.length
  }

  /** Resolves once everything submitted so far has settled. */
  async drain (): Promise<void> {
    while (this.running !== null) await this.running
  }

  private async loop (): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.take()
        try {
          await this.opts.commit(group.map((j) => j.item))
          for (const j of group) j.resolve()
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err)
            continue
          }
          for (const j of group) {
            try {
              await this.opts.commit([j.item])
              j.resolve()
            } catch (err1) {
              j.reject(err1)
            }
          }
        }
      }
    } finally {
      this.running = null
    }
  }

  private take (): Job<T>[] {
    let n = 0
    let size = 0
    while (n < this.queue.length && (n === 0 || size + this.queue[n]!.size <= this.opts.maxSize)) {
      size += this.queue[n]!.size
      n++
    }
    return this.queue.splice(0, n)
  }
}
