/**
 * Group commit: writes submitted while a commit is in flight are merged into the next
 * transaction, so many small batches share one WAL fsync (a DuckDB commit costs about
 * 1–2 ms of fsync; one per 100-reading batch would cap ingest near 50,000 readings/s).
 * Each submitter's promise settles when the transaction holding its item commits.
 * If a merged transaction fails, its items are retried one by one so that one bad
 * item cannot fail the others.
 *
 * With `lanes` > 1, up to that many transactions run at once, each on its own lane
 * (connection): while one commits on a libuv thread, the next group is appended on
 * the main thread. Items of one transaction always commit together; the order
 * between transactions of different lanes is not defined.
 */

interface Job<T> {
  item: T
  size: number
  resolve: () => void
  reject: (err: unknown) => void
}

export interface GroupCommitOptions<T> {
  /** Writes the items in one transaction on lane `lane`; must roll back itself when it throws. */
  commit: (items: readonly T[], lane: number) => Promise<void>
  /** Size of an item (e.g. readings in a batch), to bound a transaction. */
  sizeOf: (item: T) => number
  /** A transaction takes items until their sizes reach this (a larger item goes alone). */
  maxSize: number
  /** Transactions in flight at once, each on its own lane (0 … lanes-1). */
  lanes?: number // default 1
  /**
   * A second (third …) lane starts only when at least this much waits: small leftovers
   * go with the busy lane's next transaction, since every commit has a fixed cost.
   */
  extraLaneMinSize?: number // default 0
}

export class GroupCommit<T> {
  private queue: Job<T>[] = []
  private queuedSize = 0
  private readonly freeLanes: number[]
  private readonly running = new Set<Promise<void>>()

  constructor (private readonly opts: GroupCommitOptions<T>) {
    this.freeLanes = Array.from({ length: opts.lanes ?? 1 }, (_, i) => i).reverse()
  }

  /** Queues an item; resolves once it is committed. */
  submit (item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const size = this.opts.sizeOf(item)
      this.queue.push({ item, size, resolve, reject })
      this.queuedSize += size
      this.kick()
    })
  }

  /** Starts a loop on a free lane while items wait (also when a lane frees up after its loop saw an empty queue). */
  private kick (): void {
    while (this.queue.length > 0 && this.freeLanes.length > 0 &&
      (this.running.size === 0 || this.queuedSize >= (this.opts.extraLaneMinSize ?? 0))) {
      const lane = this.freeLanes.pop()!
      const p: Promise<void> = this.loop(lane).finally(() => {
        this.running.delete(p)
        this.freeLanes.push(lane)
        this.kick()
      })
      this.running.add(p)
    }
  }

  /** Items waiting for a commit (not counting the one in flight). */
  get queued (): number {
    return this.queue.length
  }

  /** Resolves once everything submitted so far has settled. */
  async drain (): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running)
  }

  private async loop (lane: number): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.take()
      try {
        await this.opts.commit(group.map((j) => j.item), lane)
        for (const j of group) j.resolve()
      } catch (err) {
        if (group.length === 1) {
          group[0]!.reject(err)
          continue
        }
        for (const j of group) {
          try {
            await this.opts.commit([j.item], lane)
            j.resolve()
          } catch (err1) {
            j.reject(err1)
          }
        }
      }
    }
  }

  private take (): Job<T>[] {
    let n = 0
    let size = 0
    while (n < this.queue.length && (n === 0 || size + this.queue[n]!.size <= this.opts.maxSize)) {
      size += this.queue[n]!.size
      n++
    }
    this.queuedSize -= size
    return this.queue.splice(0, n)
  }
}
