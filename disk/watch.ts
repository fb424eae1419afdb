/**
 * Free disk space of the directories minewatch writes (issue 13): the data directory (DuckDB
 * files, state) and the spool. `DiskWatch` reads statfs(2) every `intervalMs` and whenever it is
 * asked to (after an ENOSPC), publishes `minewatch_disk_free_bytes{dir}`, and says when a
 * directory is below `floorBytes` so writes are refused cleanly (no PUBACK, MW_DISK_FULL)
 * before the filesystem is full, and `/readyz` answers 503 with the reason.
 */
import { statfs } from 'node:fs/promises'
import { MinewatchError, isMinewatchError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'

export interface DiskWatchOptions {
  /** Directories by name (e.g. data, spool); two names on one filesystem are both reported. */
  dirs: Record<string, string>
  /** Below this many free bytes a directory is low: writes are refused and /readyz is 503. 0: never. */
  floorBytes: number
  intervalMs?: number // default 5_000 (5 s)
  metrics?: Metrics
  logger?: Logger
}

/** True for an error caused, at any depth, by a full filesystem. */
export function isNoSpace (err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isMinewatchError(e, 'MW_DISK_FULL')) return true
    const code = (e as { code?: unknown }).code
    if (code === 'ENOSPC' || code === 'EDQUOT') return true
    if (e instanceof Error && /ENOSPC|No space left on device|Disk quota exceeded/i.test(e.message)) return true
  }
  return false
}

export class DiskWatch {
  private readonly free = new Map<string, number>()
  private readonly errors = new Map<string, string>()
  private timer: NodeJS.Timeout | null = null
  private refreshing: Promise<void> | null = null
  private wasLow: string | undefined

  constructor (private readonly opts: DiskWatchOptions) {}

  get floorBytes (): number { return this.opts.floorBytes }

  /** Watches one more directory (e.g. the spool, once it exists). */
  watch (name: string, dir: string): void { this.opts.dirs[name] = dir }

  /** Reads free space now, then every intervalMs. */
  async start (): Promise<void> {
    await this.refresh()
    this.timer = setInterval(() => { void this.refresh() }, this.opts.intervalMs ?? 5_000)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Reads statfs of every directory (one read at a time is shared). */
  refresh (): Promise<void> {
    this.refreshing ??= (async () => {
      await Promise.all(Object.entries(this.opts.dirs).map(async ([name, dir]) => {
        try {
          const s = await statfs(dir)
          const bytes = Number(s.bavail) * Number(s.bsize) // what an unprivileged writer can still use
          this.free.set(name, bytes)
          this.errors.delete(name)
          this.opts.metrics?.diskFree.set({ dir: name }, bytes)
        } catch (err) {
          this.errors.set(name, `${dir}: ${(err as Error).message}`)
        }
      }))
      this.refreshing = null
      const low = this.low()
      if (low !== this.wasLow) {
        if (low) this.opts.logger?.error({ floorBytes: this.opts.floorBytes }, `disk low: ${low}; readings are refused (no PUBACK) until space returns`)
        else this.opts.logger?.warn('disk space back above the floor: readings are taken again')
        this.wasLow = low
      }
    })()
    return this.refreshing
  }

  /** Free bytes of `name` at the last read (undefined before the first or when statfs failed). */
  freeBytes (name: string): number | undefined { return this.free.get(name) }

  /** Why writes must be refused now (a directory below the floor), or undefined. */
  low (): string | undefined {
    if (this.opts.floorBytes <= 0) return undefined
    const low = [...this.free].filter(([, b]) => b < this.opts.floorBytes)
    if (low.length === 0) return undefined
    return low.map(([name, b]) => `${name} (${this.opts.dirs[name]}) has ${b} bytes free, below the floor of ${this.opts.floorBytes} (store.diskFreeFloorBytes)`).join('; ')
  }

  /** The error a refused write gets. */
  refusal (): MinewatchError | undefined {
    const low = this.low()
    return low ? new MinewatchError('MW_DISK_FULL', low, { retryAfterMs: 5_000 }) : undefined
  }

  /** For /readyz: not ok below the floor or when a directory cannot be read. */
  health (): { ok: boolean, detail: string } {
    const low = this.low()
    if (low) return { ok: false, detail: low }
    if (this.errors.size > 0) return { ok: false, detail: [...this.errors.values()].join('; ') }
    return { ok: true, detail: [...this.free].map(([name, b]) => `${name} ${b} bytes free`).join(', ') + ` (floor ${this.opts.floorBytes})` }
  }
}
